"""One labelled form field with its error line underneath, and how a core refusal finds the
field it names (InvalidInput.field, or the "field: problem" prefix of other refusals)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from .tcss_file import beside


def field_problem(error: Exception, fields: list[str] | tuple[str, ...]) -> tuple[str | None, str]:
    """(field, problem) for a core refusal: the field it names when it is one of `fields`
    (compared case-insensitively), else (None, the whole message)."""
    message = str(getattr(error, "message", error))
    named = getattr(error, "field", None)
    problem = getattr(error, "problem", None)
    if named is None and ": " in message:
        named, problem = message.split(": ", 1)
    for field in fields:
        if named is not None and named.strip().casefold() == field.casefold():
            return field, problem or message
    return None, message


class FormField(Vertical):
    """Label and input on one line (so forms fit 80×24), the error on the next."""

    DEFAULT_CSS = beside(__file__)

    def __init__(self, label: str, value: str = "", *, input_id: str, placeholder: str = "",
                 label_width: int = 16, tooltip: str | None = None, max_length: int = 0,
                 id: str | None = None) -> None:
        super().__init__(classes="form-field", id=id)
        self.label, self.value, self.input_id = label, value, input_id
        self.placeholder, self.label_width, self.tooltip_text = placeholder, label_width, tooltip
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-field-row"):
            label = Label(self.label, classes="form-field-label")
            label.styles.width = self.label_width
            yield label
            yield Input(self.value, placeholder=self.placeholder, id=self.input_id, compact=True,
                        tooltip=self.tooltip_text, max_length=self.max_length)
        yield Static("", classes="form-error form-field-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_error(self, problem: str | None) -> None:
        error = self.query_one(".form-field-error", Static)
        error.update(f"{self.label}: {problem}" if problem else "")
        error.display = bool(problem)
        self.input.set_class(bool(problem), "-invalid-field")
        self.set_class(bool(problem), "-has-error")

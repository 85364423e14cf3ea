"""The desk's one way to show a form's problems (docs/decisions.md, "Forms"): each field is a
labelled `FormField` with its error line underneath; a refusal from the core marks every field it
names at once ("Login: is required"), in place, and a field's error clears as soon as the field is
edited. What the operator typed is never touched. Refusals that name no field of the form go to
the form's own message line (never a toast over the form).

The core names fields by their labels (InvalidInput.problems: label → problem); `problems_of`
matches them to a form's fields, also for refusals written "field: problem" (NotVisible, …)."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, RadioSet, Select, Static

from .tcss_file import beside


def problems_of(error: Exception, fields: dict[str, tuple[str, ...]] | list[str] | tuple[str, ...]
                ) -> tuple[dict[str, str], str | None]:
    """(label → problem for each field of the form that the refusal names, the rest as one message
    or None). `fields`: the form's labels, or label → other names the core may use for it;
    compared case-insensitively."""
    names = fields if isinstance(fields, dict) else {label: () for label in fields}
    lookup = {name.casefold(): label for label, aliases in names.items() for name in (label, *aliases)}
    problems = dict(getattr(error, "problems", None) or {})
    message = str(getattr(error, "message", error))
    if not problems:
        if ": " in message and message.split(": ", 1)[0].strip().casefold() in lookup:
            field, problem = message.split(": ", 1)
            problems = {field.strip(): problem}
        else:
            return {}, message
    marked: dict[str, str] = {}
    rest: list[str] = []
    for field, problem in problems.items():
        label = lookup.get(field.strip().casefold())
        if label is not None:
            marked.setdefault(label, problem)
        else:
            rest.append(f"{field}: {problem}")
    return marked, "; ".join(rest) or None


def field_problem(error: Exception, fields: list[str] | tuple[str, ...]) -> tuple[str | None, str]:
    """(field, problem) for a refusal naming one field of `fields`, else (None, the whole message)."""
    marked, rest = problems_of(error, fields)
    if marked and not rest:
        return next(iter(marked.items()))
    return None, str(getattr(error, "message", error))


class FormField(Vertical):
    """Label and control on one line (so forms fit 80×24), the field's error on the next. The
    control is an Input by default, or the widget given (a Select, a RadioSet), followed by
    `after` on the same row; `stacked` puts the label above it."""

    DEFAULT_CSS = beside(__file__)

    def __init__(self, label: str, value: str = "", *, input_id: str, placeholder: str = "",
                 label_width: int = 16, tooltip: str | None = None, max_length: int = 0,
                 control: Widget | None = None, aliases: tuple[str, ...] = (), password: bool = False,
                 stacked: bool = False, compact: bool = True, after: tuple[Widget, ...] = (),
                 id: str | None = None) -> None:
        super().__init__(classes="form-field", id=id)
        self.label, self.value, self.input_id = label, value, input_id
        self.placeholder, self.label_width, self.tooltip_text = placeholder, label_width, tooltip
        self.max_length, self.control, self.aliases, self.password = max_length, control, aliases, password
        self.stacked, self.compact, self.after = stacked, compact, after
        self.problem: str | None = None
        if stacked:
            self.add_class("-stacked")

    def compose(self) -> ComposeResult:
        control = self.control or Input(self.value, placeholder=self.placeholder, id=self.input_id,
                                        compact=self.compact, tooltip=self.tooltip_text,
                                        max_length=self.max_length, password=self.password)
        if self.stacked:  # label above the control (the login box)
            yield Label(self.label, classes="form-field-label")
            yield control
        else:
            with Horizontal(classes="form-field-row"):
                label = Label(self.label, classes="form-field-label")
                label.styles.width = self.label_width
                yield label
                yield control
                yield from self.after  # e.g. the GMT offset after a date
        error = Static("", classes="form-error form-field-error")
        if not self.stacked:
            error.styles.padding = (0, 0, 0, self.label_width)  # under the control, past the label
        yield error

    @property
    def input(self) -> Widget:
        """The field's control (its Input unless another widget was given)."""
        return self.control or self.query_one(Input)

    def set_error(self, problem: str | None) -> None:
        self.problem = problem or None
        error = self.query_one(".form-field-error", Static)
        error.update(f"{self.label}: {problem}" if problem else "")
        error.display = bool(problem)
        self.input.set_class(bool(problem), "-invalid-field")
        self.set_class(bool(problem), "-has-error")

    @on(Input.Changed)
    @on(Select.Changed)
    @on(RadioSet.Changed)
    def _edited(self) -> None:
        """A stale error goes as soon as the field is edited; the core judges it again on save."""
        if self.problem is not None:
            self.set_error(None)


def mark_form(root: Widget, error: Exception) -> str | None:
    """Mark every FormField under `root` that `error` names (clearing the others) and focus the
    first bad one; returns what names no field of the form (for its message line), or None."""
    fields = {field.label: field for field in root.query(FormField)}
    marked, rest = problems_of(error, {label: field.aliases for label, field in fields.items()})
    first = None
    for label, field in fields.items():
        field.set_error(marked.get(label))
        if first is None and label in marked and field.display and field.input.focusable:
            first = field
    if first is not None:
        first.input.focus()
    return rest


def clear_form(root: Widget) -> None:
    for field in root.query(FormField):
        field.set_error(None)

"""Esc must not lose work (docs/decisions.md, "Forms"). A modal form remembers the values it
opened with (every Input, Select, Checkbox, Switch and TextArea with an id); leaving it — Esc or
its Cancel button — closes at once when nothing changed, and otherwise asks "Discard …?" with
Keep editing focused first. Keep editing returns to the form with every value as it was.

    class BillingInfoModal(GuardedForm, CoreAnswers, ModalScreen[...]):
        DISCARD_QUESTION = "Discard your billing information changes?"
        BINDINGS = [Binding("escape", "leave_form", "Cancel", ...)]

A form whose values arrive later (read from the core) calls `remember_form()` once they are in."""
from __future__ import annotations

from textual.widgets import Checkbox, Input, Select, Switch, TextArea

from .confirm_dialog import ConfirmDialog

FORM_CONTROLS = (Input, Select, Checkbox, Switch, TextArea)


def form_values(screen) -> dict[str, object]:
    """id → value of every form control on `screen` (the controls a person types or picks in)."""
    values: dict[str, object] = {}
    for widget in screen.query("*"):
        if isinstance(widget, FORM_CONTROLS) and widget.id:
            values[widget.id] = widget.text if isinstance(widget, TextArea) else widget.value
    return values


class GuardedForm:
    """Mixin for a ModalScreen form (before ModalScreen in the bases)."""

    DISCARD_QUESTION = "Discard your changes?"
    DISCARD_DETAIL = "What you typed in this form will be lost."
    _opened_with: dict[str, object] | None = None

    def on_mount(self) -> None:
        # After the first refresh: the controls' own mount has set their starting values.
        self.call_after_refresh(self._remember_if_new)

    def _remember_if_new(self) -> None:
        if self._opened_with is None:
            self.remember_form()

    def remember_form(self) -> None:
        """What the form holds now is what it "opened with": leaving it as it is loses nothing."""
        self._opened_with = form_values(self)

    def form_changed(self) -> bool:
        return self._opened_with is not None and form_values(self) != self._opened_with

    def action_leave_form(self) -> None:
        if not self.form_changed():
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmDialog(self.DISCARD_QUESTION, self.DISCARD_DETAIL, yes="Discard",
                                           no="Keep editing", title="Unsaved changes", safe_first=True),
                             self._leave_answered)

    def _leave_answered(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)

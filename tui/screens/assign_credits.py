"""Assign credits (the guide's "Allocate Credits"): an amount and a user from the distributor's
downline, checked by the core before the confirmation ("Assign 500 credits to inst_credit?"), then
written by credits.assign. Refusals appear under the field they name and the form keeps its values.

Returns (login, amount, balance after) through dismiss(), or None when cancelled."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from smartpay.core.views import AccountView

from ..session import Session
from ..widgets.confirm_dialog import ConfirmDialog
from ..widgets.form_field import FormField, mark_form
from ..widgets.form_guard import GuardedForm
from ..workers import CoreAnswers, core_work

# What the focused box expects, on one line under the list (operators at 80×24 see no tooltips).
HINTS = {
    "assign-amount": "Whole credits, up to your balance · Enter: next",
    "assign-user": "Type to search · ↓ pick from list · Enter submits",
    "assign-users": "Enter picks the highlighted user",
    "assign-submit": "Enter: check, then confirm the assignment",
    "assign-cancel": "Enter: close without assigning",
}


class AssignCreditsModal(GuardedForm, CoreAnswers, ModalScreen[tuple[str, int, int] | None]):
    CSS_PATH = "assign_credits.tcss"
    DISCARD_QUESTION = "Discard this assignment?"
    DISCARD_DETAIL = "The amount and user you typed will be lost; nothing has been assigned."
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", id="assign.submit", tooltip="Check and confirm the assignment"),
        Binding("escape", "cancel", "Cancel", id="assign.cancel", tooltip="Close without assigning (asks first if you typed something)"),
        Binding("down", "to_list", "Users", show=False, id="assign.users",
                tooltip="Move from the user box to the list of your downline"),
    ]

    def __init__(self, session: Session, balance: int | None = None) -> None:
        super().__init__(id="assign-credits")
        self.session = session
        self.balance = balance
        self.downline: list[AccountView] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="assign-box"):
            yield Label("Assign Credits", id="assign-title")
            yield Static(self._available_text(), id="assign-available")
            yield FormField("Amount", input_id="assign-amount", placeholder="credits to assign", label_width=8,
                            id="field-amount")
            yield FormField("User", input_id="assign-user", placeholder="login from your downline (type to search)",
                            label_width=8, id="field-user")
            yield OptionList(id="assign-users")
            yield Static(HINTS["assign-amount"], id="assign-hint", classes="muted")
            yield Static("", id="assign-message", classes="form-error")
            with Horizontal(id="assign-buttons"):
                yield Button("Submit", variant="primary", id="assign-submit")
                yield Button("Cancel", id="assign-cancel")
        yield Footer()

    def _available_text(self) -> str:
        return f"Available Credit: [b]{self.balance:,}[/b]" if self.balance is not None else "Available Credit: …"

    def on_descendant_focus(self, event) -> None:
        hint = HINTS.get(getattr(event.widget, "id", None) or "")
        if hint:
            self.query_one("#assign-hint", Static).update(hint)

    def on_mount(self) -> None:
        self.query_one("#assign-amount", Input).focus()
        self.query_one("#assign-users", OptionList).loading = True
        self._load_downline()

    @core_work(group="assign-downline", done="_downline_loaded", refused="_downline_refused")
    def _load_downline(self) -> tuple[list[AccountView], int]:
        core, actor = self.session.core, self.session.actor
        return core.accounts.users(actor), core.credits.my_balance(actor)

    def _downline_refused(self, error) -> None:
        self._show_message(error.message)

    def _downline_loaded(self, loaded: tuple[list[AccountView], int]) -> None:
        self.downline, self.balance = loaded
        self.query_one("#assign-available", Static).update(self._available_text())
        self.query_one("#assign-users", OptionList).loading = False
        self._fill_users()

    # -- the searchable downline list --------------------------------------------------------
    @on(Input.Changed, "#assign-user")
    def _fill_users(self) -> None:
        needle = self.query_one("#assign-user", Input).value.strip().casefold()
        matches = [u for u in self.downline
                   if not needle or needle in u.login.casefold() or needle in u.name.casefold()]
        users = self.query_one("#assign-users", OptionList)
        users.clear_options()
        users.add_options([Option(self._user_line(u), id=u.login) for u in matches])

    @staticmethod
    def _user_line(user: AccountView, width: int = 44) -> str:
        # One line per user (the list is short on an 80×24 terminal): login, role, then the name cut to fit.
        from rich.markup import escape
        head = f"{user.login} · {user.role.label} · "
        name = user.name if len(head) + len(user.name) <= width else user.name[:max(0, width - len(head) - 1)] + "…"
        return f"{escape(user.login)} [dim]· {user.role.label} · {escape(name)}[/dim]"

    @on(OptionList.OptionSelected, "#assign-users")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        user = self.query_one("#assign-user", Input)
        with user.prevent(Input.Changed):
            user.value = event.option.id or ""
        self.query_one("#field-user", FormField).set_error(None)  # set without Input.Changed: clear it here
        self.query_one("#assign-submit", Button).focus()

    def action_to_list(self) -> None:
        if self.focused is self.query_one("#assign-user", Input):
            self.query_one("#assign-users", OptionList).focus()
        else:
            self.focus_next()

    @on(Input.Submitted, "#assign-amount")
    def _amount_entered(self) -> None:
        self.query_one("#assign-user", Input).focus()

    # -- submit: check → confirm → assign ---------------------------------------------------------
    @on(Input.Submitted, "#assign-user")
    @on(Button.Pressed, "#assign-submit")
    def action_submit(self) -> None:
        self._show_message("")
        self._busy(True)
        self._check(self.query_one("#assign-amount", Input).value, self.query_one("#assign-user", Input).value)

    @core_work(group="assign-write", done="_confirm", refused="_refused")
    def _check(self, amount: str, user: str) -> tuple[str, int]:
        return self.session.core.credits.check_assign(self.session.actor, user, amount)

    def _confirm(self, checked: tuple[str, int]) -> None:
        login, amount = checked
        self._busy(False)
        after = f"Your available credit will be {self.balance - amount:,}." if self.balance is not None else ""
        self.app.push_screen(ConfirmDialog(f"Assign {amount:,} credits to {login}?", after, yes="Assign",
                                           no="Back", title="Assign Credits"),
                             lambda yes: self._assign(login, amount) if yes else None)

    def _assign(self, login: str, amount: int) -> None:
        self._busy(True)
        self._write(login, amount)

    @core_work(group="assign-write", done="dismiss", refused="_refused")
    def _write(self, login: str, amount: int) -> tuple[str, int, int]:
        return login, amount, self.session.core.credits.assign(self.session.actor, login, amount)

    def _refused(self, error: Exception) -> None:
        """Every field the core names gets its problem under it (Amount, User), all at once."""
        self._busy(False)
        self._show_message(mark_form(self, error) or "")

    def _show_message(self, text: str) -> None:
        message = self.query_one("#assign-message", Static)
        message.update(text)
        message.display = bool(text)

    def _busy(self, busy: bool) -> None:
        submit = self.query_one("#assign-submit", Button)
        submit.disabled = busy
        self.query_one("#assign-box").set_class(busy, "-busy")
        if not busy and self.focused is self.query_one("#assign-cancel", Button):
            # Disabling Submit moved the focus on to Cancel: give it back, or Enter after "Back"
            # on the confirmation (or after a refusal) would close the form and lose it.
            submit.focus()

    @on(Button.Pressed, "#assign-cancel")
    def action_cancel(self) -> None:
        self.action_leave_form()

"""New / Edit user (a distributor's installer or sub-distributor), with the "Pay by Installer"
select offering exactly SmartPlus's three choices. The core validates and authorizes; a refusal
marks every field it names at once, in place under the field with its label (widgets.form_field),
and keeps everything typed."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static

from smartpay.core.domain import Grant, Role
from smartpay.core.views import AccountView

from ..session import Session
from ..widgets.form_field import FormField, mark_form
from ..widgets.form_guard import GuardedForm
from ..widgets.grants import GRANT_OPTIONS
from ..workers import CoreAnswers, core_work

ROLE_OPTIONS = [(Role.INSTALLER.label, Role.INSTALLER.value), (Role.SUB_DISTRIBUTOR.label, Role.SUB_DISTRIBUTOR.value)]
LABEL_WIDTH = 18


def form_row(label: str, widget: Widget, row_id: str | None = None) -> FormField:
    """One labelled field of the form (the core names its problems by these labels)."""
    return FormField(label, input_id=widget.id or "", control=widget, label_width=LABEL_WIDTH, id=row_id)


class UserModal(GuardedForm, CoreAnswers, ModalScreen[AccountView | None]):
    CSS_PATH = "user_form.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="user.cancel", tooltip="Close without saving (asks first if you changed something)"),
        Binding("ctrl+s", "save", "Save", id="user.save", tooltip="Save this user"),
    ]

    def __init__(self, session: Session, user: AccountView | None = None,
                 parents: list[AccountView] = ()) -> None:
        """`parents`: the sub-distributors a new user may also sit below (besides the actor)."""
        super().__init__(id="user-modal")
        self.session = session
        self.user = user
        self.parents = list(parents)
        self.DISCARD_QUESTION = f"Discard your changes to {user.login}?" if user else "Discard the new user?"

    def compose(self) -> ComposeResult:
        user = self.user
        is_installer = user is None or user.role == Role.INSTALLER
        with Vertical(id="user-box"):
            yield Label(f"Edit user {user.login}" if user else "New user", id="user-title")
            if user is None:
                yield form_row("Role", Select(ROLE_OPTIONS, value=Role.INSTALLER.value, allow_blank=False,
                                              id="user-role", compact=True))
                me = self.session.actor
                parents = [(f"{me.login} (you)", me.login)] + [(f"{p.login} — {p.name}", p.login)
                                                               for p in self.parents]
                yield form_row("Parent", Select(parents, value=me.login, allow_blank=False, id="user-parent",
                                                compact=True))
                yield form_row("Login", Input(placeholder="3-64 letters, digits . _ @ -", id="user-login",
                                              compact=True))
            else:
                yield Horizontal(Label("Role", classes="form-label"), Label(user.role.label, id="user-role-label"),
                                 classes="form-row")
            yield form_row("Name", Input(user.name if user else "", id="user-name", compact=True))
            yield form_row("Email", Input(user.email or "" if user else "", placeholder="optional",
                                          id="user-email", compact=True))
            if user is None:
                yield form_row("Password", Input(placeholder="at least 8 characters", password=True,
                                                 id="user-password", compact=True))
            grant = Select(GRANT_OPTIONS, value=(user.pay_by_installer.value if user else Grant.NONE.value),
                           allow_blank=False, id="user-grant", compact=True)
            row = form_row("Pay by Installer", grant, row_id="user-grant-row")
            row.display = is_installer
            yield row
            yield Static("", id="user-error", classes="form-error")  # what names no field
            with Horizontal(id="user-buttons"):
                yield Button("Save", variant="primary", id="user-save", compact=True)
                yield Button("Cancel", id="user-cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#user-role" if self.user is None else "#user-name").focus()

    @on(Select.Changed, "#user-role")
    def _role_changed(self, event: Select.Changed) -> None:
        self.query_one("#user-grant-row").display = event.value == Role.INSTALLER.value

    @on(Input.Submitted)
    @on(Button.Pressed, "#user-save")
    def action_save(self) -> None:
        values = {"name": self.query_one("#user-name", Input).value,
                  "email": self.query_one("#user-email", Input).value}
        grant_row = self.query_one("#user-grant-row")
        grant = str(self.query_one("#user-grant", Select).value) if grant_row.display else None
        if self.user is None:
            values.update(role=str(self.query_one("#user-role", Select).value),
                          parent=str(self.query_one("#user-parent", Select).value),
                          login=self.query_one("#user-login", Input).value,
                          password=self.query_one("#user-password", Input).value,
                          pay_by_installer=grant or Grant.NONE.value)
        else:
            values.update(login=self.user.login, pay_by_installer=grant)
        self.query_one("#user-error", Static).update("Saving…")
        self.query_one("#user-save", Button).disabled = True
        self._save(values)

    @core_work(group="user-save", done="dismiss", refused="_refused")
    def _save(self, values: dict) -> AccountView:
        accounts = self.session.core.accounts
        if self.user is None:
            return accounts.create_user(self.session.actor, **values)
        return accounts.update_user(self.session.actor, **values)

    def _refused(self, error) -> None:
        """Every field the core names gets its problem under it; the typed values stay."""
        self.query_one("#user-save", Button).disabled = False
        self.query_one("#user-error", Static).update(mark_form(self, error) or "")

    @on(Button.Pressed, "#user-cancel")
    def action_cancel(self) -> None:
        self.action_leave_form()

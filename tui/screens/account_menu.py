"""The small menu under the account name (top right): Credit Logs, Billing information, SSH keys,
Log out.
It returns the chosen entry's key (or None) through dismiss()."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from ..session import Session

ENTRIES = (("credit_logs", "Credit Logs"), ("billing", "Billing information"), ("ssh_keys", "SSH keys"),
           ("logout", "Log out"))


class AccountMenu(ModalScreen[str | None]):
    CSS_PATH = "account_menu.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="account.close", tooltip="Close the menu")]

    def __init__(self, session: Session) -> None:
        super().__init__(id="account-menu")
        self.session = session

    def compose(self) -> ComposeResult:
        actor = self.session.actor
        with Vertical(id="account-box"):
            yield Label(f"{actor.name}", id="account-name")
            yield Label(f"{actor.login} · {actor.role.label}", id="account-login")
            yield OptionList(*[Option(title, id=key) for key, title in ENTRIES], id="account-options")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_click(self, event) -> None:
        # A click outside the menu closes it, like a popup.
        if event.widget is self:
            self.dismiss(None)

"""The property manager's project switcher (header, ctrl+t or a click on the project name): the
projects the core says it manages, by name, plus "All my projects". The desk then shows the
chosen project only (Subscription, and the wizard starts on it); the core still decides what the
manager may see and pay.

Returns the chosen ProjectView, ALL for every project, or None when closed."""
from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from smartpay.core.views import ProjectView

from ..session import Session
from ..workers import CoreAnswers, core_work

ALL = "all"


class ProjectSwitch(CoreAnswers, ModalScreen["ProjectView | str | None"]):
    CSS_PATH = "account_menu.tcss"   # the same small popup as the account menu
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="project_switch.close",
                        tooltip="Keep the current project")]

    def __init__(self, session: Session) -> None:
        super().__init__(id="project-switch")
        self.session = session
        self.projects: dict[str, ProjectView] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="account-box"):
            yield Label("Switch project", id="account-name")
            yield Label("The desk shows the chosen project only", id="account-login")
            yield OptionList(id="account-options")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.loading = True
        listing.focus()
        self._load()

    @core_work(group="project-switch", done="_loaded")
    def _load(self) -> list[ProjectView]:
        return self.session.core.accounts.projects(self.session.actor)

    def _loaded(self, projects: list[ProjectView]) -> None:
        self.projects = {str(p.id): p for p in projects}
        listing = self.query_one(OptionList)
        listing.loading = False
        listing.add_options([Option(f"{escape(p.name)} [dim]· {p.type.label}[/dim]", id=str(p.id)) for p in projects]
                            + [Option("All my projects", id=ALL)])
        current = self.session.project
        # A list that takes focus has a highlighted option at once (issue 10 #10): Enter works.
        ids = [str(p.id) for p in projects] + [ALL]
        listing.highlighted = ids.index(str(current.id)) if current and str(current.id) in ids else 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(ALL if event.option.id == ALL else self.projects[event.option.id])

    def on_click(self, event) -> None:
        if event.widget is self:
            self.dismiss(None)

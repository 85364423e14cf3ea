"""Step 2, Purchase Details: the target sites (check them, or all; a filter narrows the list) and
the service types (or All). The price is shown as the selection changes: the screen quotes it
in a worker, debounced, and calls `show_price`.

A distributor may list 10,000 sites: they sit in a CheckTable (lines drawn on demand, checks in
a set), so checking all or filtering repaints only what is on screen."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from smartpay.core.domain import SERVICE_TYPES, ProjectType
from smartpay.core.services.wizard_queries import SiteRow

from ...widgets.check_table import CheckTable
from ...widgets.debounce import Debouncer
from ...widgets.ticks import TickList
from .state import WizardChoices

# Created matters: credit payment is only for commercial sites created after the cut-off (R3).
SITE_COLUMNS = ("Site", "Created", "Installer")


class PurchaseDetailsStep(Vertical):
    def __init__(self, choices: WizardChoices, *, id: str = "page-details") -> None:
        super().__init__(id=id, classes="wiz-page")
        self.choices = choices
        self.loaded_type: str | None = None
        self._filter_later = Debouncer(self, self.apply_filter)

    def compose(self) -> ComposeResult:
        with Horizontal(id="wiz-details"):
            with Vertical(id="wiz-sites-col"):
                with Horizontal(classes="wiz-toolbar"):
                    yield Input(placeholder="Filter sites", compact=True, id="wiz-site-filter")
                    yield Button("All", compact=True, id="wiz-sites-all", tooltip="Check every site shown (ctrl+a)")
                yield CheckTable(SITE_COLUMNS, checked=self.choices.sites, id="wiz-sites")
                yield Static("", id="wiz-sites-count", classes="muted")
            with Vertical(id="wiz-services-col"):
                yield Label("Service Type", classes="wiz-heading")
                yield TickList[str](compact=True, id="wiz-services")
                yield Button("All", compact=True, id="wiz-services-all", tooltip="Select every service type")

    # -- sites --------------------------------------------------------------------------------
    @staticmethod
    def site_rows(projects: list[SiteRow], ptime) -> tuple[list[int], list[tuple[str, ...]]]:
        """Keys and cells of the sites (built in the loading worker: 10,000 dates to format)."""
        day = {}
        rows = []
        for p in projects:
            created = ptime.local_date(p.created_at)
            rows.append((p.name, day.setdefault(created, created.isoformat()), p.installer_login))
        return [p.id for p in projects], rows

    def set_sites(self, keys: list[int], rows: list[tuple[str, ...]]) -> None:
        """List the sites; a fresh list starts with every site checked ("check them all")."""
        table = self.query_one(CheckTable)
        keep = bool(self.choices.sites) and self.choices.sites <= set(keys)
        table.set_data(keys, rows)
        if not keep:
            table.checked.update(keys)
        self.choices.site_count = len(keys)
        table.loading = False
        self._count()

    @on(Input.Changed, "#wiz-site-filter")
    def _filter_typed(self) -> None:
        self._filter_later()

    @on(Input.Submitted, "#wiz-site-filter")
    def _filter_now(self) -> None:
        self._filter_later.flush()

    def apply_filter(self) -> None:
        self.query_one(CheckTable).apply_filter(self.query_one("#wiz-site-filter", Input).value)
        self._count()

    @on(Button.Pressed, "#wiz-sites-all")
    def _all_sites(self) -> None:
        self.query_one(CheckTable).action_toggle_all()

    @on(CheckTable.Changed)
    def _sites_changed(self) -> None:
        self._count()

    def _count(self) -> None:
        table = self.query_one(CheckTable)
        tail = (f" · {len(table.keys):,} shown" if table.filter_text.strip()
                else " · space: check · ctrl+a: all")
        self.query_one("#wiz-sites-count", Static).update(
            f"{len(self.choices.sites):,} of {len(table.all_keys):,} checked{tail}")

    # -- service types ------------------------------------------------------------------------
    def set_services(self, project_type: str) -> None:
        """The service types of the project type; all selected when the type changed."""
        services = SERVICE_TYPES[ProjectType(project_type)]
        chosen = set(services) if self.choices.all_services else set(self.choices.service_types)
        if self.loaded_type != project_type:
            chosen = set(services)
            self.choices.all_services, self.choices.service_types = True, ()
        self.loaded_type = project_type
        listing = self.query_one("#wiz-services", SelectionList)
        listing.clear_options()
        listing.add_options([Selection(label, key, key in chosen) for key, label in services.items()])

    @on(Button.Pressed, "#wiz-services-all")
    def _all_services(self) -> None:
        self.query_one("#wiz-services", SelectionList).select_all()

    @on(SelectionList.SelectedChanged, "#wiz-services")
    def _services_changed(self, event: SelectionList.SelectedChanged) -> None:
        selected = event.selection_list.selected
        total = event.selection_list.option_count
        # Every type selected is "All" (the core then takes new service types too).
        self.choices.all_services = len(selected) == total
        self.choices.service_types = tuple(selected)
        self.post_message(CheckTable.Changed(self.query_one(CheckTable)))

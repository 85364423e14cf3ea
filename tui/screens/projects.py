"""Projects (installers): the installer's sites by type, with creation date (platform time with
its GMT offset), item counts and the "Pay By PM" grant; Edit opens the project."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Tab, Tabs

from smartpay.core.domain import ProjectType
from smartpay.core.views import ProjectView

from ..widgets.grants import short_grant
from ..widgets.pane import SectionPane
from ..workers import core_work

# Counts and the grant before the long date, so 80 columns show what an installer checks first.
COLUMNS = ("Site", "Type", "Items", "Active", "Pay By PM", "Created", "Managers", "ID")
TYPE_TABS = (("all", "All"),) + tuple((t.value, t.label) for t in ProjectType)


class ProjectsPane(SectionPane):
    PALETTE = (("Edit project", "Open the highlighted project (Pay By PM)", "edit_project"),)
    BINDINGS = [
        Binding("ctrl+e", "edit_project", "Edit", id="projects.edit", tooltip="Open the highlighted project"),
        Binding("ctrl+r", "reload", "Reload", id="projects.reload", show=False, tooltip="Load the list again"),
    ]

    def __init__(self, session, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.projects: list[ProjectView] = []
        self.shown: list[ProjectView] = []

    def compose(self) -> ComposeResult:
        yield Label("Projects", classes="pane-title")
        yield Tabs(*[Tab(title, id=f"type-{key}") for key, title in TYPE_TABS], id="project-types")
        yield DataTable(id="projects-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="projects-count", classes="muted")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one(DataTable).loading = True
        self._load()

    @core_work(group="projects-load", done="_loaded", refused="_load_refused")
    def _load(self) -> list[ProjectView]:
        return self.core.accounts.projects(self.actor)

    def _load_refused(self, error) -> None:
        self.report(error)
        self._loaded([])

    def _loaded(self, projects: list[ProjectView]) -> None:
        self.projects = projects
        self.query_one(DataTable).loading = False
        self.apply_filter()

    @property
    def type_filter(self) -> str:
        active = self.query_one(Tabs).active or "type-all"
        return active.removeprefix("type-")

    @on(Tabs.TabActivated, "#project-types")
    def _type_changed(self) -> None:
        if self.is_mounted:
            self.apply_filter()

    def apply_filter(self) -> None:
        kind = self.type_filter
        self.shown = [p for p in self.projects if kind == "all" or p.type.value == kind]
        fmt = self.core.ptime.format
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows([(p.name, p.type.label, str(p.item_count), str(p.active_count),
                         "—" if p.type == ProjectType.SINGLE_FAMILY else short_grant(p.pay_by_pm),
                         fmt(p.created_at), ", ".join(p.managers), str(p.id)) for p in self.shown])
        self.query_one("#projects-count", Label).update(f"{len(self.shown)} projects")

    def highlighted(self) -> ProjectView | None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.shown):
            return self.shown[table.cursor_row]
        return None

    @on(DataTable.RowSelected, "#projects-table")
    def action_edit_project(self) -> None:
        project = self.highlighted()
        if project is None:
            self.notify("Choose a project in the list first", severity="warning")
            return
        from .project_edit import ProjectEditModal
        self.app.push_screen(ProjectEditModal(self.session, project), self._saved)

    def _saved(self, project: ProjectView | None) -> None:
        if project is not None:
            self.notify(f"Saved '{project.name}'", timeout=3)
            self.action_reload()

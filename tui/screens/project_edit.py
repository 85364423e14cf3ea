"""Edit project: its basic facts and the "Pay By PM" grant (R2) the installer gives the site's
property managers. Community projects keep it on an "Advanced Info" tab, as SmartPlus does;
single-family projects have no property manager, hence no Pay By PM (docs/decisions.md).

The select shows every value; the core says which may be set on this project (grants.
pay_by_pm_choices: Credit only where credits could ever pay, R3) and the refused ones are greyed
with its reason, which is also written under the select. Saving asks the core again."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Select, Static, TabbedContent, TabPane

from smartpay.core.domain import ProjectType
from smartpay.core.views import ProjectView

from ..session import Session
from ..widgets.form_field import FormField, mark_form
from ..widgets.form_guard import GuardedForm
from ..widgets.grants import GRANT_OPTIONS, GrantSelect
from ..workers import CoreAnswers, core_work


class ProjectEditModal(GuardedForm, CoreAnswers, ModalScreen[ProjectView | None]):
    CSS_PATH = "project_edit.tcss"
    DISCARD_QUESTION = "Discard your Pay By PM change?"
    DISCARD_DETAIL = "The project keeps the Pay By PM it had."
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="project.cancel", tooltip="Close without saving (asks first if you changed something)"),
        Binding("ctrl+s", "save", "Save", id="project.save", tooltip="Save Pay By PM"),
    ]

    def __init__(self, session: Session, project: ProjectView) -> None:
        super().__init__(id="project-modal")
        self.session = session
        self.project = project

    @property
    def has_pay_by_pm(self) -> bool:
        return self.project.type != ProjectType.SINGLE_FAMILY

    def _basic(self) -> ComposeResult:
        p, fmt = self.project, self.session.core.ptime.format
        for label, value in (("Site", p.name), ("Type", p.type.label), ("Created", fmt(p.created_at)),
                             ("Items", f"{p.item_count} ({p.active_count} active)"),
                             ("Property managers", ", ".join(p.managers) or "—")):
            yield Horizontal(Label(label, classes="form-label"), Label(value, classes="form-value"),
                             classes="form-row")

    def _pay_by_pm(self) -> ComposeResult:
        yield FormField("Pay By PM", input_id="project-pay-by-pm", label_width=18, id="field-pay-by-pm",
                        control=GrantSelect(GRANT_OPTIONS, value=self.project.pay_by_pm.value, allow_blank=False,
                                            id="project-pay-by-pm", compact=True))
        yield Static("Whether the site's property managers may pay for its services, and how.",
                     id="project-pay-by-pm-note", classes="muted")

    def compose(self) -> ComposeResult:
        with Vertical(id="project-box"):
            yield Label(f"Edit project — {self.project.name}", id="project-title")
            if self.project.type == ProjectType.COMMUNITY:
                with TabbedContent(id="project-tabs"):
                    with TabPane("Basic Info", id="tab-basic"):
                        yield from self._basic()
                    with TabPane("Advanced Info", id="tab-advanced"):
                        yield from self._pay_by_pm()
            else:
                yield from self._basic()
                if self.has_pay_by_pm:
                    yield from self._pay_by_pm()
                else:
                    yield Static("Single-family projects have no property manager, so there is no Pay By PM.",
                                 id="project-no-pm", classes="muted")
            yield Static("", id="project-error", classes="form-error")
            with Horizontal(id="project-buttons"):
                if self.has_pay_by_pm:
                    yield Button("Save", variant="primary", id="project-save", compact=True)
                yield Button("Cancel" if self.has_pay_by_pm else "Close", id="project-cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        if self.has_pay_by_pm:
            self._load_choices()
        if self.query("#project-tabs"):
            self.query_one("#project-tabs").focus()
        elif self.has_pay_by_pm:
            self.query_one("#project-pay-by-pm").focus()
        else:
            self.query_one("#project-cancel").focus()

    @core_work(group="project-choices", done="_choices_loaded", refused="_refused")
    def _load_choices(self):
        return self.session.core.grants.pay_by_pm_choices(self.session.actor, self.project.id)

    def _choices_loaded(self, choices) -> None:
        self.query_one("#project-pay-by-pm", GrantSelect).set_choices(choices)
        refused = [c for c in choices if not c.allowed]
        if refused:
            self.query_one("#project-pay-by-pm-note", Static).update(
                "Whether the site's property managers may pay for its services, and how. " +
                " ".join(f"{c.label.split(' (')[0]} cannot be granted here: {c.reason}." for c in refused))

    def show_advanced(self) -> None:
        """Open the Advanced Info tab (community projects)."""
        self.query_one("#project-tabs", TabbedContent).active = "tab-advanced"

    @on(Button.Pressed, "#project-save")
    def action_save(self) -> None:
        if not self.has_pay_by_pm:
            return
        grant = str(self.query_one("#project-pay-by-pm", Select).value)
        self.query_one("#project-error", Static).update("Saving…")
        self.query_one("#project-save", Button).disabled = True
        self._save(grant)

    @core_work(group="project-save", done="dismiss", refused="_refused")
    def _save(self, grant: str) -> ProjectView:
        return self.session.core.grants.set_pay_by_pm(self.session.actor, self.project.id, grant)

    def _refused(self, error) -> None:
        for save in self.query("#project-save"):
            save.disabled = False
        # A refused grant is written under its select (the core's reason), never in a toast.
        self.query_one("#project-error", Static).update(mark_form(self, error) or "")

    @on(Button.Pressed, "#project-cancel")
    def action_cancel(self) -> None:
        self.action_leave_form()

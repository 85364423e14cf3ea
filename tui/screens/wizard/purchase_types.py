"""Step 1, Purchase Types: whose projects (distributors: the installer; property managers: the
project, switched by name), the project type, Activate / Renew / Credit, and how to pay
(Regular Payment or Credit Payment). Which purposes a role may order and which ways to pay its
grant allows are the core's answers (core.services.payment_preview); this step shows them."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, RadioSet, Select, Static
from textual.widgets._select import SelectCurrent

from ...widgets.ticks import RadioChoice as RadioButton  # (•)/( ): differ without colour

from smartpay.core.domain import PayIn, ProjectType, Purpose, Role
from smartpay.core.services.payment_preview import MethodBrief, PayInChoices, purposes_for

from .fields import labelled
from .methods_text import methods_phrase
from .state import WizardChoices

# The wizard's own words for the purposes (the order screens say "Monthly Fee" for a renewal).
PURPOSE_LABELS = {Purpose.ACTIVATION: "Activate", Purpose.RENEWAL: "Renew", Purpose.CREDIT_PURCHASE: "Credit"}
CREDIT_CLAUSE = "Credit Payment is ONLY for commercial projects created after June 1, 2025."


class PurchaseTypesStep(Vertical):
    def __init__(self, role: Role, choices: WizardChoices, *, id: str = "page-types") -> None:
        super().__init__(id=id, classes="wiz-page")
        self.role, self.choices = role, choices

    def compose(self) -> ComposeResult:
        c = self.choices
        yield Label("Purchase Types", classes="wiz-heading")
        if self.role.is_distributor:
            yield labelled("Installer", Select([("All installers", "")], value="", allow_blank=False,
                                               compact=True, id="wiz-installer"))
        if self.role == Role.PROPERTY_MANAGER:
            yield labelled("Project", Select([], prompt="Choose the project", compact=True, id="wiz-project"))
            yield labelled("Project Type", Label("", id="wiz-project-type"))
        else:
            yield labelled("Project Type", Select([(t.label, t.value) for t in ProjectType], value=c.project_type,
                                                  allow_blank=False, compact=True, id="wiz-type"), id="wiz-type-row")
        yield labelled("Purchase Type", RadioSet(*[RadioButton(PURPOSE_LABELS[p], value=p == c.purpose,
                                                               id=f"wiz-purpose-{p}")
                                                   for p in purposes_for(self.role)], compact=True, id="wiz-purpose"))
        yield labelled("Payment", RadioSet(*[RadioButton(p.label, value=p == c.pay_in, id=f"wiz-pay-{p}")
                                             for p in PayIn], compact=True, id="wiz-pay-in"),
                       id="wiz-pay-row")
        yield Static(CREDIT_CLAUSE, classes="muted wiz-note", id="wiz-types-note")
        yield Static("", classes="muted wiz-note", id="wiz-types-info")

    def on_mount(self) -> None:
        self.sync()

    # -- filled by the screen once loaded ----------------------------------------------------
    def set_installers(self, installers: list[tuple[str, str]]) -> None:
        self.installers = installers
        self._installer_options()

    def _installer_options(self) -> None:
        """For Credit the installer is whose balance the credits land in (R15, "Choose the desired
        installer and select Credit"); none chosen, they land in the buyer's own."""
        found = self.query("#wiz-installer")
        if not found:
            return
        select = found.first(Select)
        first = "Myself (my own balance)" if self.choices.is_credit_purchase else "All installers"
        select.set_options([(first, ""), *getattr(self, "installers", [])])
        select.value = self.choices.installer
        if not self.choices.installer:  # the value did not change, so Select keeps showing the old label
            select.query_one(SelectCurrent).update(first)

    def set_projects(self, projects: list[tuple[str, int]]) -> None:
        select = self.query_one("#wiz-project", Select)
        select.set_options(projects)
        if self.choices.pm_project is not None:
            select.value = self.choices.pm_project

    def set_methods(self, money_methods: tuple[MethodBrief, ...]) -> None:
        """The note under the choices names the installed methods, as their plugins label them."""
        self.query_one("#wiz-types-note", Static).update(
            f"{PayIn.MONEY.label}: {methods_phrase(money_methods)}. {CREDIT_CLAUSE}")

    def set_info(self, text: str) -> None:
        self.query_one("#wiz-types-info", Static).update(text)

    def set_project_type_label(self, text: str) -> None:
        self.query_one("#wiz-project-type", Label).update(text)

    def sync(self) -> None:
        """Show or hide what depends on the choices (no payment choice for a credit purchase)."""
        self.query_one("#wiz-pay-row").display = not self.choices.is_credit_purchase
        self._installer_options()
        for row in self.query("#wiz-type-row"):  # credits are bought, not tied to a project type
            row.display = not self.choices.is_credit_purchase

    # -- the operator's changes go straight into the shared choices ---------------------------
    @on(Select.Changed, "#wiz-installer")
    def _installer(self, event: Select.Changed) -> None:
        if event.value is not Select.BLANK:
            self.choices.installer = str(event.value)

    @on(Select.Changed, "#wiz-type")
    def _type(self, event: Select.Changed) -> None:
        if event.value is not Select.BLANK:
            self.choices.project_type = ProjectType(event.value)

    @on(Select.Changed, "#wiz-project")
    def _project(self, event: Select.Changed) -> None:
        self.choices.pm_project = None if event.value is Select.BLANK else int(event.value)

    @on(RadioSet.Changed, "#wiz-purpose")
    def _purpose(self, event: RadioSet.Changed) -> None:
        self.choices.purpose = Purpose(event.pressed.id.removeprefix("wiz-purpose-"))
        self.sync()

    @on(RadioSet.Changed, "#wiz-pay-in")
    def _pay_in(self, event: RadioSet.Changed) -> None:
        self.choices.pay_in = PayIn(event.pressed.id.removeprefix("wiz-pay-"))

    def show_pay_in(self, choices: PayInChoices) -> None:
        """Press the radio of `choices.pay_in` (set by the screen from the core's default) and grey
        out the ways to pay the core says the grant does not allow. The core refuses them anyway
        (R1/R2); greyed, the operator is not sent on to be refused at the next step."""
        for option in choices.options:
            self.query_one(f"#wiz-pay-{option.pay_in}", RadioButton).disabled = not option.allowed
        self.query_one(f"#wiz-pay-{self.choices.pay_in}", RadioButton).value = True

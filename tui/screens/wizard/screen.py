"""The subscription wizard: 1 Purchase Types → 2 Purchase Details → 3 Payment Information →
4 Confirmation, then Pay places the order and opens the Pending Order screen.

This module is the controller: it owns the operator's choices (state.WizardChoices, shared by
the steps, so Back shows them again), moves between the pages, and makes every core call in a
thread worker. A refused step (no grant, not eligible, any core refusal) is reported through the
desk's one error path and leaves the page and every choice as they were. Dismisses with the
placed order's transaction number, or None when closed."""
from __future__ import annotations

import dataclasses
import datetime as dt

from ...terminal_safe import markup_text as escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Checkbox, ContentSwitcher, Footer, Input, RadioSet, Select, Static

from smartpay.core.domain import Grant, Role
from smartpay.core.errors import InvalidInput, SmartpayError
from smartpay.core.money import Money
from smartpay.core.services.wizard_queries import SiteRow, sites
from smartpay.core.views import BillingInfoView, ProjectView, Quote

from ...session import Session
from ...widgets.check_table import CheckTable
from ...widgets.debounce import Debouncer
from ...widgets.feedback import CoreFailed
from .confirmation import ConfirmationStep
from .credits import CreditsStep
from .payment_info import PaymentInfoStep
from .purchase_details import PurchaseDetailsStep
from .purchase_types import PurchaseTypesStep
from .quoting import QuoteSteps, price_markup
from .renewal import RenewalStep
from .state import PAGES, RENEWAL, STEP_TITLES, WizardChoices

DEFAULT_RENEW_DAYS = 30  # "Renew To" starts 30 days ahead; the operator types the date wanted
QUOTE_DELAY = 0.2        # seconds of calm before the price is quoted again
# The kinds of payment an installer's or property manager's grant allows (R2): the others are greyed.
_GRANTED = {Grant.REGULAR: frozenset({"money"}), Grant.CREDIT: frozenset({"credit"}), Grant.NONE: frozenset()}


def steps_markup(current: int) -> str:
    parts = []
    for n, title in enumerate(STEP_TITLES, start=1):
        parts.append(f"[reverse b] {n} {title} [/]" if n == current else f"[dim] {n} {title} [/dim]")
    return "".join(parts)


class SubscriptionWizard(QuoteSteps, Screen[str | None]):
    CSS_PATH = "wizard.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", id="wizard.next", tooltip="Check this step and go to the next one"),
        Binding("ctrl+b", "back", "Back", id="wizard.back", tooltip="Previous step (your choices are kept)"),
        Binding("ctrl+e", "edit_billing", "Billing", id="wizard.billing", show=False,
                tooltip="Edit the billing information"),
        Binding("escape", "close", "Close", id="wizard.close", tooltip="Leave the wizard without ordering"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(id="subscription-wizard")
        self.session = session
        self.choices = WizardChoices()
        self.page = "types"
        self.quote: Quote | None = None          # the last complete quote: what Pay will order
        self.billing: BillingInfoView | None = None
        self.per_credit: Money | None = None
        self.balance = 0
        self.grant: Grant | None = None          # installers: Pay by Installer
        self.pm_projects: dict[int, ProjectView] = {}
        self.sites_scope: tuple | None = None
        self.last_error: Exception | None = None
        self.busy = False
        self._quote_gen = 0
        self._terms_for: tuple | None = None  # what was on the confirmation page when last shown
        self._quote_later = Debouncer(self, self._start_quote, QUOTE_DELAY)

    @property
    def core(self):
        return self.session.core

    @property
    def actor(self):
        return self.session.actor

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        offset = self.core.ptime.offset_label(self.core.clock.now())
        yield Static(steps_markup(1), id="wiz-steps")
        with ContentSwitcher(initial="page-types", id="wiz-pages"):
            yield PurchaseTypesStep(self.actor.role, self.choices)
            yield PurchaseDetailsStep(self.choices)
            yield RenewalStep(self.choices, offset)
            yield CreditsStep(self.choices)
            yield PaymentInfoStep(self.choices)
            yield ConfirmationStep(self.choices)
        with Horizontal(id="wiz-bar"):
            yield Button("Back", compact=True, id="wiz-back", disabled=True)
            yield Static("", id="wiz-price")
            yield Button("Next", variant="primary", compact=True, id="wiz-next")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#wiz-next", Button).disabled = True
        self._load_start()

    # -- first load ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="wizard-start")
    def _load_start(self) -> None:
        core, actor = self.core, self.actor
        try:
            found = dict(billing=core.billing.get(actor), balance=core.credits.my_balance(actor),
                         per_credit=core.price_list.money(core.price_list.price_per_credit),
                         today=core.ptime.local_date(core.clock.now()))
            if actor.role.is_distributor:
                found["installers"] = [(f"{a.login} — {a.name}", a.login)
                                       for a in core.accounts.users(actor, role="installer")]
            elif actor.role == Role.INSTALLER:
                found["grant"] = core.accounts.me(actor).pay_by_installer
            elif actor.role == Role.PROPERTY_MANAGER:
                found["projects"] = core.accounts.projects(actor)
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._started, found)

    def _started(self, found: dict) -> None:
        types = self.query_one(PurchaseTypesStep)
        self.billing, self.balance, self.per_credit = found["billing"], found["balance"], found["per_credit"]
        if not self.choices.renew_to:
            self.choices.renew_to = (found["today"] + dt.timedelta(days=DEFAULT_RENEW_DAYS)).isoformat()
            self.query_one("#wiz-renew-to", Input).value = self.choices.renew_to
        role = self.actor.role
        if role.is_distributor:
            types.set_installers(found["installers"])
            types.set_info(f"Available Credit: {self.balance:,}")
        elif role == Role.INSTALLER:
            self.grant = found["grant"]
            self.choices.pay_in = "credit" if self.grant == Grant.CREDIT else "money"
            types.show_pay_in(_GRANTED[self.grant])
            types.set_info(f"Pay by Installer: {self.grant.label}")
        else:
            self.pm_projects = {p.id: p for p in found["projects"]}
            types.set_projects([(p.name, p.id) for p in found["projects"]])
            if self.choices.pm_project is None and found["projects"]:
                self._pm_project_chosen(found["projects"][0].id)
                self.query_one("#wiz-project", Select).value = found["projects"][0].id
        self.query_one(CreditsStep).show_balance(self.balance)
        self.query_one(PaymentInfoStep).show_billing(self.billing)
        self.query_one("#wiz-next", Button).disabled = False

    @on(Select.Changed, "#wiz-project")
    def _pm_project_select(self, event: Select.Changed) -> None:
        if event.value is not Select.BLANK:
            self._pm_project_chosen(int(event.value))

    def _pm_project_chosen(self, project_id: int) -> None:
        """A property manager switched project: its type and Pay By PM decide the rest."""
        project = self.pm_projects.get(project_id)
        if project is None:
            return
        self.choices.pm_project = project_id
        self.choices.project_type = project.type.value
        self.choices.pay_in = "credit" if project.pay_by_pm == Grant.CREDIT else "money"
        types = self.query_one(PurchaseTypesStep)
        types.show_pay_in(_GRANTED[project.pay_by_pm])
        types.set_project_type_label(project.type.label)
        types.set_info(f"Pay By PM for '{project.name}': {project.pay_by_pm.label}")

    # -- moving between pages -----------------------------------------------------------------
    def show_page(self, page: str) -> None:
        self.page = page
        self.query_one("#wiz-pages", ContentSwitcher).current = f"page-{page}"
        self.query_one("#wiz-steps", Static).update(steps_markup(PAGES[page]))
        self.query_one("#wiz-back", Button).disabled = page == "types"
        self.query_one("#wiz-next", Button).label = "Pay" if page == "confirm" else "Next"
        bar = self.query_one("#wiz-price", Static)
        bar.update("")
        if page in ("billing", "confirm") and self.quote is not None and not self.choices.is_credit_purchase:
            bar.update(price_markup(self.quote, self.choices.pay_in))
        if page in ("details", "renewal"):
            self._quote_later()
        elif page == "credits":
            self._show_credit_price()
        elif page == "billing":
            self._show_billing_step()
        elif page == "confirm" and self.choices.is_credit_purchase:
            self._show_credit_price()
        self.call_after_refresh(self._focus_page)

    def _focus_page(self) -> None:
        page = self.query_one(f"#page-{self.page}")
        focusable = [w for w in page.query("Select, RadioSet, CheckTable, Input, Checkbox, Button") if w.focusable]
        if focusable:
            focusable[0].focus()

    def previous_page(self) -> str | None:
        c = self.choices
        return {"details": "types", "credits": "types", "renewal": "details",
                "billing": "credits" if c.is_credit_purchase else "renewal" if c.purpose == RENEWAL else "details",
                "confirm": "billing"}.get(self.page)

    def action_back(self) -> None:
        previous = self.previous_page()
        if previous and not self.busy:
            self.show_page(previous)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#wiz-back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#wiz-next")
    def _next_pressed(self) -> None:
        self.action_next()

    def action_next(self) -> None:
        if self.busy or self.query_one("#wiz-next", Button).disabled:
            return
        try:
            if self.page == "types":
                self._leave_types()
            elif self.page == "details":
                self._check_local_details()
                self._checking(self._check_details)
            elif self.page == "renewal":
                self._checking(self._check_renewal)
            elif self.page == "credits":
                self._check_credits()
            elif self.page == "billing":
                self._checking(self._check_billing)
            elif self.page == "confirm":
                self._checking(self._pay)
        except SmartpayError as exc:
            self._refused(exc)

    def _checking(self, worker) -> None:
        self.busy = True
        self.query_one("#wiz-next", Button).disabled = True
        worker(dataclasses.replace(self.choices, sites=set(self.choices.sites)))

    def _done_checking(self) -> None:
        self.busy = False
        self.query_one("#wiz-next", Button).disabled = False

    def _refused(self, error: Exception) -> None:
        """The one way a refusal reaches the operator: the app's error path; nothing is reset."""
        self._done_checking()
        self.last_error = error
        field = getattr(error, "field", None)
        self.query_one(RenewalStep).mark(field)
        self.query_one(CreditsStep).mark(field == "credits")
        self.post_message(CoreFailed(error))

    # -- step 1 -------------------------------------------------------------------------------
    def _leave_types(self) -> None:
        c = self.choices
        if c.is_credit_purchase:
            self.show_page("credits")
            return
        if self.actor.role == Role.PROPERTY_MANAGER and c.pm_project is None:
            raise InvalidInput("Project", "choose the project to pay for")
        scope = (c.installer, c.project_type, c.pm_project)
        details = self.query_one(PurchaseDetailsStep)
        details.set_services(c.project_type)
        if scope != self.sites_scope:
            self.sites_scope = scope
            c.sites.clear()
            c.site_count = 0
            self.query_one(CheckTable).loading = True
            self._load_sites(scope)
        self.show_page("details")

    @work(thread=True, exclusive=True, group="wizard-sites")
    def _load_sites(self, scope: tuple) -> None:
        installer, project_type, pm_project = scope
        try:
            if pm_project is not None:
                p = self.pm_projects[pm_project]
                projects = [SiteRow(p.id, p.name, p.type, p.installer_login, p.created_at, p.pay_by_pm)]
            else:
                projects = sites(self.core, self.actor, project_type, installer or None)
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        keys, rows = PurchaseDetailsStep.site_rows(projects, self.core.ptime)
        self.app.call_from_thread(self._sites_loaded, scope, keys, rows)

    def _sites_loaded(self, scope: tuple, keys: list[int], rows: list[tuple[str, ...]]) -> None:
        if scope != self.sites_scope:
            return  # the operator went back and chose other sites meanwhile
        self.query_one(PurchaseDetailsStep).set_sites(keys, rows)
        self._quote_later()

    # -- step 2: the price as the selection changes ---------------------------------------------
    @on(CheckTable.Changed)
    def _selection_changed(self) -> None:
        if self.page == "details":
            self._quote_later()

    @on(Input.Submitted, "#wiz-renew-to, #wiz-cycles, #wiz-until, #wiz-credits")
    def _submitted(self) -> None:
        self._quote_later.flush()
        self.action_next()

    @on(Input.Changed)
    @on(RadioSet.Changed)
    def _input_changed(self, event) -> None:
        if self.page == "renewal":
            self._quote_later()
        elif self.page == "credits":
            self._show_credit_price()

    # -- step 2 for Credit ----------------------------------------------------------------------
    def _credit_quantity(self) -> int:
        from smartpay.core import validate
        from smartpay.core.services.orders import MAX_CREDIT_PURCHASE
        return validate.positive_int("credits", self.choices.credits, MAX_CREDIT_PURCHASE)

    def _credit_price_markup(self, quantity: int) -> str:
        per = self.per_credit
        total = Money(per.amount * quantity, per.currency)
        return f"[dim]Total Price:[/dim] [b]{total.format()}[/b] [dim]({per.format()} per credit)[/dim]"

    def _show_credit_price(self) -> None:
        step, price = self.query_one(CreditsStep), self.query_one("#wiz-price", Static)
        if self.per_credit is None:
            return
        try:
            quantity = self._credit_quantity()
        except InvalidInput as exc:
            step.show_price("" if not self.choices.credits else f"[red]{escape(exc.message)}[/red]")
            price.update("")
            return
        step.mark(False)
        step.show_price(self._credit_price_markup(quantity))
        price.update(self._credit_price_markup(quantity))

    def _check_credits(self) -> None:
        self._credit_quantity()  # raises InvalidInput("credits", …); the core checks again
        self.query_one(CreditsStep).mark(False)
        self.show_page("billing")

    # -- step 3 -------------------------------------------------------------------------------
    def _show_billing_step(self) -> None:
        c = self.choices
        step = self.query_one(PaymentInfoStep)
        step.show_billing(self.billing)
        if c.is_credit_purchase:
            how = "You pay this credit purchase with Stripe, PayPal or coupons on the next screen, after Pay."
        elif c.pay_in == "credit":
            how = f"Paid with credits (Available Credit: {self.balance:,}) on the next screen, after Pay."
        elif c.purpose == RENEWAL and c.renew_mode == "auto":
            how = "Auto Renew: choose Stripe or PayPal on the next screen; the method is saved for each renewal."
        else:
            how = "Choose Stripe, PayPal or coupons on the next screen, after Pay."
        step.show_how(how)
        if c.is_credit_purchase:
            self._show_credit_price()

    @on(Button.Pressed, "#wiz-billing-edit")
    def action_edit_billing(self) -> None:
        if self.page != "billing":
            return
        from ..billing_info import BillingInfoModal
        self.app.push_screen(BillingInfoModal(self.session), self._billing_edited)

    def _billing_edited(self, info: BillingInfoView | None) -> None:
        if info is not None:
            self.billing = info
            self.query_one(PaymentInfoStep).show_billing(info)

    @work(thread=True, exclusive=True, group="wizard-check")
    def _check_billing(self, c: WizardChoices) -> None:
        try:
            info = self.core.billing.require(self.actor)
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._billing_ok, info)

    def _billing_ok(self, info: BillingInfoView) -> None:
        self._done_checking()
        self.billing = info
        step = self.query_one(ConfirmationStep)
        if self.choices.is_credit_purchase:
            quantity = self._credit_quantity()
            step.show_credit_purchase(quantity, self._credit_price_markup(quantity))
        elif self.quote is not None:
            step.show_quote(self.core.ptime, self.quote, self.choices.pay_in)
        # R9: the terms are accepted for the order shown; if what is ordered changed since they
        # were ticked, they must be ticked again.
        shown = (self.choices.purpose, self.choices.credits if self.choices.is_credit_purchase else id(self.quote))
        if shown != self._terms_for:
            self._terms_for = shown
            self.choices.accept_terms = False
            step.query_one("#wiz-terms", Checkbox).value = False
        self.show_page("confirm")

    # -- step 4: Pay ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="wizard-check")
    def _pay(self, c: WizardChoices) -> None:
        orders = self.core.orders
        try:
            if c.is_credit_purchase:
                order = orders.create_credit_purchase(self.actor, c.credits, accept_terms=c.accept_terms)
            else:
                order = orders.create(self.actor, c.purpose, c.selection(), accept_terms=c.accept_terms,
                                      pay_in=c.pay_in, **c.renew_kwargs())
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._placed, order.txn)

    def _placed(self, txn: str) -> None:
        self._done_checking()
        self.placed_txn = txn
        try:
            from ..pending_order import PendingOrderScreen
        except ImportError:  # the Pending Order screen is not in this build
            self.app.notify(f"Order {txn} placed; pay it from Orders.", title="Pending Order")
            self.dismiss(txn)
            return
        self.app.push_screen(PendingOrderScreen(self.session, txn), lambda _: self.dismiss(txn))


"""The subscription wizard: 1 Purchase Types → 2 Purchase Details → 3 Payment Information →
4 Confirmation, then Pay places the order and opens the Pending Order screen.

This module is the controller: it owns the operator's choices (state.WizardChoices, shared by
the steps, so Back shows them again), moves between the pages, and makes every core call in a
`core_work` thread worker. The rules are the core's answers (core.services.wizard_queries and
payment_preview): the ways to pay a grant allows, the methods installed, the price of a credit
purchase, whether a selection can be paid so. A refused step (no grant, not eligible, any core
refusal) is reported through the desk's one error path and leaves the page and every choice as
they were. Dismisses with the placed order's transaction number, or None when closed.

Leaving a half-done wizard (past step 1, or with an order placed) asks first; Esc again or
"Stay" keeps everything. Back on the Pending Order screen returns here, choices and page as they
were; Pay then opens the same order again (not a second one) unless the choices have changed."""
from __future__ import annotations

import dataclasses
import datetime as dt

from ...terminal_safe import markup_text as escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Checkbox, ContentSwitcher, Footer, Input, RadioSet, Select, Static

from smartpay.core.domain import PayIn, Purpose, RenewMode, Role
from smartpay.core.errors import InvalidInput
from smartpay.core.money import Money
from smartpay.core.services.payment_preview import CreditPurchasePreview, PayInChoices, credit_purchase_preview
from smartpay.core.services.wizard_queries import SiteRow, WizardStart, sites, wizard_start
from smartpay.core.views import BillingInfoView, ProjectView, Quote

from ...session import Session
from ...widgets.check_table import CheckTable
from ...widgets.debounce import Debouncer
from ...widgets.feedback import CoreFailed
from ...widgets.form_field import mark_form
from ...workers import CoreAnswers, core_work
from .methods_text import methods_phrase
from .confirmation import ConfirmationStep
from .credits import CreditsStep
from .payment_info import PaymentInfoStep
from .purchase_details import PurchaseDetailsStep
from .purchase_types import PurchaseTypesStep
from .quoting import QuoteSteps, price_markup
from .renewal import RenewalStep
from .state import PAGES, STEP_TITLES, WizardChoices

DEFAULT_RENEW_DAYS = 30  # "Renew To" starts 30 days ahead; the operator types the date wanted
QUOTE_DELAY = 0.2        # seconds of calm before the price is quoted again


def steps_markup(current: int) -> str:
    parts = []
    for n, title in enumerate(STEP_TITLES, start=1):
        parts.append(f"[reverse b] {n} {title} [/]" if n == current else f"[dim] {n} {title} [/dim]")
    return "".join(parts)


class SubscriptionWizard(QuoteSteps, CoreAnswers, Screen[str | None]):
    CSS_PATH = "wizard.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", id="wizard.next", tooltip="Check this step and go to the next one"),
        Binding("ctrl+b", "back", "Back", id="wizard.back", tooltip="Previous step (your choices are kept)"),
        Binding("ctrl+e", "edit_billing", "Billing", id="wizard.billing", show=False,
                tooltip="Edit the billing information"),
        Binding("escape", "close", "Close", id="wizard.close",
                tooltip="Leave the wizard (asks first once you are past step 1)"),
    ]

    def __init__(self, session: Session, *, start: WizardStart | None = None) -> None:
        """`start`: the core's wizard_start answer when the caller already asked it (the
        Subscription pane asks before opening, so a payer who may not pay never sees a wizard)."""
        super().__init__(id="subscription-wizard")
        self.session = session
        self.choices = WizardChoices()
        self.page = "types"
        self.quote: Quote | None = None          # the last complete quote: what Pay will order
        self.billing: BillingInfoView | None = None
        self.per_credit: Money | None = None
        self.balance = 0
        self.start: WizardStart | None = None    # the core's answers the wizard opens with
        self._given_start = start
        self.pm_projects: dict[int, ProjectView] = {}
        self.sites_scope: tuple | None = None
        self.last_error: Exception | None = None
        self.busy = False
        self._quote_gen = 0
        self._terms_for: tuple | None = None  # what was on the confirmation page when last shown
        self.placed_txn: str | None = None     # the order Pay placed, while it can still be paid
        self._placed_for: str | None = None    # the choices it was placed with (choices_key)
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
        if self._given_start is not None:
            self._started(self._given_start)
        else:
            self._load_start()

    # -- first load ---------------------------------------------------------------------------
    @core_work(group="wizard-start", done="_started", refused="_start_refused")
    def _load_start(self) -> WizardStart:
        return wizard_start(self.core, self.actor)

    def _start_refused(self, error) -> None:
        """The operator may pay for nothing: no wizard to work in. The refusal goes the app's way."""
        self.app.post_message(CoreFailed(error))
        self.dismiss(None)

    def _started(self, start: WizardStart) -> None:
        types = self.query_one(PurchaseTypesStep)
        self.start = start
        self.billing, self.balance, self.per_credit = start.billing, start.balance, start.per_credit
        types.set_methods(start.money_methods)
        if not self.choices.renew_to:
            self.choices.renew_to = (start.today + dt.timedelta(days=DEFAULT_RENEW_DAYS)).isoformat()
            self.query_one("#wiz-renew-to", Input).value = self.choices.renew_to
        role = self.actor.role
        if role.is_distributor:
            types.set_installers([(f"{a.login} — {a.name}", a.login) for a in start.installers])
            types.set_info(f"Available Credit: {self.balance:,}")
        elif role == Role.INSTALLER:
            self._show_pay_in(start.pay_in)
            types.set_info(f"Pay by Installer: {start.pay_in.grant.label}")
        else:
            self.pm_projects = {p.id: p for p in start.projects}
            types.set_projects([(p.name, p.id) for p in start.projects])
            if self.choices.pm_project is None and start.projects:
                # The project switched to in the header, else the first one.
                switched = self.session.project.id if self.session.project else None
                first = switched if switched in self.pm_projects else start.projects[0].id
                self._pm_project_chosen(first)
                self.query_one("#wiz-project", Select).value = first
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
        self.choices.project_type = project.type
        self._show_pay_in(self.start.project_pay_in[project_id])
        types = self.query_one(PurchaseTypesStep)
        types.set_project_type_label(project.type.label)
        types.set_info(f"Pay By PM for '{project.name}': {project.pay_by_pm.label}")

    def _show_pay_in(self, choices: PayInChoices) -> None:
        """The core's answer to "how may this payer pay?" (R2): its default pressed, the rest greyed."""
        self.choices.pay_in = choices.default
        self.query_one(PurchaseTypesStep).show_pay_in(choices)

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
                "billing": "credits" if c.is_credit_purchase else "renewal" if c.purpose == Purpose.RENEWAL
                else "details",
                "confirm": "billing"}.get(self.page)

    def action_back(self) -> None:
        previous = self.previous_page()
        if previous and not self.busy:
            self.show_page(previous)

    def action_close(self) -> None:
        if self.page == "types" and self.placed_txn is None:
            self.dismiss(None)  # nothing chosen yet that would be lost
            return
        from ...widgets.confirm_dialog import ConfirmDialog
        detail = (f"Order {self.placed_txn} stays open: pay it from Orders before its window closes."
                  if self.placed_txn else "Your choices in this wizard will be lost.")
        self.app.push_screen(ConfirmDialog("Leave the subscription wizard?", detail, yes="Leave", no="Stay",
                                           title="Leave the wizard", safe_first=True), self._close_answered)

    def _close_answered(self, leave: bool | None) -> None:
        if leave:
            self.dismiss(self.placed_txn)

    def choices_key(self) -> str:
        """What was chosen, comparable: Pay on unchanged choices reopens the order already placed."""
        return repr(dataclasses.replace(self.choices, sites=tuple(sorted(self.choices.sites)), accept_terms=True))

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
                # The box as it is now: a Space and ctrl+n typed together reach here before the
                # box's Changed message has updated the choices.
                self.choices.accept_terms = self.query_one("#wiz-terms", Checkbox).value
                if self.placed_txn is not None and self._placed_for == self.choices_key():
                    self._placed(self.placed_txn)  # the same order again, not a second one
                else:
                    self._checking(self._pay)
        except InvalidInput as exc:  # the checks made on the spot, before any core call
            self._refused(exc)

    def _checking(self, worker) -> None:
        self.busy = True
        self.query_one("#wiz-next", Button).disabled = True
        worker(dataclasses.replace(self.choices, sites=set(self.choices.sites)))

    def _done_checking(self) -> None:
        self.busy = False
        self.query_one("#wiz-next", Button).disabled = False

    def _refused(self, error: Exception, *_call) -> None:
        """The one way a refusal reaches the operator: the app's error path; nothing is reset."""
        self._done_checking()
        self.last_error = error
        # A problem with a field of this page is written under the field (all of them at once);
        # only what names no field here goes to the app's error path.
        if mark_form(self.query_one(f"#page-{self.page}"), error) is not None:
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

    @core_work(group="wizard-sites", done="_sites_loaded", refused="_refused", echo_args=True)
    def _load_sites(self, scope: tuple) -> tuple[list[int], list[tuple[str, ...]]]:
        installer, project_type, pm_project = scope
        if pm_project is not None:
            p = self.pm_projects[pm_project]
            projects = [SiteRow(p.id, p.name, p.type, p.installer_login, p.created_at, p.pay_by_pm)]
        else:
            projects = sites(self.core, self.actor, project_type, installer or None)
        return PurchaseDetailsStep.site_rows(projects, self.core.ptime)

    def _sites_loaded(self, listed: tuple[list[int], list[tuple[str, ...]]], scope: tuple) -> None:
        keys, rows = listed
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
    def _credit_purchase(self) -> CreditPurchasePreview:
        """The core's price of the credits typed; InvalidInput("credits", …) when not a valid amount."""
        return credit_purchase_preview(self.per_credit, self.choices.credits)

    @staticmethod
    def _credit_price_markup(purchase: CreditPurchasePreview) -> str:
        return (f"[dim]Total Price:[/dim] [b]{purchase.total.format()}[/b] "
                f"[dim]({purchase.per_credit.format()} per credit)[/dim]")

    def _show_credit_price(self) -> None:
        step, price = self.query_one(CreditsStep), self.query_one("#wiz-price", Static)
        if self.per_credit is None:
            return
        try:
            purchase = self._credit_purchase()
        except InvalidInput as exc:  # as typed: under the box (nothing while it is empty)
            step.mark(exc.problem if self.choices.credits else None)
            step.show_price("")
            price.update("")
            return
        step.mark(None)
        step.show_price(self._credit_price_markup(purchase))
        price.update(self._credit_price_markup(purchase))

    def _check_credits(self) -> None:
        self._credit_purchase()  # raises InvalidInput("Credits", …); placing the order checks again
        self.query_one(CreditsStep).mark(None)
        self.show_page("billing")

    # -- step 3 -------------------------------------------------------------------------------
    def _show_billing_step(self) -> None:
        c = self.choices
        step = self.query_one(PaymentInfoStep)
        step.show_billing(self.billing)
        money = methods_phrase(self.start.money_methods) if self.start else ""
        if c.is_credit_purchase:
            how = f"You pay this credit purchase with {money} on the next screen, after Pay."
        elif c.pay_in == PayIn.CREDIT:
            how = f"Paid with credits (Available Credit: {self.balance:,}) on the next screen, after Pay."
        elif c.purpose == Purpose.RENEWAL and c.renew_mode == RenewMode.AUTO:
            auto = methods_phrase(self.start.auto_renew_methods) if self.start else ""
            how = f"Auto Renew: choose {auto} on the next screen; the method is saved for each renewal."
        else:
            how = f"Choose {money} on the next screen, after Pay."
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

    @core_work(group="wizard-check", done="_billing_ok", refused="_refused")
    def _check_billing(self, c: WizardChoices) -> BillingInfoView:
        return self.core.billing.require(self.actor)

    def _billing_ok(self, info: BillingInfoView) -> None:
        self._done_checking()
        self.billing = info
        step = self.query_one(ConfirmationStep)
        step.show_billing(info)
        if self.choices.is_credit_purchase:
            purchase = self._credit_purchase()
            whom = self.choices.installer
            for_whom = f"{whom} (to their balance)" if whom else f"{self.actor.login} (your own balance)"
            step.show_credit_purchase(purchase.quantity, self._credit_price_markup(purchase), for_whom)
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
    @core_work(group="wizard-check", done="_placed", refused="_refused")
    def _pay(self, c: WizardChoices) -> str:
        orders = self.core.orders
        if c.is_credit_purchase:
            # R15: the credits land in the balance of the installer chosen in step 1 (else the buyer's)
            return orders.create_credit_purchase(self.actor, c.credits, accept_terms=c.accept_terms,
                                                 for_login=c.installer or None).txn
        return orders.create(self.actor, c.purpose, c.selection(), accept_terms=c.accept_terms, pay_in=c.pay_in,
                             **c.renew_kwargs()).txn

    def _placed(self, txn: str) -> None:
        self._done_checking()
        if txn != self.placed_txn:
            self.placed_txn, self._placed_for = txn, self.choices_key()
        try:
            from ..pending_order import PendingOrderScreen
        except ImportError:  # the Pending Order screen is not in this build
            self.app.notify(f"Order {txn} placed; pay it from Orders.", title="Pending Order")
            self.dismiss(txn)
            return
        self.app.push_screen(PendingOrderScreen(self.session, txn), self._pending_closed)

    def _pending_closed(self, order) -> None:
        # Not a lambda returning dismiss()'s awaitable: this callback runs in this screen's own
        # message loop (Pay's answer arrived here), where awaiting its dismissal is refused.
        from smartpay.core.domain import OrderState
        if order is not None and not OrderState(order.state).is_final:
            # Back, unpaid: the wizard again, as it was. The order stays open until its window closes.
            self.query_one("#wiz-price", Static).update(
                f"Order {escape(self.placed_txn)} is waiting for payment: Pay opens it again.")
            return
        self.dismiss(self.placed_txn)


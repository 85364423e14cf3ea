"""Step 2 of the wizard, the part that asks the core: the price quoted (debounced, in a worker)
as the sites, service types and renewal term change, and the checks behind Next on the sites
and renewal pages — a fresh quote, then the payment verdict for Regular or Credit Payment
(core.services.wizard_queries). Mixed into SubscriptionWizard, whose handlers call these."""
from __future__ import annotations

import dataclasses

from ...terminal_safe import markup_text as escape
from textual import work
from textual.widgets import Static

from smartpay.core.errors import InvalidInput, NotEligible, SmartpayError
from smartpay.core.services.wizard_queries import pay_in_verdict
from smartpay.core.views import Quote

from .renewal import RenewalStep
from .state import ACTIVATION, RENEWAL, WizardChoices
from .summary import summary_markup


def price_markup(quote: Quote, pay_in: str, per_cycle: bool = False) -> str:
    """The bottom bar's price: the total (or, before the renewal term is chosen, per 30 days)."""
    credit = pay_in == "credit"
    if per_cycle:
        label = "Credits per 30 days" if credit else "Price per 30 days"
    else:
        label = "Total Credit" if credit else "Total Price"
        if quote.renew_mode == "auto":  # auto-renew charges each 30-day cycle
            label += " per cycle"
    total = f"{quote.total_credits:,}" if credit else quote.total.format()
    skipped = f" · {len(quote.excluded)} left out" if quote.excluded else ""
    return f"{label}: [b]{total}[/b] · {len(quote.lines)} item(s){skipped}"


class QuoteSteps:
    """Needs `core`, `actor`, `choices`, `page`, `quote`, `_quote_gen`, `show_page`, `_refused`,
    `_done_checking` from the screen."""

    def _start_quote(self) -> None:
        if self.page not in ("details", "renewal"):
            return
        self._quote_gen += 1
        self._price(self._quote_gen, self.page, dataclasses.replace(self.choices, sites=set(self.choices.sites)))

    def _probe(self, c: WizardChoices, page: str) -> dict:
        """Renewal terms for a quote: on the sites page, one 30-day cycle (the price per 30 days)."""
        if c.purpose != RENEWAL:
            return {}
        if page == "details":
            return dict(renew_mode="auto", auto_cycles=1)
        return c.renew_kwargs()

    @work(thread=True, exclusive=True, group="wizard-price")
    def _price(self, gen: int, page: str, c: WizardChoices) -> None:
        if not c.sites or (not c.all_services and not c.service_types) or c.site_count == 0:
            self.app.call_from_thread(self._priced, gen, page, c, None, None)
            return
        try:
            quote = self.core.quotes.quote(self.actor, c.purpose, c.selection(), **self._probe(c, page))
        except SmartpayError as exc:
            self.app.call_from_thread(self._priced, gen, page, c, None, exc)
            return
        self.app.call_from_thread(self._priced, gen, page, c, quote, None)

    def _priced(self, gen: int, page: str, c: WizardChoices, quote: Quote | None, error: Exception | None) -> None:
        if gen != self._quote_gen or page != self.page:
            return  # a newer selection is being quoted
        price = self.query_one("#wiz-price", Static)
        if error is not None:
            price.update(f"[red]{escape(getattr(error, 'message', str(error)))}[/red]")
            if page == "renewal":
                self.query_one(RenewalStep).show_summary("")
            return
        if quote is None:
            price.update("[dim]Nothing selected[/dim]")
            return
        per_cycle = page == "details" and c.purpose == RENEWAL
        price.update(price_markup(quote, c.pay_in, per_cycle))
        if page == "renewal":
            self.query_one(RenewalStep).show_summary(summary_markup(self.core.ptime, quote, c.pay_in))

    # -- step 2: Next ---------------------------------------------------------------------------
    def _check_local_details(self) -> None:
        c = self.choices
        if not c.sites:
            raise InvalidInput("Sites", "check at least one site (ctrl+a checks them all)")
        if not c.all_services and not c.service_types:
            raise InvalidInput("Service Type", "select at least one service type, or All")

    def _quote_and_verdict(self, c: WizardChoices, page: str) -> Quote:
        quote = self.core.quotes.quote(self.actor, c.purpose, c.selection(), **self._probe(c, page))
        if quote.is_empty:
            reasons = sorted({line.excluded_reason for line in quote.excluded if line.excluded_reason})
            raise InvalidInput("items", "nothing to pay for" + (f": {'; '.join(reasons)}" if reasons
                                                                  else " in this selection"))
        final = page == "renewal" or c.purpose == ACTIVATION
        verdict = pay_in_verdict(self.core, self.actor, c.pay_in, c.purpose, c.project_type,
                                 {line.project_id for line in quote.lines},
                                 quote.renew_mode if final else None, money_total=quote.total,
                                 credit_total=quote.total_credits if final else 0)
        if not verdict.eligible:
            raise NotEligible(verdict.reason)
        return quote

    @work(thread=True, exclusive=True, group="wizard-check")
    def _check_details(self, c: WizardChoices) -> None:
        try:
            quote = self._quote_and_verdict(c, "details")
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._details_ok, c, quote)

    def _details_ok(self, c: WizardChoices, quote: Quote) -> None:
        self._done_checking()
        if c.purpose == RENEWAL:
            self.show_page("renewal")
        else:
            self.quote = quote
            self.show_page("billing")

    @work(thread=True, exclusive=True, group="wizard-check")
    def _check_renewal(self, c: WizardChoices) -> None:
        try:
            quote = self._quote_and_verdict(c, "renewal")
        except SmartpayError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._renewal_ok, quote)

    def _renewal_ok(self, quote: Quote) -> None:
        self._done_checking()
        self.query_one(RenewalStep).mark(None)
        self.quote = quote
        self.show_page("billing")

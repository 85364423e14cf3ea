"""Step 2 of the wizard, the part that asks the core: the price quoted (debounced, in a worker)
as the sites, service types and renewal term change, and the checks behind Next on the sites
and renewal pages — a fresh quote, then the payment verdict for Regular or Credit Payment
(core.services.wizard_queries.payable_quote). Mixed into SubscriptionWizard, whose handlers call
these."""
from __future__ import annotations

import dataclasses

from ...terminal_safe import markup_text as escape
from textual.widgets import Static

from smartpay.core.domain import PayIn, Purpose, RenewMode
from smartpay.core.errors import InvalidInput
from smartpay.core.services.wizard_queries import payable_quote
from smartpay.core.views import Quote

from ...widgets.form_field import clear_form
from ...workers import core_work
from .renewal import RenewalStep
from .state import WizardChoices
from .summary import summary_markup


def price_markup(quote: Quote, pay_in: PayIn, per_cycle: bool = False) -> str:
    """The bottom bar's price: the total (or, before the renewal term is chosen, per 30 days)."""
    credit = pay_in == PayIn.CREDIT
    if per_cycle:
        label = "Credits per 30 days" if credit else "Price per 30 days"
    else:
        label = "Total Credit" if credit else "Total Price"
        if quote.renew_mode == RenewMode.AUTO:  # auto-renew charges each 30-day cycle
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
        if c.purpose != Purpose.RENEWAL:
            return {}
        if page == "details":
            return dict(renew_mode=RenewMode.AUTO, auto_cycles=1)
        return c.renew_kwargs()

    @core_work(group="wizard-price", done="_priced", refused="_price_refused", echo_args=True)
    def _price(self, gen: int, page: str, c: WizardChoices) -> Quote | None:
        if not c.sites or (not c.all_services and not c.service_types) or c.site_count == 0:
            return None
        return self.core.quotes.quote(self.actor, c.purpose, c.selection(), **self._probe(c, page))

    def _price_refused(self, error: Exception, gen: int, page: str, c: WizardChoices) -> None:
        self._priced(None, gen, page, c, error)

    def _priced(self, quote: Quote | None, gen: int, page: str, c: WizardChoices, error: Exception | None = None
                ) -> None:
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
        per_cycle = page == "details" and c.purpose == Purpose.RENEWAL
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

    def _payable_quote(self, c: WizardChoices, page: str) -> Quote:
        # The renewal term is final on the renewal page (and for an activation, which has none).
        final = page == "renewal" or c.purpose == Purpose.ACTIVATION
        return payable_quote(self.core, self.actor, c.pay_in, c.purpose, c.selection(), final=final,
                             **self._probe(c, page))

    @core_work(group="wizard-check", done="_details_ok", refused="_refused", echo_args=True)
    def _check_details(self, c: WizardChoices) -> Quote:
        return self._payable_quote(c, "details")

    def _details_ok(self, quote: Quote, c: WizardChoices) -> None:
        self._done_checking()
        if c.purpose == Purpose.RENEWAL:
            self.show_page("renewal")
        else:
            self.quote = quote
            self.show_page("billing")

    @core_work(group="wizard-check", done="_renewal_ok", refused="_refused")
    def _check_renewal(self, c: WizardChoices) -> Quote:
        return self._payable_quote(c, "renewal")

    def _renewal_ok(self, quote: Quote) -> None:
        self._done_checking()
        clear_form(self.query_one(RenewalStep))
        self.quote = quote
        self.show_page("billing")

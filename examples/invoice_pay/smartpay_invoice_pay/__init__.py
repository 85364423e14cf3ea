"""Invoice (on account): distributors settle an order against their account and pay the
invoice later, outside smartpay. An example of a complete third-party payment plugin.

- A method that settles in the core: the order completes at once, inside the core's payment
  transaction, and the invoice reference is derived from the transaction number.
- A policy hook: `veto_payment_method` forbids other methods only when configured to, e.g.

      [plugins.invoice_pay]
      veto = ["stripe"]                       # method keys distributors may not use
      veto_reason = "Distributors pay on account"
"""
from __future__ import annotations

from smartpay.core.plugin_api import (CREDIT, ChargeRequest, ChargeResult, ChargeStatus, Eligibility, Grant,
                                      PaymentContext, PaymentMethod, RenewMode, hookimpl)

__version__ = "0.1.0"
SMARTPAY_API_VERSION = "1.0"    # the plugin API this was written for (smartpay.core.plugin_api)
PLUGIN = "invoice_pay"
DISTRIBUTORS_ONLY = "Invoicing is available to distributors only"


class InvoiceMethod(PaymentMethod):
    key = "invoice"
    label = "Invoice (on account)"
    family = Grant.REGULAR          # offered with the money methods; the role rule below narrows it
    supports_auto_renew = False
    partial_tender = False
    currencies = None               # any money currency; never credits (the core refuses those)
    settles_in_core = True
    version = __version__

    def __init__(self, prefix: str = "INV"):
        self.prefix = prefix

    def check_eligibility(self, context: PaymentContext) -> Eligibility:
        if not context.role.is_distributor:
            return Eligibility.no(DISTRIBUTORS_ONLY)
        if context.renew_mode == RenewMode.AUTO:
            return Eligibility.no("Invoices are not supported for auto-renewal")
        if context.amount.currency == CREDIT:
            return Eligibility.no("Invoices are for orders priced in money")
        return Eligibility.ok()

    def invoice_reference(self, txn: str) -> str:
        return f"{self.prefix}-{txn}"

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if request.amount.currency == CREDIT:
            return ChargeResult(ChargeStatus.ERROR, message="Invoices are for orders priced in money")
        reference = self.invoice_reference(request.txn)
        return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=reference,
                            message=f"Invoiced on account as {reference}",
                            detail={"invoice": reference, "idempotency_key": request.idempotency_key})


class InvoicePolicy:
    """The veto hook, configured: vetoes nothing unless `veto` lists method keys."""

    def __init__(self, veto: list[str] | tuple[str, ...] = (), reason: str = ""):
        self.veto = frozenset(veto)
        self.reason = reason or "Distributors pay on account (Invoice)"

    def reason_for(self, method: PaymentMethod, context: PaymentContext) -> str | None:
        if method.key in self.veto and context.role.is_distributor:
            return self.reason
        return None


# Set when the host registers the plugin: one desk has one configuration, so the veto follows
# the configuration most recently loaded.
_policy = InvoicePolicy()


@hookimpl
def register_payment_methods(register, config):
    """Register the invoice method; read this plugin's settings for the prefix and the veto."""
    global _policy
    settings = config(PLUGIN)
    _policy = InvoicePolicy(settings.get("veto", ()), settings.get("veto_reason", ""))
    register(InvoiceMethod(settings.get("prefix", "INV")))


@hookimpl
def veto_payment_method(method, context):
    """Forbid the configured methods for distributors (none by default)."""
    return _policy.reason_for(method, context)

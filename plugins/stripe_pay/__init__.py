"""Stripe payments. Registered now so operators see the method; the gateway integration
(hosted page, polling, saved methods for auto-renew, refunds) lands with the gateway issue.
Until then the method reports itself "not configured" and is never offered as eligible."""
from __future__ import annotations

from smartpay.core import hookimpl
from smartpay.core.domain import Grant
from smartpay.core.plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility,
                                       PaymentMethod)

__version__ = "0.1.0"


class StripeMethod(PaymentMethod):
    key = "stripe"
    label = "Stripe"
    family = Grant.REGULAR
    supports_auto_renew = True
    partial_tender = False
    currencies = None
    settles_in_core = False
    version = __version__

    def configured(self) -> Eligibility:
        return Eligibility.no("Stripe is not configured on this desk yet")

    def charge(self, request: ChargeRequest) -> ChargeResult:
        # Never reached while configured() says no; kept explicit for the conformance kit.
        return ChargeResult(ChargeStatus.ERROR, message="Stripe is not configured on this desk yet")


@hookimpl
def register_payment_methods(register):
    """Register the Stripe method."""
    register(StripeMethod())

"""Pay with prepaid credits (R3): commercial projects created on or after the cut-off only."""
from __future__ import annotations

import datetime as dt

from smartpay.core import hookimpl
from smartpay.core.domain import CREDIT_CUTOFF_DEFAULT, Grant, ProjectType, Purpose, RenewMode
from smartpay.core.errors import ConfigError
from smartpay.core.money import CREDIT
from smartpay.core.plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility,
                                       PaymentContext, PaymentMethod)

__version__ = "1.0.0"
NOT_FOR_PROJECT = "Credit payment is only for commercial projects created after June 1, 2025"


class CreditMethod(PaymentMethod):
    key = "credit"
    label = "Credit"
    family = Grant.CREDIT
    supports_auto_renew = False
    partial_tender = False
    currencies = frozenset({CREDIT})
    settles_in_core = True
    version = __version__

    def __init__(self, cutoff: dt.datetime = CREDIT_CUTOFF_DEFAULT):
        self.cutoff = cutoff

    def check_eligibility(self, context: PaymentContext) -> Eligibility:
        if context.purpose == Purpose.CREDIT_PURCHASE:
            return Eligibility.no("Credits cannot be used to buy credits")
        if context.renew_mode == RenewMode.AUTO:
            return Eligibility.no("Credits are not supported for auto-renewal")
        if context.project_type != ProjectType.COMMERCIAL:
            return Eligibility.no(NOT_FOR_PROJECT)
        early = [p for p in context.projects if p.created_at < self.cutoff]
        if early:
            return Eligibility.no(f"{NOT_FOR_PROJECT} ('{early[0].name}' was created before the cut-off)")
        if context.amount.currency == CREDIT and context.credit_balance < context.amount.amount:
            return Eligibility.no(f"Insufficient credit: {context.credit_balance} available, "
                                  f"{context.amount.amount} needed")
        return Eligibility.ok()

    def charge(self, request: ChargeRequest) -> ChargeResult:
        after = request.tender.consume_credits(request.amount.amount)
        return ChargeResult(ChargeStatus.PROCESSED, request.amount, message="Paid with credits",
                            detail={"balance_after": after})


def parse_cutoff(value) -> dt.datetime:
    if value is None:
        return CREDIT_CUTOFF_DEFAULT
    try:
        parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"plugins.credit_pay.cutoff: '{value}' is not a date-time like "
                          f"2025-06-01T00:00:00+08:00") from None
    if parsed.tzinfo is None:
        # A bare cut-off is platform time, like every date operators type (GMT+8 by default).
        parsed = parsed.replace(tzinfo=CREDIT_CUTOFF_DEFAULT.tzinfo)
    return parsed


@hookimpl
def register_payment_methods(register, config):
    """Register the credit method with its configured cut-off."""
    register(CreditMethod(parse_cutoff(config("credit_pay").get("cutoff"))))

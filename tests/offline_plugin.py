"""Cash at the office: an offline payment method written against the plugin API alone (the
shape `smartpay plugin new` is meant to generate). The operator settles it."""
from __future__ import annotations

import datetime as dt

from smartpay.core.plugin_api import (ChargeResult, ChargeStatus, Eligibility, Grant, PaymentMethod, RenewMode,
                                      hookimpl)

SMARTPAY_API_VERSION = "1.0"
__version__ = "0.1.0"


class CashAtOffice(PaymentMethod):
    key = "cash_office"
    label = "Cash at the office"
    family = Grant.REGULAR
    settled_by_operator = True
    payment_window = dt.timedelta(days=7)
    version = __version__

    def __init__(self, address: str = "1 Harbour Road, Singapore"):
        self.address = address

    def check_eligibility(self, context):
        if context.renew_mode == RenewMode.AUTO:
            return Eligibility.no("Cash cannot pay auto-renewal")
        if not context.role.is_distributor:
            return Eligibility.no("Cash at the office is for distributors")
        return Eligibility.ok()

    def charge(self, request):
        return ChargeResult(ChargeStatus.PENDING, message="bring the cash to the office")

    def instructions(self, order):
        return (f"Bring {order.total.format()} in cash to {self.address} within 7 days, "
                f"quoting order {order.txn}.")


@hookimpl
def register_payment_methods(register, config):
    """Register cash at the office, at the configured address."""
    register(CashAtOffice(**config("cash_office")))

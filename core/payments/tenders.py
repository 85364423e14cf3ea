"""Tenders: what a payment method may take inside the core while it charges (credits, coupons).

A method that settles in the core (coupons, credits) takes what it needs through the tender its
ChargeRequest carries; the core's tender is bound to one order and its payer, inside the order's
write transaction. Requests that never settle in the core carry a tender that refuses."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..db.models import Order
from ..errors import NotEligible
from ..money import Money

if TYPE_CHECKING:
    from ..services.coupons import CouponService
    from ..services.credits import CreditService


class CoreTender:
    """The tender of a payment made now: credits and coupons of the order's payer, for this order."""

    def __init__(self, credits: "CreditService", coupons: "CouponService", order: Order):
        self.credits, self.coupons, self.order = credits, coupons, order

    def consume_credits(self, amount: int) -> int:
        return self.credits.consume(self.order.payer_id, amount, self.order.id)

    def redeem_coupon(self, code: str, up_to: Money) -> Money:
        return self.coupons.redeem(self.order.payer_id, code, up_to, self.order.id)


class RefusingTender:
    """The tender of a request that never settles in the core: a replayed provider charge, or
    an auto-renew cycle charged off-session (R4, R7: no coupons or credits there)."""

    def __init__(self, no_credits: str, no_coupons: str):
        self.no_credits, self.no_coupons = no_credits, no_coupons

    def consume_credits(self, amount: int) -> int:
        raise NotEligible(self.no_credits)

    def redeem_coupon(self, code: str, up_to: Money) -> Money:
        raise NotEligible(self.no_coupons)


REPLAY = RefusingTender("credits cannot be taken when a provider charge is asked about again",
                        "coupons cannot be taken when a provider charge is asked about again")
AUTO_RENEW = RefusingTender("Credits are not supported for auto-renewal", "Coupons are not supported for auto-renewal")

"""Pay with coupons (R4): several per order, the remainder kept, never for auto-renew; what they
do not cover is paid by another method in the same order."""
from __future__ import annotations

from smartpay.core.coupon_allocation import allocate_coupons
from smartpay.core.plugin_api import (ChargeRequest, ChargeResult, ChargeStatus, Eligibility, Grant,
                                      PaymentContext, PaymentMethod, RenewMode, hookimpl)

__version__ = "1.0.0"
SMARTPAY_API_VERSION = "1.0"


class CouponMethod(PaymentMethod):
    key = "coupon"
    label = "Coupon"
    family = Grant.REGULAR
    supports_auto_renew = False
    partial_tender = True
    redeems_coupons = True
    currencies = None
    settles_in_core = True
    version = __version__

    def check_eligibility(self, context: PaymentContext) -> Eligibility:
        if context.renew_mode == RenewMode.AUTO:
            return Eligibility.no("Coupons are not supported for auto-renewal")
        currency = context.amount.currency
        if not any(c.remaining.currency == currency and c.remaining.amount > 0 for c in context.coupons):
            return Eligibility.no(f"You have no usable coupons in {currency}")
        return Eligibility.ok()

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if not request.coupon_codes:
            return ChargeResult(ChargeStatus.ERROR, message="choose at least one coupon")
        # The same allocation the payment preview shows, here with the live, locked redemption.
        allocation = allocate_coupons(request.amount, request.coupon_codes, request.tender.redeem_coupon)
        used = [{"code": share.code, "amount": share.amount.amount} for share in allocation.shares]
        return ChargeResult(ChargeStatus.PROCESSED, allocation.covered, message=f"{len(used)} coupon(s) applied",
                            detail={"coupons": used})


@hookimpl
def register_payment_methods(register):
    """Register the coupon method."""
    register(CouponMethod())

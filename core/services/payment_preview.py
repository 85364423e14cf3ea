"""What a payer may use, asked before an order exists (R2, R3, R4, R7): the ways to pay a grant
allows, the purposes a role may order, the payment methods that could pay a kind of order, the
price and validity of a credit purchase, and what checked coupons cover of a total.

These are the rules the payment step and `orders` enforce, answered as plain frozen dataclasses so
that the desk only presents them. All of it is pure (no database): the caller hands in what it
read — a grant, the installed methods, the coupon balances — and the same functions run inside
the core where the order is placed and paid."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .. import validate
from ..coupon_allocation import CouponAllocation, allocate_coupons, balance_taker
from ..domain import Grant, PayIn, Purpose, RenewMode, Role
from ..errors import InvalidInput
from ..money import Money
from ..plugin_host import PaymentMethod
from ..views import CouponView, Quote

MAX_CREDIT_PURCHASE = 1_000_000
# Who buys credits (R11, R15): distributors and sub-distributors; the others are given credits.
CREDIT_BUYERS = (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR)


# -- R2: grant → ways to pay ----------------------------------------------------------------------
@dataclass(frozen=True)
class PayInOption:
    pay_in: PayIn
    allowed: bool
    reason: str = ""          # why not, when not allowed


@dataclass(frozen=True)
class PayInChoices:
    """The ways to pay a payer's grant allows, and the one to start with."""

    grant: Grant | None       # None: a distributor, who needs no grant
    options: tuple[PayInOption, ...]
    default: PayIn

    @property
    def allowed(self) -> frozenset[PayIn]:
        return frozenset(o.pay_in for o in self.options if o.allowed)


def pay_in_choices(grant: Grant | None) -> PayInChoices:
    """R2: "Stripe/PayPal Coupon" allows money, "Credit" allows credits, "No Permission" neither;
    a distributor (grant None) may use both. Grants are exclusive, so a grant's own way is the
    default (money when there is none)."""
    if grant is None:
        return PayInChoices(None, tuple(PayInOption(p, True) for p in PayIn), PayIn.MONEY)
    grant = Grant(grant)
    options = []
    for pay_in in PayIn:
        if pay_in.family == grant:
            options.append(PayInOption(pay_in, True))
        else:
            options.append(PayInOption(pay_in, False, f"Your payment permission is \"{grant.label}\""))
    return PayInChoices(grant, tuple(options), PayIn.CREDIT if grant == Grant.CREDIT else PayIn.MONEY)


def purposes_for(role: Role) -> tuple[Purpose, ...]:
    """What `role` may order: everyone activates and renews; only distributors buy credits."""
    return tuple(p for p in Purpose if p != Purpose.CREDIT_PURCHASE or Role(role) in CREDIT_BUYERS)


# -- which installed methods could pay a kind of order ---------------------------------------------
@dataclass(frozen=True)
class MethodBrief:
    key: str
    label: str               # the plugin's own label
    partial_tender: bool     # pays part of an order (coupons); another method pays the rest
    supports_auto_renew: bool


def methods_for(methods: Iterable[PaymentMethod], pay_in: PayIn, renew_mode: RenewMode | None = None
                ) -> tuple[MethodBrief, ...]:
    """The installed methods of `pay_in`'s family, in the host's order; for auto-renew only the
    ones that keep a saved method (R4: never coupons; R7: never credits). Whether a method is
    eligible for one order (configured, currency, the plugin's own check, vetoes) is answered
    by payments.options once the order exists."""
    auto = renew_mode is not None and RenewMode(renew_mode) == RenewMode.AUTO
    return tuple(MethodBrief(m.key, m.label, m.partial_tender, m.supports_auto_renew) for m in methods
                 if m.family == PayIn(pay_in).family and (m.supports_auto_renew or not auto))


# -- a credit purchase ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreditPurchasePreview:
    quantity: int
    per_credit: Money
    total: Money


def credit_purchase_preview(per_credit: Money, quantity) -> CreditPurchasePreview:
    """The price of buying `quantity` credits (as typed); InvalidInput("Credits", …) when it is not
    a whole number from 1 to MAX_CREDIT_PURCHASE."""
    quantity_ = validate.positive_int("Credits", quantity, MAX_CREDIT_PURCHASE)
    return CreditPurchasePreview(quantity_, per_credit, Money(per_credit.amount * quantity_, per_credit.currency))


# -- R4: coupons ------------------------------------------------------------------------------------
def usable_coupons(coupons: Iterable[CouponView], total: Money) -> list[CouponView]:
    """The coupons that can pay toward `total`: only those in its currency."""
    return [c for c in coupons if c.remaining.currency == total.currency]


def coupon_cover(coupons: Sequence[CouponView], codes: Sequence[str], total: Money) -> CouponAllocation:
    """What the checked `codes` pay of `total`, applied in the order given — the coupon plugin's
    own allocation (core.coupon_allocation), over the balances shown."""
    return allocate_coupons(total, codes, balance_taker({c.code: c.remaining for c in coupons}))


# -- a quote that can be ordered -------------------------------------------------------------------
def require_something_to_pay(quote: Quote) -> None:
    """InvalidInput("items", …) with the reasons the items were left out (R6), when none is left."""
    if quote.is_empty:
        reasons = sorted({line.excluded_reason for line in quote.excluded if line.excluded_reason})
        raise InvalidInput("items", "nothing to pay for" + (f": {'; '.join(reasons)}" if reasons
                                                              else " in this selection"))

"""R4: how several coupons pay one total — each checked coupon, in the payer's order, takes what it
can of what is still owed; coupons beyond what the total needs are left untouched, and a partly
used coupon keeps its remainder.

One function for both sides: the coupon plugin allocates with the live, locked redemption (the
payment's tender), and the payment preview allocates with the balances the payer sees, so the
screen's "Coupons cover …" is the charge's own arithmetic, not a copy of it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .money import Money


@dataclass(frozen=True)
class CouponShare:
    code: str
    amount: Money


@dataclass(frozen=True)
class CouponAllocation:
    shares: tuple[CouponShare, ...]   # the coupons that took part, in the order they were applied
    covered: Money
    remainder: Money                  # what another method (Stripe, PayPal…) pays in the same order


def allocate_coupons(total: Money, codes: Iterable[str], take: Callable[[str, Money], Money]) -> CouponAllocation:
    """Apply `codes` in order to `total`; `take(code, up_to)` answers how much that coupon pays of
    `up_to` (the charge redeems it; a preview reads its balance)."""
    covered = Money(0, total.currency)
    shares = []
    for code in codes:
        rest = total - covered
        if rest.amount <= 0:
            break  # coupons beyond what the order needs are left untouched
        taken = take(code, rest)
        covered = covered + taken
        shares.append(CouponShare(code, taken))
    return CouponAllocation(tuple(shares), covered, total - covered)


def balance_taker(balances: Mapping[str, Money]) -> Callable[[str, Money], Money]:
    """`take` for a preview: a coupon pays up to its balance, nothing in another currency."""
    def take(code: str, up_to: Money) -> Money:
        balance = balances.get(code)
        if balance is None or balance.currency != up_to.currency:
            return Money(0, up_to.currency)
        return Money(min(balance.amount, up_to.amount), up_to.currency)
    return take

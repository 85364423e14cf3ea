"""ChargeRequests: the request a method is sent for an attempt — built when the attempt is made,
and rebuilt from the database when the provider must be asked about it again (M1, M3)."""
from __future__ import annotations

import logging
from typing import Sequence

from ..db.models import Account, Order, PaymentAttempt, RenewalCycle, RenewalPlan
from ..domain import Purpose, RenewMode
from ..money import Money
from ..plugin_host import ChargeRequest, PaymentContext
from ..services.convert import actor_of
from . import tenders
from .contexts import PaymentContexts

log = logging.getLogger("smartpay.payments")


def charge_request(order: Order, amount: Money, attempt: PaymentAttempt, context: PaymentContext, tender,
                   codes: Sequence[str] = ()) -> ChargeRequest:
    """The request of `attempt` — made now, or rebuilt to replay it. R7: an auto-renew order asks
    the provider to keep the method for the later cycles. R8: `pay_by` (the order's window) and
    `attempted_at` (the attempt row's created_at) come from the rows, never from the clock, so
    a provider's page gets the same closing time on every replay."""
    return ChargeRequest(txn=order.txn, amount=amount, idempotency_key=attempt.idempotency_key, context=context,
                         tender=tender, coupon_codes=tuple(codes),
                         description=f"{Purpose(order.purpose).label} {order.txn}",
                         save_method=order.renew_mode == RenewMode.AUTO, pay_by=order.deadline_at,
                         attempted_at=attempt.created_at)


def cycle_description(txn: str, cycle: int) -> str:
    """What an auto-renew cycle's off-session charge says, when sent and when rebuilt."""
    return f"Auto-renew {Purpose.RENEWAL.label} {txn} (cycle {cycle})"


class ChargeRequests:
    def __init__(self, contexts: PaymentContexts):
        self.contexts = contexts

    def rebuild(self, order: Order, attempt: PaymentAttempt) -> ChargeRequest | None:
        """The ChargeRequest `attempt` was sent with, rebuilt from the database (txn, amount,
        idempotency key, the plan's saved method for an auto-renew cycle, the same description),
        so a plugin in any process can replay the create call under the same key and learn the
        truth (status/expire `request=`). None when it cannot be rebuilt."""
        try:
            payer = actor_of(Account.get_by_id(order.payer_id))
            context = self.contexts.for_order(payer, order)
            amount = Money(attempt.amount, attempt.unit)
            cycle = RenewalCycle.get_or_none(RenewalCycle.order == order.id)
            if cycle is not None:  # as the runner sent it (payments/renew_runner.py)
                plan = RenewalPlan.get_by_id(cycle.plan_id)
                return ChargeRequest(txn=order.txn, amount=amount, idempotency_key=attempt.idempotency_key,
                                     context=context, tender=tenders.REPLAY, saved_method=plan.saved_method,
                                     description=cycle_description(order.txn, cycle.cycle))
            return charge_request(order, amount, attempt, context, tenders.REPLAY)
        except Exception:  # a half-deleted row, a payer gone: the plugin answers without it
            log.debug("could not rebuild the charge request of order %s", order.txn, exc_info=True)
            return None

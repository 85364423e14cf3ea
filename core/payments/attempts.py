"""Payment attempts: one row per call a method was asked to make for an order (M1, M3).

An attempt's idempotency key derives from the order's transaction number (`<txn>-<nn>`), so a
replay after a lost answer reaches the same charge at the provider. Attempts still waiting for
the provider's word are *in flight*: `processing` (asked, pending) or `unknown` (no clear answer;
reconcile asks again)."""
from __future__ import annotations

import datetime as dt
import json

from ..db.models import Order, PaymentAttempt
from ..domain import AttemptState
from ..money import Money
from ..plugin_host import ChargeResult, PaymentMethod

IN_FLIGHT = (AttemptState.PROCESSING.value, AttemptState.UNKNOWN.value)
SETTLED = (AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.CANCELLED, AttemptState.REFUNDED)
# What settling an attempt changes (the runner's batches save these columns in bulk).
SETTLE_FIELDS = [PaymentAttempt.state, PaymentAttempt.provider_ref, PaymentAttempt.redirect_url, PaymentAttempt.detail,
                 PaymentAttempt.amount, PaymentAttempt.updated_at]


def new_attempt(order: Order, method: PaymentMethod, amount: Money, state: AttemptState,
                now: dt.datetime) -> PaymentAttempt:
    """The order's next attempt, keyed `<txn>-<nn>` (inside the order's write transaction)."""
    n = PaymentAttempt.select().where(PaymentAttempt.order == order.id).count() + 1
    return PaymentAttempt.create(order=order, method=method.key, idempotency_key=f"{order.txn}-{n:02d}",
                                 amount=amount.amount, unit=amount.currency, state=state.value,
                                 created_at=now, updated_at=now)


def settle(attempt: PaymentAttempt, state: AttemptState, result: ChargeResult, now: dt.datetime,
           amount: Money | None = None, save: bool = True) -> None:
    """Give `attempt` the state `result` decided; `save=False` only changes the row in hand (the
    runner's batches save SETTLE_FIELDS in bulk, payments/settlement.py)."""
    attempt.state = state.value
    attempt.provider_ref = result.provider_ref or attempt.provider_ref
    attempt.redirect_url = result.redirect_url or attempt.redirect_url
    attempt.detail = json.dumps({"message": result.message, **result.detail}, default=str)
    if amount is not None:
        attempt.amount = amount.amount
    attempt.updated_at = now
    if save:
        attempt.save(only=SETTLE_FIELDS)


def in_flight(order: Order) -> PaymentAttempt | None:
    """The order's latest attempt still waiting for the provider's answer, if any."""
    return (PaymentAttempt.select().where((PaymentAttempt.order == order.id) & PaymentAttempt.state.in_(IN_FLIGHT))
            .order_by(PaymentAttempt.id.desc()).first())

"""Recording providers' answers: what `PaymentService.record_result(s)` does (M2, M3, R8).

Every answer — from a charge, polling, a webhook, the reconciler or the auto-renew runner — is
applied here, under the order lock, and never downgrades a known outcome:

| answer      | attempt becomes                 | order                                               |
|-------------|---------------------------------|-----------------------------------------------------|
| PROCESSED   | succeeded                       | completes (expiries move once) — or, when it can no longer be applied (items moved, order ended), ends `failed` (a `cancelled` one stays so) and the payment is refunded |
| PENDING     | processing                      | unchanged                                           |
| UNDEFINED   | unknown (reconcile asks later)  | unchanged                                           |
| ERROR       | failed                          | `failed` (`timed_out` when the answer came from `expire()`) |
| CANCELED    | cancelled                       | as for ERROR                                        |

Several answers may be recorded in one transaction (the runner's batches): what can be read
for all of them is read once — orders (locked in id order), attempts, lines with their items
(locked in id order), auto-renew cycles — and each answer then gets the same decisions. Expiries
changed by an earlier answer of the batch are tracked, so a later answer for the same items
sees them moved. Refunds are asked of the provider after the commit, outside the transaction.

`system_processing` ("paid, being applied") is not used: a paid answer is recorded and applied
in the same transaction, so there is never a committed moment in which an order is paid but not
yet applied.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from ..db.database import locked
from ..db.models import Item, Order, OrderItem, PaymentAttempt
from ..domain import AttemptState, OrderState
from ..errors import InvalidInput, NotFound
from ..plugin_host import ChargeResult, ChargeStatus

if TYPE_CHECKING:
    from .payments import PaymentOutcome, PaymentService

SETTLED = (AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.CANCELLED, AttemptState.REFUNDED)
APPLICABLE = (OrderState.PROCESSING, OrderState.SYSTEM_PROCESSING, OrderState.TIMED_OUT)


@dataclass
class _Batch:
    """What one transaction read once for all its answers."""

    orders: dict[str, Order]                   # txn → order (locked)
    attempts: dict[int, PaymentAttempt]
    lines: dict[int, list[OrderItem]]           # order id → lines, each with its (locked) item
    expiries: dict[int, dt.datetime | None]     # item id → its expiry as this transaction now has it
    cycles: dict                                # order id → (cycle, plan) for auto-renew cycle orders
    refunds: list[int]
    completed: list[int]                        # order ids completed, for the order_completed hook


def record_answers(payments: "PaymentService", answers: Sequence[tuple[str, int, ChargeResult]],
                   window_closed: bool = False) -> list["PaymentOutcome"]:
    from .payments import PaymentOutcome

    if not answers:
        return []
    core = payments.core
    replies = []
    with payments.write():
        batch = _read(core, answers)
        for txn, attempt_id, result in answers:
            order = batch.orders.get(txn)
            if order is None:
                raise NotFound(f"order: no order {txn}")
            attempt = batch.attempts.get(attempt_id)
            if attempt is None or attempt.order_id != order.id:
                raise InvalidInput("attempt", f"attempt {attempt_id} does not belong to order {txn}")
            replies.append(_apply(payments, batch, order, attempt, result, window_closed))
    for refund_id in batch.refunds:
        core.refunds.attempt(refund_id)  # outside the transaction: it calls the provider
    views = core.orders.views(list(batch.orders.values()))
    for order_id in batch.completed:
        core.plugins.order_completed(views[order_id])
    return [PaymentOutcome(views[batch.orders[txn].id], redirect, message)
            for (txn, _, _), (redirect, message) in zip(answers, replies)]


def _read(core, answers) -> _Batch:
    txns = sorted({txn for txn, _, _ in answers})
    orders = {o.txn: o for o in locked(Order.select().where(Order.txn.in_(txns)).order_by(Order.id))}
    attempts = {a.id: a for a in PaymentAttempt.select().where(
        PaymentAttempt.id.in_(sorted({attempt_id for _, attempt_id, _ in answers})))}
    order_ids = [o.id for o in orders.values()]
    lines: dict[int, list[OrderItem]] = {}
    expiries: dict[int, dt.datetime | None] = {}
    # Items are locked in id order (FOR UPDATE on PostgreSQL) so that competing orders for the
    # same items cannot both pass the staleness check, and cannot deadlock.
    for line in locked(OrderItem.select(OrderItem, Item).join(Item, on=(OrderItem.item == Item.id))
                       .where(OrderItem.order.in_(order_ids)).order_by(Item.id, OrderItem.id)):
        lines.setdefault(line.order_id, []).append(line)
        expiries[line.item_id] = line.item.expires_at
    return _Batch(orders, attempts, lines, expiries, core.renewals.cycles_of(order_ids), [], [])


def _apply(payments: "PaymentService", batch: _Batch, order: Order, attempt: PaymentAttempt,
           result: ChargeResult, window_closed: bool) -> tuple[str | None, str]:
    """One answer's decisions (see the module's table); returns (redirect url, message)."""
    core = payments.core
    if attempt.state in SETTLED:
        return attempt.redirect_url, "already settled"
    status = result.status
    cycle = batch.cycles.get(order.id)
    if status == ChargeStatus.PROCESSED:
        payments._settle(attempt, AttemptState.SUCCEEDED, result)
        problem = _why_not_applicable(core, order, batch)
        if problem is None:
            payments._complete(order, batch.lines.get(order.id, []))
            for line in batch.lines.get(order.id, ()):  # what the guarded expiry update just did
                if batch.expiries.get(line.item_id) == line.expires_before:
                    batch.expiries[line.item_id] = line.expires_after
            core.renewals.on_paid(order, attempt, result, cycle)
            batch.completed.append(order.id)
        else:
            batch.refunds.append(core.refunds.request(order, attempt, problem))
            if not OrderState(order.state).is_final:
                core.orders.finish(order, OrderState.FAILED, f"paid after {problem}; the payment is refunded")
            core.audit.record(None, "order.paid_not_applied", order.txn, reason=problem)
    elif status == ChargeStatus.PENDING:
        payments._settle(attempt, AttemptState.PROCESSING, result)
    elif status == ChargeStatus.UNDEFINED:
        payments._settle(attempt, AttemptState.UNKNOWN, result)
    else:
        payments._settle(attempt, AttemptState.FAILED if status == ChargeStatus.ERROR else AttemptState.CANCELLED,
                         result)
        if order.state == OrderState.PROCESSING:
            if window_closed:
                core.orders.finish(order, OrderState.TIMED_OUT, "payment window passed")
            else:
                core.orders.finish(order, OrderState.FAILED, result.message or "payment failed")
            core.renewals.on_failed(order, order.failure_reason or "payment failed", cycle)
    return result.redirect_url, result.message


def _why_not_applicable(core, order: Order, batch: _Batch) -> str | None:
    """Why a paid order cannot move its expiries now, or None when it can. A timed-out order
    may still complete: its payer paid, and nothing else moved its items."""
    state = OrderState(order.state)
    if state not in APPLICABLE:
        return f"the order was {state.label.lower()}"
    for line in batch.lines.get(order.id, ()):
        now_expires = batch.expiries.get(line.item_id)
        if now_expires != line.expires_before:
            return (f"item '{line.item.subject_name}' changed since the order was placed (now expires "
                    f"{core.ptime.format(now_expires)})")
    return None

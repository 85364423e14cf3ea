"""Recording providers' answers: what `PaymentService.record_result(s)` does (M2, M3, R8).

Every answer — from a charge, polling, a webhook, the reconciler or the auto-renew runner — is
applied here, under the order lock, and never downgrades a known outcome:

| answer      | attempt becomes                 | order                                               |
|-------------|---------------------------------|-----------------------------------------------------|
| PROCESSED   | succeeded                       | completes (expiries move once) — or, when it can no longer be applied (items moved, order ended, a timed-out order's coupons given back, another amount or currency paid than asked), ends `failed` (a `cancelled` one stays so) and the payment is refunded; also for an attempt already recorded `failed`/`cancelled` (money is never kept silently) |
| PENDING     | processing                      | unchanged                                           |
| UNDEFINED   | unknown (reconcile asks later)  | unchanged                                           |
| ERROR       | failed                          | `failed` (`timed_out` when the answer came from `expire()`) |
| CANCELED    | cancelled                       | as for ERROR; `timed_out` too when the provider's page expired. An auto-renew cycle counts a decline (R7 retries) only when something was declined: not for a window that closed with nothing charged, nor for a charge the runner never sent (`detail["not_sent"]`) |

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
from ..db.models import CouponEntry, Item, Order, OrderItem, PaymentAttempt
from ..domain import AttemptState, OrderState
from ..errors import InvalidInput, NotFound
from ..money import Money
from ..plugin_host import ChargeResult, ChargeStatus

if TYPE_CHECKING:
    from .payments import PaymentOutcome, PaymentService

SETTLED = (AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.CANCELLED, AttemptState.REFUNDED)
GAVE_UP = (AttemptState.FAILED, AttemptState.CANCELLED)   # a PROCESSED for these is refunded
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
    status = result.status
    if attempt.state in SETTLED:
        if status == ChargeStatus.PROCESSED and attempt.state in GAVE_UP:
            # Money taken for an attempt the desk had already written off (declined, expired,
            # cancelled): its order has ended, so the payment cannot be applied — never keep it.
            problem = f"the payment attempt had been recorded as {attempt.state}"
            payments._settle(attempt, AttemptState.SUCCEEDED, result)
            _refund(core, batch, order, attempt, result, problem)
            return attempt.redirect_url, f"paid after {problem}; the payment is refunded"
        return attempt.redirect_url, "already settled"
    cycle = batch.cycles.get(order.id)
    if status == ChargeStatus.PROCESSED:
        payments._settle(attempt, AttemptState.SUCCEEDED, result)
        problem = _why_not_applicable(core, order, attempt, result, batch)
        if problem is None:
            payments._complete(order, batch.lines.get(order.id, []))
            for line in batch.lines.get(order.id, ()):  # what the guarded expiry update just did
                if batch.expiries.get(line.item_id) == line.expires_before:
                    batch.expiries[line.item_id] = line.expires_after
            core.renewals.on_paid(order, attempt, result, cycle)
            batch.completed.append(order.id)
        else:
            _refund(core, batch, order, attempt, result, problem)
    elif status == ChargeStatus.PENDING:
        payments._settle(attempt, AttemptState.PROCESSING, result)
    elif status == ChargeStatus.UNDEFINED:
        payments._settle(attempt, AttemptState.UNKNOWN, result)
    else:
        payments._settle(attempt, AttemptState.FAILED if status == ChargeStatus.ERROR else AttemptState.CANCELLED,
                         result)
        if order.state == OrderState.PROCESSING:
            not_sent = bool(result.detail.get("not_sent"))
            if not_sent:  # the runner never sent this cycle's charge: its window passed in the queue
                core.orders.finish(order, OrderState.TIMED_OUT, "payment window passed before the charge was sent")
            elif window_closed or _expired_at_provider(result):
                core.orders.finish(order, OrderState.TIMED_OUT, "payment window passed")
            else:
                core.orders.finish(order, OrderState.FAILED, result.message or "payment failed")
            # A decline counts towards the plan's retries; a window that closed with nothing
            # charged (never sent, or stopped at the provider) is not a decline: the plan is due
            # again on the next run, with no failure counted and no "could not be charged" notice.
            nothing_charged = not_sent or (status == ChargeStatus.CANCELED and
                                           (window_closed or _expired_at_provider(result)))
            if not nothing_charged:
                core.renewals.on_failed(order, order.failure_reason or "payment failed", cycle)
    return result.redirect_url, result.message


def _expired_at_provider(result: ChargeResult) -> bool:
    """A hosted page the provider closed at its own expiry (Stripe's checkout.session.expired,
    seen by a webhook or by polling before reconcile): the window passed, nothing was charged."""
    return result.status == ChargeStatus.CANCELED and result.detail.get("session_status") == "expired"


def _refund(core, batch: _Batch, order: Order, attempt: PaymentAttempt, result: ChargeResult, problem: str) -> None:
    """A payment that cannot be applied: refund what was taken (outside the transaction), end the
    order if it had not ended, record why. The payer is notified by the refund request."""
    paid = result.amount if result.amount is not None and result.amount.amount > 0 else None
    batch.refunds.append(core.refunds.request(order, attempt, problem, amount=paid))
    if not OrderState(order.state).is_final:
        core.orders.finish(order, OrderState.FAILED, f"paid after {problem}; the payment is refunded")
    core.audit.record(None, "order.paid_not_applied", order.txn, reason=problem)


def _why_not_applicable(core, order: Order, attempt: PaymentAttempt, result: ChargeResult,
                        batch: _Batch) -> str | None:
    """Why a paid order cannot move its expiries now, or None when it can. A timed-out order
    may still complete: its payer paid, and nothing else moved its items — unless ending it
    gave its coupons back (then the coupons no longer pay their part: refund, don't re-redeem,
    since the coupon may have been spent since). A payment of another amount or currency than
    the attempt asked for is never applied."""
    asked = Money(attempt.amount, attempt.unit)
    if result.amount is not None and result.amount != asked:
        return f"the provider reported {result.amount} paid where {asked} was asked"
    state = OrderState(order.state)
    if state not in APPLICABLE:
        return f"the order was {state.label.lower()}"
    if state == OrderState.TIMED_OUT and _coupons_restored(order):
        return "the order timed out and its coupons were given back"
    for line in batch.lines.get(order.id, ()):
        now_expires = batch.expiries.get(line.item_id)
        if now_expires != line.expires_before:
            return (f"item '{line.item.subject_name}' changed since the order was placed (now expires "
                    f"{core.ptime.format(now_expires)})")
    return None


def _coupons_restored(order: Order) -> bool:
    return CouponEntry.select().where((CouponEntry.order == order.id) & (CouponEntry.kind == "restore")).exists()

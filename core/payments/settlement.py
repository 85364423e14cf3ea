"""Settlement: recording providers' answers — what `PaymentService.record_result(s)` does (M2, M3, R8).

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

The common answer of a runner's batch — a renewal cycle paid, its items not moved, its plan
going on — is written in bulk (`BulkWrites`): its attempt, order, item expiries, plan and audit
rows are changed in hand and saved with one statement per table at the end of the batch, the
same rows and values one-by-one saving would write. Any other answer first saves what is held
(`flush`), so everything it reads or writes sees the batch's earlier answers, in order.

`system_processing` ("paid, being applied") is not used: a paid answer is recorded and applied
in the same transaction, so there is never a committed moment in which an order is paid but not
yet applied.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import peewee as pw

from ..clock import Clock
from ..db import bulk
from ..db.database import locked
from ..db.models import Account, AuditLog, CouponEntry, Item, Order, OrderItem, PaymentAttempt, RenewalPlan
from ..domain import AttemptState, OrderState, Purpose
from ..errors import InvalidInput, NotFound
from ..money import Money
from ..platform_time import PlatformTime
from ..plugin_host import ChargeResult, ChargeStatus, PluginHost
from ..services.base import Service
from ..services.convert import order_view
from ..services.renewals import PLAN_PROGRESS, PlanState, advance_paid_cycle
from . import attempts
from .attempts import SETTLE_FIELDS, SETTLED
from .completion import ORDER_PAID, OrderCompletion
from .outcome import PaymentOutcome

if TYPE_CHECKING:
    from ..services.audit import AuditService
    from ..services.orders import OrderService
    from ..services.renewals import RenewalService
    from .refunds import RefundService

GAVE_UP = (AttemptState.FAILED, AttemptState.CANCELLED)   # a PROCESSED for these is refunded
APPLICABLE = (OrderState.PROCESSING, OrderState.SYSTEM_PROCESSING, OrderState.TIMED_OUT)


_AUDIT = [AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.target, AuditLog.detail]


@dataclass
class BulkWrites:
    """Rows changed in hand by paid renewal cycles, saved in bulk by `flush` (see the module doc)."""

    attempts: dict[int, PaymentAttempt] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    expiries: list[tuple] = field(default_factory=list)     # (expires_after, item id, expires_before)
    plans: dict[int, RenewalPlan] = field(default_factory=dict)
    audits: list[tuple] = field(default_factory=list)       # AuditLog rows, in the order written

    def flush(self) -> None:
        bulk.save_many(list(self.attempts.values()), SETTLE_FIELDS)
        bulk.save_many(list(self.orders.values()), ORDER_PAID)
        # The guard on the old expiry makes a second application a no-op (as OrderCompletion.apply_effects).
        bulk.update_many(Item, [Item.expires_at], [Item.id, Item.expires_at], self.expiries)
        bulk.insert_many(AuditLog, _AUDIT, self.audits)
        bulk.save_many(list(self.plans.values()), PLAN_PROGRESS)
        self.attempts, self.orders, self.expiries, self.plans, self.audits = {}, {}, [], {}, []


@dataclass
class Batch:
    """What one transaction read once for all its answers."""

    orders: dict[str, Order]                   # txn → order (locked)
    attempts: dict[int, PaymentAttempt]
    lines: dict[int, list[OrderItem]]           # order id → lines, each with its (locked) item
    expiries: dict[int, dt.datetime | None]     # item id → its expiry as this transaction now has it
    cycles: dict                                # order id → (cycle, plan) for auto-renew cycle orders
    refunds: list[int]
    completed: list[int]                        # order ids completed, for the order_completed hook
    writes: BulkWrites = field(default_factory=BulkWrites)


class Settlement(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, ptime: PlatformTime, plugins: PluginHost,
                 completion: OrderCompletion, orders: "OrderService", refunds: "RefundService",
                 renewals: "RenewalService", audit: "AuditService", bulk_writes: bool = True):
        """`bulk_writes=False` records every paid renewal cycle row by row — the reference path
        that the batched writes must match (tests compare the two)."""
        super().__init__(db, clock)
        self.bulk_writes = bulk_writes
        self.ptime, self.plugins, self.completion = ptime, plugins, completion
        self.orders, self.refunds, self.renewals, self.audit = orders, refunds, renewals, audit

    def record(self, answers: Sequence[tuple[str, int, ChargeResult]], window_closed: bool = False,
               full_views: bool = True) -> list[PaymentOutcome]:
        """Record (txn, attempt id, answer)s in one transaction; each gets the decisions of the
        module's table. Refunds are asked after the commit; `order_completed` hooks are called
        for the orders completed."""
        if not answers:
            return []
        replies = []
        with self.write():
            batch = self._read(answers)
            for txn, attempt_id, result in answers:
                order = batch.orders.get(txn)
                if order is None:
                    raise NotFound(f"order: no order {txn}")
                attempt = batch.attempts.get(attempt_id)
                if attempt is None or attempt.order_id != order.id:
                    raise InvalidInput("attempt", f"attempt {attempt_id} does not belong to order {txn}")
                replies.append(self._apply(batch, order, attempt, result, window_closed))
            batch.writes.flush()
        for refund_id in batch.refunds:
            self.refunds.attempt(refund_id)  # outside the transaction: it calls the provider
        listened = bool(batch.completed) and self.plugins.listens_to_order_completed()
        if full_views or listened:
            views = self.orders.views(list(batch.orders.values()))
        else:  # nobody reads the lines or attempts: the order rows in hand make the views
            logins = dict(Account.select(Account.id, Account.login)
                          .where(Account.id.in_(list({o.payer_id for o in batch.orders.values()}))).tuples())
            views = {o.id: order_view(o, logins.get(o.payer_id)) for o in batch.orders.values()}
        if listened:
            for order_id in batch.completed:
                self.plugins.order_completed(views[order_id])
        return [PaymentOutcome(views[batch.orders[txn].id], redirect, message)
                for (txn, _, _), (redirect, message) in zip(answers, replies)]

    def _read(self, answers) -> Batch:
        txns = sorted({txn for txn, _, _ in answers})
        orders = {o.txn: o for o in locked(Order.select().where(Order.txn.in_(txns)).order_by(Order.id))}
        attempt_rows = {a.id: a for a in PaymentAttempt.select().where(
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
        return Batch(orders, attempt_rows, lines, expiries, self.renewals.cycles_of(order_ids), [], [])

    def _apply(self, batch: Batch, order: Order, attempt: PaymentAttempt,
               result: ChargeResult, window_closed: bool) -> tuple[str | None, str]:
        """One answer's decisions (see the module's table); returns (redirect url, message)."""
        status = result.status
        cycle = batch.cycles.get(order.id)
        if status == ChargeStatus.PROCESSED and attempt.state not in SETTLED:
            attempts.settle(attempt, AttemptState.SUCCEEDED, result, self.now(), save=False)
            batch.writes.attempts[attempt.id] = attempt
            problem = self._why_not_applicable(order, attempt, result, batch)
            if problem is None and self.bulk_writes and _completes_in_bulk(order, batch.lines.get(order.id, []), cycle):
                self._complete_in_bulk(batch, order, result, cycle)
                return result.redirect_url, result.message
            batch.writes.flush()  # whatever comes next reads or writes the rows as saved so far
            if problem is None:
                self.completion.complete(order, batch.lines.get(order.id, []))
                for line in batch.lines.get(order.id, ()):  # what the guarded expiry update just did
                    if batch.expiries.get(line.item_id) == line.expires_before:
                        batch.expiries[line.item_id] = line.expires_after
                self.renewals.on_paid(order, attempt, result, cycle)
                batch.completed.append(order.id)
            else:
                self._refund(batch, order, attempt, result, problem)
            return result.redirect_url, result.message
        batch.writes.flush()
        if attempt.state in SETTLED:
            if status == ChargeStatus.PROCESSED and attempt.state in GAVE_UP:
                # Money taken for an attempt the desk had already written off (declined, expired,
                # cancelled): its order has ended, so the payment cannot be applied — never keep it.
                problem = f"the payment attempt had been recorded as {attempt.state}"
                attempts.settle(attempt, AttemptState.SUCCEEDED, result, self.now())
                self._refund(batch, order, attempt, result, problem)
                return attempt.redirect_url, f"paid after {problem}; the payment is refunded"
            return attempt.redirect_url, "already settled"
        if status == ChargeStatus.PENDING:
            attempts.settle(attempt, AttemptState.PROCESSING, result, self.now())
        elif status == ChargeStatus.UNDEFINED:
            attempts.settle(attempt, AttemptState.UNKNOWN, result, self.now())
        else:
            attempts.settle(attempt, AttemptState.FAILED if status == ChargeStatus.ERROR else AttemptState.CANCELLED,
                            result, self.now())
            if order.state == OrderState.PROCESSING:
                not_sent = bool(result.detail.get("not_sent"))
                if not_sent:  # the runner never sent this cycle's charge: its window passed in the queue
                    self.orders.finish(order, OrderState.TIMED_OUT, "payment window passed before the charge was sent")
                elif _expired_at_provider(result) or (window_closed and status == ChargeStatus.CANCELED):
                    self.orders.finish(order, OrderState.TIMED_OUT, "payment window passed")
                # A decline stays a decline with its reason even when its answer came after the window
                # (a lost off-session charge replayed by reconcile): the payer is told why, not "timed out".
                else:
                    self.orders.finish(order, OrderState.FAILED, result.message or "payment failed")
                # A decline counts towards the plan's retries; a window that closed with nothing
                # charged (never sent, or stopped at the provider) is not a decline: the plan is due
                # again on the next run, with no failure counted and no "could not be charged" notice.
                nothing_charged = not_sent or (status == ChargeStatus.CANCELED and
                                               (window_closed or _expired_at_provider(result)))
                if not nothing_charged:
                    self.renewals.on_failed(order, order.failure_reason or "payment failed", cycle)
        return result.redirect_url, result.message

    def _complete_in_bulk(self, batch: Batch, order: Order, result: ChargeResult, cycle) -> None:
        """What `OrderCompletion.complete` (a renewal order) and `renewals.on_paid` (its cycle) write,
        changed in hand and held in `batch.writes`."""
        now = self.now()
        writes = batch.writes
        order.state = OrderState.SUCCEEDED.value
        order.paid_at = order.finished_at = now
        writes.orders[order.id] = order
        for line in batch.lines[order.id]:
            writes.expiries.append((line.expires_after, line.item_id, line.expires_before))
            if batch.expiries.get(line.item_id) == line.expires_before:
                batch.expiries[line.item_id] = line.expires_after
        writes.audits.append((now, None, "order.paid", order.txn,
                              json.dumps(dict(total=order.total, unit=order.unit), default=str, sort_keys=True)))
        row, plan = cycle
        advance_paid_cycle(plan, row.cycle, result, now)
        writes.plans[plan.id] = plan
        batch.completed.append(order.id)

    def _refund(self, batch: Batch, order: Order, attempt: PaymentAttempt, result: ChargeResult, problem: str) -> None:
        """A payment that cannot be applied: refund what was taken (outside the transaction), end the
        order if it had not ended, record why. The payer is notified by the refund request."""
        paid = result.amount if result.amount is not None and result.amount.amount > 0 else None
        batch.refunds.append(self.refunds.request(order, attempt, problem, amount=paid))
        if not OrderState(order.state).is_final:
            self.orders.finish(order, OrderState.FAILED, f"paid after {problem}; the payment is refunded")
        self.audit.record(None, "order.paid_not_applied", order.txn, reason=problem)

    def _why_not_applicable(self, order: Order, attempt: PaymentAttempt, result: ChargeResult,
                            batch: Batch) -> str | None:
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
                        f"{self.ptime.format(now_expires)})")
        return None


def _completes_in_bulk(order: Order, lines: list[OrderItem], cycle) -> bool:
    """A paid renewal cycle whose completion only writes rows in hand: every line has an item
    and an old expiry, and the plan goes on (ending it reads the items again and audits)."""
    if cycle is None or order.purpose != Purpose.RENEWAL or not lines:
        return False
    if any(line.item_id is None or line.expires_before is None for line in lines):
        return False
    row, plan = cycle
    if plan.state != PlanState.ACTIVE:
        return True  # on_paid's _end_if_done does nothing for an ended or stopped plan
    cycles_done = max(plan.cycles_done, row.cycle)
    return plan.until is None and (plan.cycles_limit is None or cycles_done < plan.cycles_limit)


def _expired_at_provider(result: ChargeResult) -> bool:
    """A hosted page the provider closed at its own expiry (Stripe's checkout.session.expired,
    seen by a webhook or by polling before reconcile): the window passed, nothing was charged."""
    return result.status == ChargeStatus.CANCELED and result.detail.get("session_status") == "expired"


def _coupons_restored(order: Order) -> bool:
    return CouponEntry.select().where((CouponEntry.order == order.id) & (CouponEntry.kind == "restore")).exists()

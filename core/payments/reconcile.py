"""The reconciler (M3): the janitor that settles what the desk does not know yet.

One run:
1. every attempt left `processing` or `unknown` whose order is still inside its window: ask the
   provider `status(txn, provider_ref)` and record the answer;
2. every such attempt whose order is past its window: `expire(txn, provider_ref)` makes the
   hosted page unpayable — PROCESSED (the payer paid first) completes the order, CANCELED/ERROR
   times it out, UNDEFINED leaves it for the next run;
3. processing orders past their window with nothing in flight time out (R8);
4. refunds whose answer is unknown are asked again, with the same idempotency key.

Every answer goes through `PaymentService.record_result`, which never downgrades a known
outcome, so the run is idempotent and safe on several machines at once. A provider that raises
is caught and reported; the run goes on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.models import Order, PaymentAttempt
from ..domain import OrderState
from ..plugin_host import ChargeResult, ChargeStatus
from ..services.base import Service
from .attempts import IN_FLIGHT
from .refunds import RefundService, RefundState

if TYPE_CHECKING:
    from ..services.orders import OrderService
    from .service import PaymentService


@dataclass
class ReconcileSummary:
    """What one run settled, counted per outcome."""

    checked: int = 0           # in-flight attempts asked about
    paid: int = 0
    not_applied: int = 0       # paid, but the items had moved or the order had ended: refunded
    failed: int = 0            # declined or cancelled at the provider
    timed_out: int = 0         # orders past their window (expired at the provider, or nothing in flight)
    still_pending: int = 0     # the payer has not finished yet
    unknown: int = 0           # the provider could not say: asked again next run
    refunded: int = 0          # refunds confirmed (paid orders that could not be applied)
    refunds_open: int = 0
    refunds_failed: int = 0
    errors: int = 0            # providers that raised
    error_messages: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"reconcile: {self.checked} checked, {self.paid} paid, {self.not_applied} paid but not applied, "
                f"{self.failed} failed, "
                f"{self.timed_out} timed out, {self.still_pending} pending, {self.unknown} unknown, "
                f"{self.refunded} refunded, {self.refunds_open} refunds open, {self.refunds_failed} refunds failed, "
                f"{self.errors} errors")


class Reconciler(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, orders: "OrderService", payments: "PaymentService",
                 refunds: RefundService):
        super().__init__(db, clock)
        self.orders, self.payments, self.refunds = orders, payments, refunds

    def run(self) -> ReconcileSummary:
        """Settle everything in flight, time out overdue orders, retry open refunds."""
        summary = ReconcileSummary()
        now = self.now()
        in_flight = list(PaymentAttempt.select(PaymentAttempt, Order)
                         .join(Order, on=(PaymentAttempt.order == Order.id))
                         .where(PaymentAttempt.state.in_(IN_FLIGHT))
                         .order_by(PaymentAttempt.id))
        for attempt in in_flight:
            summary.checked += 1
            self._settle(attempt, attempt.order, attempt.order.deadline_at < now, summary)
        summary.timed_out += self.orders.expire_overdue()
        for refund_id in self.refunds.open_ids():
            try:
                state = self.refunds.attempt(refund_id)
            except Exception as exc:  # one refund's database error must not stop the others
                summary.errors += 1
                summary.error_messages.append(f"refund {refund_id}: {type(exc).__name__}: {_first_line(exc)}")
                continue
            if state == RefundState.SUCCEEDED:
                summary.refunded += 1
            elif state == RefundState.FAILED:
                summary.refunds_failed += 1
            else:
                summary.refunds_open += 1
        return summary

    def _settle(self, attempt: PaymentAttempt, order: Order, overdue: bool, summary: ReconcileSummary) -> None:
        txn = order.txn
        try:
            result = self.payments.ask_provider(order, attempt, overdue)
        except Exception as exc:  # the provider (or its plugin) failed: report, keep going
            summary.errors += 1
            summary.error_messages.append(f"order {txn} ({attempt.method}): {type(exc).__name__}: "
                                          f"{_first_line(exc)}")
            return
        if not isinstance(result, ChargeResult):
            summary.errors += 1
            summary.error_messages.append(f"order {txn} ({attempt.method}): the plugin answered {type(result).__name__}")
            return
        try:
            outcome = self._record(attempt, txn, result, overdue)
        except Exception as exc:  # a database error on one attempt must not abort the whole run
            summary.errors += 1
            summary.error_messages.append(f"order {txn} ({attempt.method}): recording the answer failed: "
                                          f"{type(exc).__name__}: {_first_line(exc)}")
            return
        if outcome is None:
            summary.unknown += 1
            return
        state = outcome.order.state
        if result.status == ChargeStatus.PROCESSED:
            if state == OrderState.SUCCEEDED:
                summary.paid += 1
            else:
                summary.not_applied += 1
        elif result.status == ChargeStatus.PENDING:
            summary.still_pending += 1
        elif state == OrderState.TIMED_OUT:
            summary.timed_out += 1
        else:
            summary.failed += 1


    def _record(self, attempt: PaymentAttempt, txn: str, result: ChargeResult, overdue: bool):
        """Record one answer; None when the outcome is still not known."""
        if result.status == ChargeStatus.UNDEFINED or (overdue and result.status == ChargeStatus.PENDING):
            # Still not known (an overdue PENDING means the provider could not stop the page): next run.
            if result.status == ChargeStatus.UNDEFINED:
                self.payments.record_result(None, txn, attempt.id, result)
            return None
        return self.payments.record_result(None, txn, attempt.id, result, window_closed=overdue)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:200]

"""One order's payment, asked about while its payer waits (the pending-order screen's poll).

A hosted payment (Stripe, PayPal) leaves the order `processing` with an attempt in flight while
the payer pays on a phone or browser. `check(actor, txn)` asks the provider about that attempt
and records the answer through the same path reconciliation uses (`record_result`, M2/M3), so
the desk's screen, a webhook and the reconciler can all answer the same attempt in any order: a
known outcome is never downgraded. Past the order's window the attempt is expired at the provider
instead (as reconcile does), and an order with nothing in flight is timed out (R8).

Only the payer may ask: the answer moves their order."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.database import locked
from ..db.models import Order, PaymentAttempt
from ..domain import AttemptState, OrderState
from ..errors import OrderStateError, OrderTimedOut, PaymentInProgress, PermissionDenied
from ..platform_time import PlatformTime
from ..plugin_host import ChargeResult, ChargeStatus
from ..services.base import Service
from ..views import Actor, OrderView
from . import attempts
from .attempts import IN_FLIGHT, in_flight
from .outcome import PaymentOutcome

if TYPE_CHECKING:
    from ..services.orders import OrderService
    from .service import PaymentService


class PaymentStatusService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, ptime: PlatformTime, orders: "OrderService",
                 payments: "PaymentService"):
        super().__init__(db, clock)
        self.ptime, self.orders, self.payments = ptime, orders, payments

    def check(self, actor: Actor, txn: str) -> PaymentOutcome:
        """Ask the provider about order `txn`'s in-flight attempt and record its answer; return
        the order as it now stands. `message` says what the provider answered ("" when nothing
        was in flight). A provider that cannot be reached leaves everything as it was and says
        so in `message`; the next check asks again."""
        order = self.orders.row(actor, txn)
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {txn}: only the payer can follow its payment")
        attempt = in_flight(order)
        overdue = self.now() > order.deadline_at
        if attempt is None:
            if overdue and order.state == OrderState.PROCESSING:
                self._time_out(order.id)
            return PaymentOutcome(self.orders.get(actor, txn))
        try:
            result = self.payments.ask_provider(order, attempt, overdue)
        except Exception as exc:  # the provider is unreachable: the payer may still pay; ask again later
            return PaymentOutcome(self.orders.get(actor, txn), attempt.redirect_url,
                                  f"could not reach {attempt.method}: {type(exc).__name__}")
        if not isinstance(result, ChargeResult):
            return PaymentOutcome(self.orders.get(actor, txn), attempt.redirect_url,
                                  f"{attempt.method} gave no answer")
        if overdue and result.status == ChargeStatus.PENDING:
            # The provider could not close the page yet: reconcile (or the next check) settles it.
            return PaymentOutcome(self.orders.get(actor, txn), attempt.redirect_url, result.message)
        outcome = self.payments.record_result(actor, txn, attempt.id, result, window_closed=overdue)
        return PaymentOutcome(outcome.order, attempt.redirect_url, result.message or outcome.message)

    def resumable(self, actor: Actor, txn: str) -> OrderView:
        """Order `txn` if its payer may still pay it (Orders' "Pay / Resume"): a processing order
        inside its window, with or without a hosted payment in flight. An overdue order with
        nothing in flight is timed out here (R8) and refused, as pay() would."""
        order = self.orders.row(actor, txn)
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {txn}: only the payer may pay it")
        if order.state == OrderState.PROCESSING and self.now() > order.deadline_at:
            if not self.orders.in_flight(order):
                self._time_out(order.id)
                raise OrderTimedOut(f"order {txn}: the payment window closed at "
                                    f"{self.ptime.format(order.deadline_at)}; place a new order")
        order = self.orders.row(actor, txn)
        if order.state != OrderState.PROCESSING:
            raise OrderStateError(f"order {txn} is {OrderState(order.state).label}; it cannot be paid")
        return self.orders.view(order)

    def cancel(self, actor: Actor, txn: str) -> OrderView:
        """The payer gives up on order `txn`: close its hosted page at the provider, then cancel
        the order (orders.cancel). If the payer paid first, the payment is recorded and the paid
        order is returned instead; if the provider cannot say yet, nothing changes and the
        refusal says so (the order cannot be cancelled while a payment may still land, M3)."""
        order = self.orders.row(actor, txn)
        if order.payer_id != actor.id:
            raise PermissionDenied(f"order {txn}: only the payer may cancel it")
        attempt = in_flight(order)
        if attempt is None:
            return self.orders.cancel(actor, txn)
        method = self.payments.methods.get(attempt.method)
        try:
            result = self.payments.ask_provider(order, attempt, overdue=True)   # close the page
        except Exception as exc:
            raise PaymentInProgress(f"order {txn}: could not reach {method.label} to close the payment page "
                                    f"({type(exc).__name__}); try again") from None
        status = result.status if isinstance(result, ChargeResult) else ChargeStatus.UNDEFINED
        if status == ChargeStatus.PROCESSED:
            return self.payments.record_result(actor, txn, attempt.id, result).order
        if status not in (ChargeStatus.CANCELED, ChargeStatus.ERROR):
            raise PaymentInProgress(f"order {txn}: {method.label} is still processing the payment; it cannot be "
                                    f"cancelled now — check again in a moment")
        with self.write():
            locked(Order.select().where(Order.id == order.id)).first()  # the order lock, as recording takes it
            attempt = PaymentAttempt.get_by_id(attempt.id)
            if attempt.state in IN_FLIGHT:
                attempts.settle(attempt, AttemptState.CANCELLED, result, self.now())
        return self.orders.cancel(actor, txn)

    def _time_out(self, order_id: int) -> None:
        with self.write():
            order = locked(Order.select().where(Order.id == order_id)).first()
            if (order.state == OrderState.PROCESSING and self.now() > order.deadline_at
                    and not self.orders.in_flight(order)):
                self.orders.finish(order, OrderState.TIMED_OUT, "payment window passed")


"""Offline payments (bank transfer, cash at the office): methods that declare
`settled_by_operator = True`.

The payer chooses the method; its `charge()` answers PENDING and the order waits the method's
own `payment_window` (days, not the desk's 15 minutes) with an attempt `processing`. The core
keeps all the state — the attempt row, the order's deadline, the audit trail — and the plugin
none: a platform operator records that the money arrived (`confirm`, with the bank's or the
receipt's reference) or that it will not (`reject`, with the reason). Both go through the same
recording path as every provider answer (`PaymentService.record_result`, M2/M3), so a
confirmation completes the order exactly once. Past the window, reconcile asks `expire()` and
the order times out as any other.

Both are idempotent: confirming again with the same reference (or rejecting again) answers the
order as it stands and writes nothing; a different answer for a settled payment is refused."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.models import Order, PaymentAttempt
from ..domain import AttemptState
from ..errors import InvalidInput, NotFound, OrderStateError
from ..money import Money
from ..plugin_host import ChargeResult, ChargeStatus
from ..services.base import Service
from .. import validate
from ..views import OrderView

if TYPE_CHECKING:
    from ..services.audit import AuditService
    from ..services.orders import OrderService
    from .eligibility import PaymentMethods
    from .service import PaymentService


class OfflinePayments(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, methods: "PaymentMethods", payments: "PaymentService",
                 orders: "OrderService", audit: "AuditService"):
        super().__init__(db, clock)
        self.methods, self.payments, self.orders, self.audit = methods, payments, orders, audit

    def confirm(self, txn: str, reference: str) -> OrderView:
        """The money for order `txn` arrived (operator's word, quoting the bank's or receipt's
        `reference`): the order completes. Audited `payment.confirmed`."""
        reference = validate.text("reference", reference, max_len=128)
        order, attempt = self._offline_attempt(txn)
        if attempt.state in (AttemptState.SUCCEEDED, AttemptState.REFUNDED):
            if attempt.provider_ref != reference:
                raise OrderStateError(f"order {txn}: already confirmed with reference '{attempt.provider_ref}'")
            return self.orders.view(Order.get_by_id(order.id))       # the same confirmation again: nothing new
        self._check_open(txn, attempt)
        result = ChargeResult(ChargeStatus.PROCESSED, Money(attempt.amount, attempt.unit), provider_ref=reference,
                              message=f"receipt confirmed by the operator ({reference})")
        outcome = self.payments.record_result(None, txn, attempt.id, result)
        with self.write():
            self.audit.record(None, "payment.confirmed", txn, method=attempt.method, reference=reference,
                              amount=attempt.amount, unit=attempt.unit)
        return outcome.order

    def reject(self, txn: str, reason: str) -> OrderView:
        """The money for order `txn` will not come (or came wrong): the order fails with `reason`.
        Audited `payment.rejected`."""
        reason = validate.text("reason", reason, max_len=200)
        order, attempt = self._offline_attempt(txn)
        if attempt.state == AttemptState.FAILED:
            return self.orders.view(Order.get_by_id(order.id))       # rejected already
        self._check_open(txn, attempt)
        outcome = self.payments.record_result(None, txn, attempt.id, ChargeResult(ChargeStatus.ERROR, message=reason))
        with self.write():
            self.audit.record(None, "payment.rejected", txn, method=attempt.method, reason=reason)
        return outcome.order

    def _offline_attempt(self, txn: str) -> tuple[Order, PaymentAttempt]:
        order = Order.get_or_none(Order.txn == (txn or "").strip())
        if order is None:
            raise NotFound(f"order: no order {txn}")
        offline = {m.key for m in self.methods.all() if m.settled_by_operator}
        attempt = (PaymentAttempt.select().where((PaymentAttempt.order == order.id) &
                                                 (PaymentAttempt.method.in_(sorted(offline) or ["-"])))
                   .order_by(PaymentAttempt.id.desc()).first())
        if attempt is None:
            raise InvalidInput("txn", f"order {txn} has no payment by an operator-settled method")
        return order, attempt

    @staticmethod
    def _check_open(txn: str, attempt: PaymentAttempt) -> None:
        if attempt.state not in (AttemptState.PROCESSING, AttemptState.UNKNOWN):
            raise OrderStateError(f"order {txn}: its payment is {attempt.state}; nothing to confirm or reject")

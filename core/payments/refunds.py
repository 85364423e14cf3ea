"""Refunds of paid attempts that could not be applied (their items moved, or the order had ended).

A refund is recorded (state `requested`) in the transaction that finds it is needed, then asked
of the provider outside any transaction. Its idempotency key derives from the transaction number
and the attempt (M1: `<txn>-refund-<nn>`), so the reconciler may ask again while the answer is
unknown and the payer is never refunded twice."""
from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.database import locked
from ..db.models import Order, PaymentAttempt, Refund
from ..domain import AttemptState
from ..money import Money
from ..plugin_host import ChargeResult, ChargeStatus, PluginHost, RefundRequest
from ..services.base import Service
from ..services.notifications import NotificationKind
from .requests import ChargeRequests

if TYPE_CHECKING:
    from ..services.audit import AuditService
    from ..services.notifications import NotificationService


class RefundState(StrEnum):
    REQUESTED = "requested"   # recorded, not yet answered
    UNKNOWN = "unknown"       # asked, answer unknown (timeout, 5xx, pending): reconcile asks again
    SUCCEEDED = "succeeded"
    FAILED = "failed"         # the provider refused: an operator must act (a notification says so)


OPEN_REFUNDS = (RefundState.REQUESTED.value, RefundState.UNKNOWN.value)


class RefundService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, plugins: PluginHost, requests: ChargeRequests,
                 audit: "AuditService", notifications: "NotificationService"):
        super().__init__(db, clock)
        self.plugins, self.requests, self.audit, self.notifications = plugins, requests, audit, notifications

    def request(self, order: Order, attempt: PaymentAttempt, reason: str, amount: Money | None = None) -> int:
        """Record that `attempt` must be refunded (inside the caller's transaction); once per attempt.
        `amount`: what the provider reported taken, when it differs from what the attempt asked."""
        existing = Refund.get_or_none(Refund.attempt == attempt.id)
        if existing is not None:
            return existing.id
        number = attempt.idempotency_key.rsplit("-", 1)[-1]
        now = self.now()
        amount = amount if amount is not None else Money(attempt.amount, attempt.unit)
        refund = Refund.create(attempt=attempt.id, idempotency_key=f"{order.txn}-refund-{number}",
                               amount=amount.amount, unit=amount.currency, state=RefundState.REQUESTED.value,
                               reason=reason, created_at=now, updated_at=now)
        self.notifications.notify(order.payer_id, NotificationKind.PAYMENT_REFUNDED,
                                       f"Order {order.txn} was paid ({amount}) after {reason}; nothing was "
                                       f"applied and the payment is being refunded", order_id=order.id)
        return refund.id

    def attempt(self, refund_id: int) -> RefundState:
        """Ask the provider for refund `refund_id` (outside any transaction) and record the answer.
        A provider that raises leaves the refund unknown, for the next reconcile run."""
        refund = Refund.get_by_id(refund_id)
        if refund.state not in OPEN_REFUNDS:
            return RefundState(refund.state)
        attempt = PaymentAttempt.get_by_id(refund.attempt_id)
        txn = Order.select(Order.txn).where(Order.id == attempt.order_id).scalar()
        try:
            method = self.plugins.method(attempt.method)
            provider_ref = attempt.provider_ref
            if not provider_ref:  # the charge's answer never named it: look the charge up by txn
                order = Order.get_by_id(attempt.order_id)
                found = method.status(txn, None, self.requests.rebuild(order, attempt))
                provider_ref = found.provider_ref
            if not provider_ref:
                result = ChargeResult(ChargeStatus.UNDEFINED, message="the provider has not named the charge yet")
            else:
                request = RefundRequest(txn=txn, provider_ref=provider_ref, amount=Money(refund.amount, refund.unit),
                                        idempotency_key=refund.idempotency_key, reason=refund.reason)
                if refund.provider_ref:
                    # The provider accepted it before (pending): look that refund up rather than
                    # post it again — a re-post replays the first answer forever (PayPal), or,
                    # once the key has expired, asks for a second refund (Stripe).
                    result = method.refund_status(request, refund.provider_ref)
                else:
                    result = method.refund(request)
        except Exception as exc:  # transport error or crash: the refund's outcome is unknown
            result = ChargeResult(ChargeStatus.UNDEFINED, message=f"{type(exc).__name__}: {_first_line(exc)}")
        return self.record(refund_id, result)

    def record(self, refund_id: int, result: ChargeResult) -> RefundState:
        with self.write():
            refund = locked(Refund.select().where(Refund.id == refund_id)).first()
            if refund.state not in OPEN_REFUNDS:
                return RefundState(refund.state)  # never downgrade a known outcome
            attempt = PaymentAttempt.get_by_id(refund.attempt_id)
            order = Order.get_by_id(attempt.order_id)
            if result.status == ChargeStatus.PROCESSED:
                state = RefundState.SUCCEEDED
                # M7: the attempt's state only (recording may be writing its other columns).
                PaymentAttempt.update(state=AttemptState.REFUNDED.value, updated_at=self.now()).where(
                    PaymentAttempt.id == attempt.id).execute()
                self.audit.record(None, "payment.refunded", order.txn, amount=refund.amount, unit=refund.unit)
            elif result.status in (ChargeStatus.ERROR, ChargeStatus.CANCELED):
                state = RefundState.FAILED
                self.notifications.notify(
                    order.payer_id, NotificationKind.REFUND_FAILED,
                    f"Order {order.txn}: the refund of {Money(refund.amount, refund.unit)} was refused "
                    f"({result.message or 'no reason given'}); an operator will contact you", order_id=order.id)
            else:
                state = RefundState.UNKNOWN
            refund.state = state.value
            # The refund's own id at the provider (refund() answers it as provider_ref), for refund_status().
            refund.provider_ref = result.provider_ref or refund.provider_ref
            refund.detail = json.dumps({"message": result.message, **result.detail}, default=str)
            refund.updated_at = self.now()
            refund.save(only=[Refund.state, Refund.provider_ref, Refund.detail, Refund.updated_at])
            return state

    def open_ids(self) -> list[int]:
        """Refunds still waiting for a known answer, oldest first."""
        return [r.id for r in Refund.select(Refund.id).where(Refund.state.in_(OPEN_REFUNDS)).order_by(Refund.id)]


def _first_line(exc: BaseException) -> str:
    """An exception's first line, shortened: enough to act on, never a whole provider payload."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:200]

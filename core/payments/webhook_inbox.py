"""The webhook inbox (M5): verified provider notifications, stored once and applied idempotently.

The WSGI endpoint (app/webhook_server.py) verifies the sender through the method's `parse_webhook`
and hands the event here. A (method, event id) is stored once: a replay finds its row and
changes nothing. An event is applied through `PaymentService.record_result` — the same path as
every provider answer, which never downgrades a known outcome — to the attempt that carries its
provider reference, else the order's latest attempt with that method. An event whose
application crashed stays `received` and is applied when the provider delivers it again.

An informational event (no outcome of its own) that names an attempt still in flight by its
provider reference — PayPal's CHECKOUT.ORDER.APPROVED: the payer approved, the money moves at
capture — is settled at once: the method's `status()` is asked for that attempt (outside any
transaction; for PayPal it captures, idempotently) and its answer recorded, rather than waiting
for the next reconcile run."""
from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.models import Order, PaymentAttempt, WebhookInbox
from ..plugin_host import ChargeResult, ChargeStatus, PluginHost, WebhookEvent
from ..services.base import Service
from .attempts import IN_FLIGHT

if TYPE_CHECKING:
    from .service import PaymentService


log = logging.getLogger("smartpay.webhooks")
_TXN = re.compile(r"^[0-9]{17}$")


def _foreign_txn_dropped(method_key: str, event: WebhookEvent) -> WebhookEvent:
    """Our transaction numbers are exactly 17 digits. Anything else in an event's txn (another
    application sharing the provider account) is not ours: stored as txn None and ignored —
    never a database error (the column holds 17 characters) that makes the provider retry for days."""
    if event.txn is None or _TXN.match(event.txn):
        return event
    log.info("webhook %s event %s names a foreign transaction; ignored", method_key, event.event_id[:64])
    ref = event.provider_ref if event.provider_ref is None or len(event.provider_ref) <= 255 else None
    return dataclasses.replace(event, txn=None, provider_ref=ref)


class InboxState(StrEnum):
    RECEIVED = "received"   # stored, not yet (or not successfully) applied
    APPLIED = "applied"
    IGNORED = "ignored"     # not about an order or attempt of ours, or informational only


class WebhookOutcome(StrEnum):
    APPLIED = "applied"
    REPLAY = "replay"
    IGNORED = "ignored"


@dataclass(frozen=True)
class WebhookReceipt:
    outcome: WebhookOutcome
    message: str
    txn: str | None = None
    order_state: str | None = None


class WebhookInboxService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, plugins: PluginHost, payments: "PaymentService"):
        super().__init__(db, clock)
        self.plugins, self.payments = plugins, payments

    def receive(self, method_key: str, event: WebhookEvent) -> WebhookReceipt:
        """Store `event` once and apply it; a replay of a handled event changes nothing."""
        event = _foreign_txn_dropped(method_key, event)
        try:
            with self.write():
                row = WebhookInbox.get_or_none((WebhookInbox.method == method_key) &
                                               (WebhookInbox.event_id == event.event_id))
                if row is None:
                    row = WebhookInbox.create(method=method_key, event_id=event.event_id, type=event.type[:128],
                                              txn=event.txn, provider_ref=event.provider_ref,
                                              state=InboxState.RECEIVED.value, received_at=self.now())
        except pw.IntegrityError:  # the same event delivered twice at once: the other delivery has it
            return WebhookReceipt(WebhookOutcome.REPLAY, f"event {event.event_id} is already being handled", event.txn)
        if row.state != InboxState.RECEIVED:
            return WebhookReceipt(WebhookOutcome.REPLAY, f"event {event.event_id} was already {row.state}", event.txn)
        receipt = self._apply(method_key, event)
        state = InboxState.APPLIED if receipt.outcome == WebhookOutcome.APPLIED else InboxState.IGNORED
        with self.write():
            WebhookInbox.update(state=state.value, note=receipt.message[:1000], handled_at=self.now()).where(
                WebhookInbox.id == row.id).execute()
        return receipt

    def _apply(self, method_key: str, event: WebhookEvent) -> WebhookReceipt:
        if not event.txn:
            return WebhookReceipt(WebhookOutcome.IGNORED, f"event {event.event_id} ({event.type}) names no order of ours")
        order = Order.get_or_none(Order.txn == event.txn)
        if order is None:
            return WebhookReceipt(WebhookOutcome.IGNORED, f"event {event.event_id}: no order {event.txn}", event.txn)
        if event.result is None:
            return self._settle_by_status(method_key, event, order)
        attempts = PaymentAttempt.select().where((PaymentAttempt.order == order.id) &
                                                 (PaymentAttempt.method == method_key))
        attempt = None
        if event.provider_ref:
            attempt = attempts.where(PaymentAttempt.provider_ref == event.provider_ref).first()
        if attempt is None:
            attempt = attempts.order_by(PaymentAttempt.id.desc()).first()
        if attempt is None:
            return WebhookReceipt(WebhookOutcome.IGNORED, f"event {event.event_id}: order {event.txn} has no "
                                                          f"{method_key} payment", event.txn, order.state)
        outcome = self.payments.record_result(None, event.txn, attempt.id, event.result)
        return WebhookReceipt(WebhookOutcome.APPLIED, f"event {event.event_id} ({event.type}) applied to order "
                                                      f"{event.txn}: {outcome.message or event.result.status}",
                              event.txn, outcome.order.state.value)

    def _settle_by_status(self, method_key: str, event: WebhookEvent, order: Order) -> WebhookReceipt:
        """An informational event: if it names an in-flight attempt, ask the provider how that
        attempt stands now and record the answer; otherwise there is nothing to do."""
        attempt = None
        if event.provider_ref:
            attempt = PaymentAttempt.get_or_none((PaymentAttempt.order == order.id) &
                                                 (PaymentAttempt.method == method_key) &
                                                 (PaymentAttempt.provider_ref == event.provider_ref) &
                                                 PaymentAttempt.state.in_(IN_FLIGHT))
        if attempt is None:
            return WebhookReceipt(WebhookOutcome.IGNORED, f"event {event.event_id} ({event.type}) is informational",
                                  event.txn, order.state)
        try:  # a provider call: outside any transaction (this method opens none)
            result = self.plugins.method(method_key).status(event.txn, attempt.provider_ref)
        except Exception as exc:  # unreachable provider: the answer stays unknown, reconcile asks later
            result = ChargeResult(ChargeStatus.UNDEFINED, message=f"{type(exc).__name__} asking the provider")
        outcome = self.payments.record_result(None, event.txn, attempt.id, result)
        return WebhookReceipt(WebhookOutcome.APPLIED, f"event {event.event_id} ({event.type}) settled order "
                                                      f"{event.txn} by asking the provider: {result.status}",
                              event.txn, outcome.order.state.value)

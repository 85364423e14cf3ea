"""The webhook inbox (M5): verified provider notifications, stored once and applied idempotently.

The WSGI endpoint (core/webhooks.py) verifies the sender through the method's `parse_webhook`
and hands the event here. A (method, event id) is stored once: a replay finds its row and
changes nothing. An event is applied through `PaymentService.record_result` — the same path as
every provider answer, which never downgrades a known outcome — to the attempt that carries its
provider reference, else the order's latest attempt with that method. An event whose
application crashed stays `received` and is applied when the provider delivers it again."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import peewee as pw

from ..db.models import Order, PaymentAttempt, WebhookInbox
from ..plugin_host import WebhookEvent
from .base import Service


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
    def receive(self, method_key: str, event: WebhookEvent) -> WebhookReceipt:
        """Store `event` once and apply it; a replay of a handled event changes nothing."""
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
            return WebhookReceipt(WebhookOutcome.IGNORED, f"event {event.event_id} ({event.type}) is informational",
                                  event.txn, order.state)
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
        outcome = self.core.payments.record_result(None, event.txn, attempt.id, event.result)
        return WebhookReceipt(WebhookOutcome.APPLIED, f"event {event.event_id} ({event.type}) applied to order "
                                                      f"{event.txn}: {outcome.message or event.result.status}",
                              event.txn, outcome.order.state.value)

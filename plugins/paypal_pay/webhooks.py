"""PayPal webhooks: verify the sender with PayPal's verify-webhook-signature API (M5), then
reduce the event to a WebhookEvent.

The event goes to the verify API byte for byte as it arrived (spliced into the request JSON,
never re-serialized): PayPal checks a CRC32 of the body, and a re-encoded body fails it.
"""
from __future__ import annotations

import json
from typing import Callable, Mapping

from smartpay.core.plugin_host import ChargeResult, ChargeStatus, WebhookEvent, WebhookRejected

from .gateway import PayPalGateway, PayPalRefused, PayPalUnknown
from .orders import PAID, order_result
from .settings import PayPalSettings

HEADERS = {"transmission_id": "paypal-transmission-id", "transmission_time": "paypal-transmission-time",
           "transmission_sig": "paypal-transmission-sig", "cert_url": "paypal-cert-url",
           "auth_algo": "paypal-auth-algo"}


def verify_and_parse(gateway: PayPalGateway, settings: PayPalSettings, headers: Mapping[str, str],
                     body: bytes) -> WebhookEvent:
    if not settings.webhook_id:
        raise WebhookRejected("PayPal webhooks need plugins.paypal_pay.webhook_id (the id PayPal gave the webhook)")
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [name for name in HEADERS.values() if not lowered.get(name)]
    if missing:
        raise WebhookRejected(f"not a PayPal webhook: missing header(s) {', '.join(missing)}")
    try:
        text = body.decode("utf-8")
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("the PayPal webhook body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookRejected("the PayPal webhook body is not a JSON object")
    fields = {key: lowered[name] for key, name in HEADERS.items()}
    request = json.dumps({**fields, "webhook_id": settings.webhook_id})
    request = request[:-1] + ',"webhook_event":' + text + "}"
    try:
        answer = gateway.verify_webhook_signature(request)
    except (PayPalRefused, PayPalUnknown) as exc:
        raise WebhookRejected(f"PayPal could not verify the webhook: {exc}") from None
    if answer.get("verification_status") != "SUCCESS":
        raise WebhookRejected("PayPal did not verify the webhook signature "
                              f"(verification_status {answer.get('verification_status') or 'missing'})")
    return _event(event, gateway.get_order)


def _event(event: dict, fetch_order: Callable[[str], dict] | None = None) -> WebhookEvent:
    """The event reduced to a WebhookEvent. A completed capture is announced with the outcome
    of its order as read from PayPal (`fetch_order`), the same `order_result` status() gives —
    the capture resource alone lacks the vault id an auto-renew plan needs. If the order cannot
    be read, the event carries no result: polling (status) settles the payment instead."""
    event_id, event_type = str(event.get("id") or ""), str(event.get("event_type") or "")
    if not event_id or not event_type:
        raise WebhookRejected("the PayPal webhook has no id or event_type")
    resource = event.get("resource") if isinstance(event.get("resource"), dict) else {}
    if event_type == "CHECKOUT.ORDER.APPROVED":
        units = resource.get("purchase_units") or [{}]
        # Informational: the money moves at capture, which status() does for this order.
        return WebhookEvent(event_id, event_type, units[0].get("custom_id"), resource.get("id"), None)
    if event_type in ("PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED"):
        order_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")
        detail = {"order_id": order_id, "capture_id": resource.get("id"), "capture_status": resource.get("status")}
        if event_type == "PAYMENT.CAPTURE.COMPLETED" and resource.get("status") in PAID:
            result = _paid_order(order_id, fetch_order)
        else:
            result = ChargeResult(ChargeStatus.ERROR, provider_ref=order_id, detail=detail,
                                  message="PayPal denied the payment")
        return WebhookEvent(event_id, event_type, resource.get("custom_id"), order_id, result)
    # Verified, but not one the desk acts on (refunds, pending captures, …): acknowledged, stored once.
    return WebhookEvent(event_id, event_type, resource.get("custom_id"), None, None)


def _paid_order(order_id: str | None, fetch_order: Callable[[str], dict] | None) -> ChargeResult | None:
    if not order_id or fetch_order is None:
        return None
    try:
        order = fetch_order(order_id)
    except (PayPalRefused, PayPalUnknown):
        return None
    result = order_result(order)
    # Only a paid order is announced; anything else (not visible as captured yet) is left to polling.
    return result if result.status == ChargeStatus.PROCESSED else None

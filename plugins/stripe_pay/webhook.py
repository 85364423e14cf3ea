"""Stripe webhooks: verify the sender with `stripe.Webhook.construct_event` (M5), then reduce the
event to a WebhookEvent. Rejections name what was wrong, never the secret or the signature.

checkout.session.completed (paid) and checkout.session.async_payment_succeeded → PROCESSED;
checkout.session.expired → CANCELED; payment_intent.succeeded → PROCESSED;
payment_intent.payment_failed → ERROR for off-session charges, but nothing for a hosted-page
payment (the page stays open and the payer may try another card). Other types are passed on
with no result."""
from __future__ import annotations

import json
from typing import Callable, Mapping

from smartpay.core.plugin_host import ChargeStatus, WebhookEvent, WebhookRejected

from .outcomes import intent_result, session_result

_SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                   "checkout.session.expired")
NO_SECRET = "Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET or plugins.stripe_pay.webhook_secret"
# The SDK's reasons, reworded; any other verification failure is reported generically.
_REASONS = {"No Stripe-Signature header": "no Stripe-Signature header",
            "Unable to extract timestamp": "the Stripe-Signature header is malformed",
            "No signatures found with expected scheme": "the Stripe-Signature header has no v1 signature",
            "No signatures found matching": "the signature does not match the body",
            "Timestamp outside the tolerance zone": "the signature is too old (a replayed event?)"}


def parse_event(headers: Mapping[str, str], body: bytes, secret: str | None,
                fetch_intent: Callable[[str], dict]) -> WebhookEvent:
    """The event, verified with `secret`; `fetch_intent(id)` reads a PaymentIntent when the event
    only names it (a paid session that saved a card)."""
    import stripe

    if not secret:
        raise WebhookRejected(NO_SECRET)
    signature = next((v for k, v in headers.items() if k.lower() == "stripe-signature"), None)
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body)
        stripe.Webhook.construct_event(text, signature, secret)
        event = json.loads(text)
    except stripe.SignatureVerificationError as exc:
        reason = next((r for start, r in _REASONS.items() if str(exc.user_message or "").startswith(start)),
                      "the signature did not verify")
        raise WebhookRejected(f"Stripe webhook rejected: {reason}") from None
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("Stripe webhook rejected: the body is not JSON") from None
    except (AttributeError, TypeError, KeyError):   # signed, but the SDK cannot read it as an event
        raise WebhookRejected("Stripe webhook rejected: not a Stripe event") from None
    obj = (event.get("data") or {}).get("object") if isinstance(event, dict) else None
    if not isinstance(obj, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookRejected("Stripe webhook rejected: not a Stripe event (no id, type or data.object)")
    kind = event["type"]
    try:
        metadata = obj.get("metadata") or {}
        txn = metadata.get("txn") or obj.get("client_reference_id")
        result = None
        if kind in _SESSION_EVENTS:
            result = _session_outcome(obj, fetch_intent)
        elif kind == "payment_intent.succeeded":
            result = intent_result(obj)
        elif kind == "payment_intent.payment_failed" and metadata.get("flow") != "checkout":
            result = intent_result(obj)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise WebhookRejected(f"Stripe webhook rejected: a {kind} event without the fields it needs") from None
    return WebhookEvent(event_id=event["id"], type=kind, txn=txn, provider_ref=obj.get("id"), result=result)


def _session_outcome(session: dict, fetch_intent: Callable[[str], dict]):
    result = session_result(session)
    if result.status != ChargeStatus.PROCESSED:
        return result if result.status == ChargeStatus.CANCELED else None
    if (session.get("metadata") or {}).get("save_method") == "true" and session.get("payment_intent"):
        # The saved card lives on the PaymentIntent, which the event only names: ask for it. If
        # Stripe cannot be reached now, announce nothing — polling status() gets the full answer.
        ref = session["payment_intent"]
        ref = ref if isinstance(ref, str) else ref["id"]
        try:
            intent = fetch_intent(ref)
        except Exception:
            return None
        result = session_result({**session, "payment_intent": intent})
    return result

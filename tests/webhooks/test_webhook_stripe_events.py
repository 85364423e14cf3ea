"""M5 (verify the sender): Stripe webhooks are accepted only with a valid Stripe-Signature for the
configured secret, and reduced to what the core needs — the event id, the order's txn, the
reference the attempt recorded, and the outcome."""
from __future__ import annotations

import json
import time

import pytest

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, WebhookRejected
from smartpay.emulators.faults import Fault
from smartpay.emulators.stripe import build_event, signed_event
from smartpay.plugins.stripe_pay import StripeMethod

from stripe_support import (WEBHOOK_SECRET, charge_request, pay_on_page, stripe_emulator,  # noqa: F401 (fixtures)
                            stripe_method, stripe_settings)

TXN = "20250910140000001"


def lower(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


def _signed(emulator, event):
    """(headers, body) of a delivery of `event`, as the webhook endpoint hands them over."""
    body, headers = emulator.sign_event(event)
    return lower(headers), body


def events_of(emulator, kind):
    return [e for e in emulator.events() if e["type"] == kind]


def test_m5_a_completed_checkout_parses_to_processed(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN, amount=4200))
    pay_on_page(started.redirect_url)
    [event] = events_of(stripe_emulator, "checkout.session.completed")
    body, headers = stripe_emulator.sign_event(event)
    parsed = stripe_method.parse_webhook(lower(headers), body)
    assert (parsed.event_id, parsed.type, parsed.txn) == (event["id"], "checkout.session.completed", TXN)
    assert parsed.provider_ref == started.provider_ref
    assert parsed.result.status == ChargeStatus.PROCESSED and parsed.result.amount == Money(4200, "USD")
    assert parsed.result.saved_method is None


def test_m5_a_completed_checkout_that_saved_a_card_carries_the_token(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN, save_method=True))
    pay_on_page(started.redirect_url)
    [event] = events_of(stripe_emulator, "checkout.session.completed")
    parsed = stripe_method.parse_webhook(*_signed(stripe_emulator, event))
    assert parsed.result.saved_method == stripe_method.status(TXN, started.provider_ref).saved_method
    assert parsed.result.saved_method.startswith("cus_")


def test_when_the_saved_card_cannot_be_read_the_event_announces_nothing(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN, save_method=True))
    pay_on_page(started.redirect_url)
    [event] = events_of(stripe_emulator, "checkout.session.completed")
    stripe_emulator.arm(Fault.RESET, "retrieve_payment_intent")
    parsed = stripe_method.parse_webhook(*_signed(stripe_emulator, event))
    assert parsed.txn == TXN and parsed.result is None     # polling status() will bring the card token
    assert stripe_method.status(TXN, started.provider_ref).saved_method


def test_m5_expired_sessions_and_payment_intents_map_to_their_outcomes(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN))
    stripe_method.expire(TXN, started.provider_ref)
    [expired] = events_of(stripe_emulator, "checkout.session.expired")
    parsed = stripe_method.parse_webhook(*_signed(stripe_emulator, expired))
    assert parsed.result.status == ChargeStatus.CANCELED and parsed.provider_ref == started.provider_ref

    second = stripe_method.charge(charge_request("20250910140000002", save_method=True))
    pay_on_page(second.redirect_url)
    token = stripe_method.status("20250910140000002", second.provider_ref).saved_method
    stripe_emulator.fail_next_off_session(token, "card_declined")
    declined = stripe_method.charge_saved(charge_request("20250910140000003", saved_method=token))
    renewed = stripe_method.charge_saved(charge_request("20250910140000004", saved_method=token))
    by_txn = {e["data"]["object"]["metadata"]["txn"]: e for e in stripe_emulator.events()
              if e["type"].startswith("payment_intent.")}
    failed = stripe_method.parse_webhook(*_signed(stripe_emulator, by_txn["20250910140000003"]))
    assert failed.type == "payment_intent.payment_failed" and failed.result.status == ChargeStatus.ERROR
    assert failed.provider_ref == declined.provider_ref and "declined" in failed.result.message
    succeeded = stripe_method.parse_webhook(*_signed(stripe_emulator, by_txn["20250910140000004"]))
    assert succeeded.result.status == ChargeStatus.PROCESSED and succeeded.provider_ref == renewed.provider_ref


def test_a_declined_card_on_the_hosted_page_announces_nothing_final(stripe_emulator, stripe_method):
    started = stripe_method.charge(charge_request(TXN))
    stripe_emulator.decline_session(started.provider_ref)
    [failed] = events_of(stripe_emulator, "payment_intent.payment_failed")
    parsed = stripe_method.parse_webhook(*_signed(stripe_emulator, failed))
    assert parsed.txn == TXN and parsed.result is None     # the page stays open: the payer may try again


def test_unknown_event_types_are_informational(stripe_method):
    event = build_event("customer.created", {"id": "cus_1", "object": "customer", "metadata": {}})
    body, headers = signed_event(event, WEBHOOK_SECRET)
    parsed = stripe_method.parse_webhook(lower(headers), body)
    assert parsed.result is None and parsed.txn is None and parsed.event_id == event["id"]


# -- rejected ---------------------------------------------------------------------------------------------
def _session_event():
    return build_event("checkout.session.completed", {
        "id": "cs_test_forged", "object": "checkout.session", "status": "complete", "payment_status": "paid",
        "amount_total": 100000, "currency": "usd", "metadata": {"txn": TXN}, "payment_intent": "pi_forged"})


def test_m5_a_forged_signature_is_rejected(stripe_method):
    body, headers = signed_event(_session_event(), "whsec_someone_else")
    with pytest.raises(WebhookRejected, match="does not match") as rejected:
        stripe_method.parse_webhook(lower(headers), body)
    assert WEBHOOK_SECRET not in str(rejected.value) and headers["Stripe-Signature"] not in str(rejected.value)


def test_m5_a_tampered_body_is_rejected(stripe_method):
    body, headers = signed_event(_session_event(), WEBHOOK_SECRET)
    tampered = body.replace(b"100000", b"1")
    with pytest.raises(WebhookRejected, match="does not match"):
        stripe_method.parse_webhook(lower(headers), tampered)


def test_m5_a_replayed_old_event_is_rejected(stripe_method):
    body, headers = signed_event(_session_event(), WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookRejected, match="too old"):
        stripe_method.parse_webhook(lower(headers), body)


@pytest.mark.parametrize("headers", [{}, {"stripe-signature": ""}, {"stripe-signature": "garbage"},
                                     {"stripe-signature": "t=1,v0=abc"}])
def test_m5_a_missing_or_malformed_signature_is_rejected(stripe_method, headers):
    body, _ = signed_event(_session_event(), WEBHOOK_SECRET)
    with pytest.raises(WebhookRejected, match="Stripe webhook rejected"):
        stripe_method.parse_webhook(headers, body)


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", json.dumps({"id": "evt_1"}).encode(),
                                  json.dumps(["a list"]).encode()])
def test_m5_a_malformed_body_is_rejected_even_when_signed(stripe_method, body):
    from smartpay.emulators.stripe import signature_header

    header = signature_header(body.decode("utf-8", "replace"), WEBHOOK_SECRET)
    with pytest.raises(WebhookRejected, match="not JSON|not a Stripe event|does not match"):
        stripe_method.parse_webhook({"stripe-signature": header}, body)


def test_m5_a_signed_event_missing_its_fields_is_rejected_not_raised(stripe_method):
    event = build_event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent",
                                                      "status": "succeeded", "metadata": {"txn": TXN}})
    body, headers = signed_event(event, WEBHOOK_SECRET)
    with pytest.raises(WebhookRejected, match="without the fields"):
        stripe_method.parse_webhook(lower(headers), body)


def test_without_a_webhook_secret_every_webhook_is_rejected(stripe_emulator):
    method = StripeMethod(stripe_settings(stripe_emulator, webhook_secret=None))
    body, headers = signed_event(_session_event(), WEBHOOK_SECRET)
    with pytest.raises(WebhookRejected, match="STRIPE_WEBHOOK_SECRET"):
        method.parse_webhook(lower(headers), body)

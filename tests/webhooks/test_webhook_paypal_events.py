"""PayPal webhooks (M5): events the emulator really sent verify through PayPal's
verify-webhook-signature API and parse; forged, altered or misdirected ones are rejected; a
capture event whose order PayPal cannot read at that moment announces no outcome."""
from __future__ import annotations

import json
import threading

import pytest

from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, WebhookRejected
from smartpay.emulators.faults import Fault
from smartpay.emulators.server import EmulatorServer
from smartpay.plugins.paypal_pay.webhooks import _event

from paypal_support import CLIENT_SECRET, approve_on_page, build_method, charge_request
from paypal_support import paypal, paypal_method  # noqa: F401  (fixtures)
from provider_sides import attempts_of, sides, world_of  # noqa: F401 — fixtures
from support import community_order

TXN = "20250910140000055"


class Receiver:
    """A desk's webhook endpoint stand-in: records each delivery's headers and raw body."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        with self._lock:
            self.received.append((headers, body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def lowered(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


@pytest.fixture
def receiver(paypal):
    app = Receiver()
    with EmulatorServer(app) as server:
        paypal.webhook_url = f"{server.url}/webhooks/paypal"
        yield app


def test_m5_events_really_sent_verify_and_parse(paypal, paypal_method, receiver):
    result = paypal_method.charge(charge_request(TXN, 4200))
    approve_on_page(result.redirect_url)
    paypal_method.status(TXN, result.provider_ref)
    paypal.wait_for_webhooks()
    assert [d["status"] for d in paypal.deliveries] == [200, 200]
    events = [paypal_method.parse_webhook(headers, body) for headers, body in receiver.received]
    approved, completed = events
    assert approved.type == "CHECKOUT.ORDER.APPROVED" and approved.txn == TXN
    assert approved.provider_ref == result.provider_ref and approved.result is None
    assert completed.type == "PAYMENT.CAPTURE.COMPLETED" and completed.txn == TXN
    assert completed.provider_ref == result.provider_ref
    assert completed.result.status == ChargeStatus.PROCESSED and completed.result.amount == Money(4200, "USD")
    assert len({approved.event_id, completed.event_id}) == 2


def test_m5_a_denied_capture_parses_as_an_error(paypal, paypal_method, receiver):
    result = paypal_method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    paypal.decline_next_capture()
    paypal_method.status(TXN, result.provider_ref)
    paypal.wait_for_webhooks()
    denied = paypal_method.parse_webhook(*receiver.received[-1])
    assert denied.type == "PAYMENT.CAPTURE.DENIED" and denied.txn == TXN
    assert denied.result.status == ChargeStatus.ERROR


def _captured_event(paypal, method):
    result = method.charge(charge_request(TXN))
    approve_on_page(result.redirect_url)
    method.status(TXN, result.provider_ref)
    return paypal.event_for_order("PAYMENT.CAPTURE.COMPLETED", result.provider_ref)


def test_m5_the_helper_builds_a_validly_sent_event(paypal, paypal_method):
    headers, body = _captured_event(paypal, paypal_method)
    event = paypal_method.parse_webhook(lowered(headers), body)
    assert event.txn == TXN and event.result.status == ChargeStatus.PROCESSED


def test_m5_forged_signature_is_rejected(paypal, paypal_method):
    result = paypal_method.charge(charge_request(TXN))
    headers, body = paypal.forged_event("CHECKOUT.ORDER.APPROVED", paypal.order(result.provider_ref))
    with pytest.raises(WebhookRejected, match="did not verify"):
        paypal_method.parse_webhook(lowered(headers), body)


def test_m5_altered_body_is_rejected(paypal, paypal_method):
    headers, body = _captured_event(paypal, paypal_method)
    event = json.loads(body)
    event["resource"]["amount"]["value"] = "0.01"
    altered = json.dumps(event, separators=(",", ":")).encode()
    with pytest.raises(WebhookRejected, match="did not verify"):
        paypal_method.parse_webhook(lowered(headers), altered)


def test_m5_headers_of_another_delivery_are_rejected(paypal, paypal_method):
    headers, _ = paypal.signed_event("PAYMENT.CAPTURE.COMPLETED", {"id": "X", "custom_id": "other"})
    _, body = _captured_event(paypal, paypal_method)
    with pytest.raises(WebhookRejected):
        paypal_method.parse_webhook(lowered(headers), body)


def test_m5_an_event_for_another_webhook_id_is_rejected(paypal):
    method = build_method(paypal, webhook_id="WH-SOMEONE-ELSE")
    headers, body = _captured_event(paypal, method)
    with pytest.raises(WebhookRejected):
        method.parse_webhook(lowered(headers), body)


@pytest.mark.parametrize("damage", ["no_headers", "not_json", "no_webhook_id"])
def test_m5_malformed_notifications_are_rejected_with_a_reason(paypal, paypal_method, damage):
    headers, body = paypal.signed_event("CHECKOUT.ORDER.APPROVED", {"id": "O1", "purchase_units": []})
    method = paypal_method
    if damage == "no_headers":
        headers = {"content-type": "application/json"}
    elif damage == "not_json":
        body = b"<xml/>"
    else:
        method = build_method(paypal, webhook_id="")
    with pytest.raises(WebhookRejected) as rejected:
        method.parse_webhook(lowered(headers), body)
    reason = str(rejected.value)
    assert reason and CLIENT_SECRET not in reason
    assert {"no_headers": "paypal-transmission-sig", "not_json": "not JSON",
            "no_webhook_id": "webhook_id"}[damage] in reason


@pytest.mark.parametrize("fault", ["api_error", "http_500", "timeout", "reset"])
def test_m5_verify_api_faults_reject_never_accept(paypal, paypal_method, fault):
    headers, body = _captured_event(paypal, paypal_method)
    paypal.arm(fault, "verify_webhook")
    with pytest.raises(WebhookRejected, match="could not verify"):
        paypal_method.parse_webhook(lowered(headers), body)
    assert paypal_method.parse_webhook(lowered(headers), body).txn == TXN   # PayPal's retry gets through


def test_m5_verified_events_the_desk_does_not_act_on_are_informational(paypal, paypal_method):
    headers, body = paypal.signed_event("PAYMENT.CAPTURE.REFUNDED", {"id": "R1", "custom_id": TXN})
    event = paypal_method.parse_webhook(lowered(headers), body)
    assert event.type == "PAYMENT.CAPTURE.REFUNDED" and event.result is None and event.txn == TXN


# -- a capture event whose order cannot be read announces nothing ----------------------------------------
def test_r7_paypal_capture_webhook_whose_order_cannot_be_read_announces_nothing(world_of, clock):
    core, side = world_of("paypal")
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    approve_on_page(out.redirect_url)
    attempt = attempts_of(order.txn)[-1]
    assert core.plugins.method("paypal").status(order.txn, attempt.provider_ref).status == ChargeStatus.PROCESSED
    state = side.emulator.app.state
    [capture] = list(state.captures.values())
    event = side.emulator.app.signer.event("PAYMENT.CAPTURE.COMPLETED", capture.as_json(state.base_url))
    side.emulator.arm(Fault.HTTP_500, "get_order")
    parsed = _event(event, core.plugins.method("paypal")._gateway.get_order)
    assert parsed.result is None and parsed.provider_ref == attempt.provider_ref

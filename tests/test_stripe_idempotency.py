"""M1 with the REAL Stripe plugin against its emulator: Stripe's idempotency refusals — the same key
with other details, or the same key while the first request is still being handled (409) — are
unknown outcomes, not failures; the first request under the key did happen.

Two requests are ordered by an event, not a sleep: the emulator holds the first one's answer at
a gate (StripeEmulator.hold) and says when it has it in hand; only then is the second sent."""
from __future__ import annotations

import threading

import stripe

from smartpay.core.plugin_host import ChargeStatus
from smartpay.plugins.stripe_pay import StripeMethod

from provider_sides import sides, world_of  # noqa: F401 — fixtures
from stripe_support import charge_request, stripe_settings


def test_m1_stripe_idempotency_error_is_undefined_not_a_failure(world_of):
    core, side = world_of("stripe")
    method = core.plugins.method("stripe")
    request = charge_request("20250910140000777")
    first = method.charge(request)
    # The same key with other details (e.g. a request rebuilt slightly differently): Stripe refuses
    # with idempotency_error — but the first request under this key did happen.
    clash = method.charge(charge_request("20250910140000777", amount=2500))
    assert first.status == ChargeStatus.PENDING
    assert clash.status == ChargeStatus.UNDEFINED and clash.detail["error"] == "IdempotencyError"
    assert method.status(request.txn, None).provider_ref == first.provider_ref


def test_m1_stripe_key_in_use_409_is_undefined(world_of):
    core, side = world_of("stripe")
    method = core.plugins.method("stripe")
    request = charge_request("20250910140000778")
    # The first request waits (as long as the test needs) until the second has been answered; its
    # client waits longer than the suite's 0.5 s so a loaded machine cannot time it out meanwhile.
    patient = StripeMethod(stripe_settings(side.emulator, timeout_seconds=30))
    gate = side.emulator.hold("create_session")                  # the first request is still being handled
    first: list = []
    sender = threading.Thread(target=lambda: first.append(patient.charge(request)))
    sender.start()
    try:
        gate.wait_reached()                                      # its key is in flight at Stripe
        second = method.charge(request)
    finally:
        gate.open()
        sender.join()
    assert second.status == ChargeStatus.UNDEFINED and second.detail.get("http_status") == 409
    assert first[0].status == ChargeStatus.PENDING
    assert len(side.emulator.sessions_for(request.txn)) == 1


def test_m1_stripe_emulator_answers_409_for_a_concurrent_same_key_request(world_of):
    _, side = world_of("stripe")
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": side.emulator.url}, max_network_retries=0)
    gate = side.emulator.hold("create_customer")
    errors: list = []

    def create():
        try:
            client.v1.customers.create({"name": "a"}, {"idempotency_key": "same-key"})
        except stripe.StripeError as exc:
            errors.append(exc)

    held = threading.Thread(target=create)
    held.start()
    try:
        gate.wait_reached()          # the first request is being handled: its key is in flight
        create()                     # the same key meanwhile
    finally:
        gate.open()
        held.join()
    assert [(e.http_status, e.json_body["error"]["code"]) for e in errors] == [(409, "idempotency_key_in_use")]

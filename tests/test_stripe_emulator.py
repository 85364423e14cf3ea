"""The Stripe emulator speaks Stripe to the unchanged `stripe` SDK over real HTTP: its object
shapes, error format and status codes, Idempotency-Key semantics, the hosted page, the faults of
emulators/faults.py (before or after the effect), signed webhooks, and its test controls in
Python, over HTTP and as its own process."""
from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from wsgiref.simple_server import make_server

import pytest
import stripe

from smartpay.emulators.faults import Fault
from smartpay.emulators.stripe import StripeEmulator, StripeEmulatorClient, build_event, signature_header

from stripe_support import (CLIENT_TIMEOUT, TEST_API_KEY, WEBHOOK_SECRET, decline_on_page, emulator_process,
                            pay_on_page, stripe_emulator)  # noqa: F401 (fixture)

SESSION = {"mode": "payment", "success_url": "https://desk.example.test/paid", "client_reference_id": "T1",
           "metadata": {"txn": "T1"}, "payment_intent_data": {"metadata": {"txn": "T1"}},
           "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 2500,
                                                         "product_data": {"name": "Monthly Fee T1"}}}]}


def client(emulator, key=TEST_API_KEY, retries=0):
    return stripe.StripeClient(key, base_addresses={"api": emulator.api_base}, max_network_retries=retries,
                               http_client=stripe.RequestsClient(timeout=CLIENT_TIMEOUT))


def raw(emulator, path, body=b"", key=TEST_API_KEY, headers=None, method="POST"):
    """An HTTP call without the SDK: (status, headers, json)."""
    request = urllib.request.Request(emulator.url + path, data=body if method == "POST" else None, method=method,
                                     headers={"Authorization": f"Bearer {key}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.headers, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read())


# -- shapes ---------------------------------------------------------------------------------------------
def test_a_checkout_session_has_stripes_shape(stripe_emulator):
    session = client(stripe_emulator).v1.checkout.sessions.create(SESSION).to_dict()
    assert session["object"] == "checkout.session" and session["id"].startswith("cs_test_")
    assert session["livemode"] is False and session["status"] == "open" and session["payment_status"] == "unpaid"
    assert session["amount_total"] == 2500 and session["currency"] == "usd" and session["mode"] == "payment"
    assert session["metadata"] == {"txn": "T1"} and session["client_reference_id"] == "T1"
    assert session["url"] == f"{stripe_emulator.url}/c/pay/{session['id']}"
    assert session["payment_intent"] is None          # Stripe creates it when the payer pays
    assert not any(k.startswith("_") for k in session)


def test_paying_on_the_page_completes_the_session_with_a_succeeded_payment_intent(stripe_emulator):
    api = client(stripe_emulator)
    session = api.v1.checkout.sessions.create(SESSION)
    assert "Payment complete" in pay_on_page(session.url)
    paid = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]}).to_dict()
    intent = paid["payment_intent"]
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert intent["object"] == "payment_intent" and intent["id"].startswith("pi_")
    assert intent["status"] == "succeeded" and intent["amount_received"] == 2500
    assert intent["payment_method"].startswith("pm_") and intent["metadata"] == {"txn": "T1"}
    assert stripe_emulator.charges_for("T1") == 1


def test_a_declined_card_leaves_the_session_open_and_charges_nothing(stripe_emulator):
    api = client(stripe_emulator)
    session = api.v1.checkout.sessions.create(SESSION)
    assert "declined" in decline_on_page(session.url)
    intent = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]}).to_dict()["payment_intent"]
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["code"] == "card_declined"
    assert stripe_emulator.session(session.id)["status"] == "open" and stripe_emulator.charges_for("T1") == 0


def test_an_expired_session_cannot_be_paid_and_its_page_says_so(stripe_emulator):
    api = client(stripe_emulator)
    session = api.v1.checkout.sessions.create(SESSION)
    assert api.v1.checkout.sessions.expire(session.id).status == "expired"
    with urllib.request.urlopen(session.url, timeout=5) as page:
        assert "expired" in page.read().decode()
    request = urllib.request.Request(stripe_emulator.pay_url(session.id), data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 409 and "can no longer be paid" in refused.value.read().decode()
    assert stripe_emulator.charges_for("T1") == 0
    with pytest.raises(stripe.InvalidRequestError, match="can be expired"):
        api.v1.checkout.sessions.expire(session.id)


def test_sessions_are_listed_newest_first_and_filtered_by_payment_intent(stripe_emulator):
    api = client(stripe_emulator)
    first, second = (api.v1.checkout.sessions.create(SESSION) for _ in range(2))
    assert [s.id for s in api.v1.checkout.sessions.list({"limit": 1}).auto_paging_iter()] == [second.id, first.id]
    stripe_emulator.complete_session(first.id)
    intent = stripe_emulator.session(first.id)["payment_intent"]["id"]
    assert [s.id for s in api.v1.checkout.sessions.list({"payment_intent": intent}).data] == [first.id]


def test_search_finds_payment_intents_and_customers_by_metadata(stripe_emulator):
    api = client(stripe_emulator)
    stripe_emulator.complete_session(api.v1.checkout.sessions.create(SESSION).id)
    found = api.v1.payment_intents.search({"query": "metadata['txn']:'T1' AND status:'succeeded'"})
    assert found.object == "search_result" and len(found.data) == 1
    assert api.v1.payment_intents.search({"query": "metadata['txn']:'T2'"}).data == []
    customer = api.v1.customers.create({"metadata": {"smartpay_login": "aktest"}})
    assert customer.id.startswith("cus_") and customer.object == "customer"
    found = api.v1.customers.search({"query": "metadata['smartpay_login']:'aktest'"})
    assert [c.id for c in found.data] == [customer.id]
    with pytest.raises(stripe.InvalidRequestError, match="Unsupported"):
        api.v1.customers.search({"query": "metadata['a']~'b'"})


# -- errors -----------------------------------------------------------------------------------------------
def test_errors_use_stripes_format_and_status_codes(stripe_emulator):
    status, _, body = raw(stripe_emulator, "/v1/checkout/sessions", b"mode=payment")
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "parameter_missing" and body["error"]["param"] == "line_items"
    status, _, body = raw(stripe_emulator, "/v1/checkout/sessions/cs_test_nope", method="GET")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client(stripe_emulator).v1.payment_intents.retrieve("pi_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_a_wrong_key_is_refused_with_401_and_echoed_masked(stripe_emulator):
    guarded = StripeEmulator(api_key=TEST_API_KEY).start()
    try:
        wrong = "sk_test_WrongKeyRecognisable9876"
        with pytest.raises(stripe.AuthenticationError) as refused:
            client(guarded, key=wrong).v1.checkout.sessions.create(SESSION)
        assert refused.value.http_status == 401
        assert wrong not in str(refused.value) and "9876" in str(refused.value)
        status, _, body = raw(guarded, "/v1/customers", key="sk_live_NotAllowedHere1234")
        assert status == 401 and "sk_live_NotAllowedHere1234" not in json.dumps(body)
    finally:
        guarded.stop()
    status, _, _ = raw(stripe_emulator, "/v1/customers", headers={"Authorization": ""})
    assert status == 401
    # `curl -u sk_test_…:` works as on Stripe: the key as the Basic user name.
    basic = "Basic " + base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
    status, _, body = raw(stripe_emulator, "/v1/customers", headers={"Authorization": basic})
    assert status == 200 and body["object"] == "customer"


# -- idempotency ------------------------------------------------------------------------------------------
def test_the_same_idempotency_key_replays_the_first_answer(stripe_emulator):
    api = client(stripe_emulator)
    first = api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    again = api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    assert again.id == first.id and len(stripe_emulator.sessions_for("T1")) == 1
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None


def test_the_same_key_with_other_parameters_is_an_idempotency_error(stripe_emulator):
    api = client(stripe_emulator)
    api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    other = {**SESSION, "client_reference_id": "T2"}
    with pytest.raises(stripe.IdempotencyError) as refused:
        api.v1.checkout.sessions.create(other, {"idempotency_key": "T1-01"})
    assert refused.value.http_status == 400 and "same parameters" in str(refused.value)


def test_a_card_decline_is_stored_and_replayed_like_any_executed_request(stripe_emulator):
    api = client(stripe_emulator)
    customer = api.v1.customers.create({})
    session = api.v1.checkout.sessions.create({**SESSION, "customer": customer.id,
                                               "payment_intent_data": {"setup_future_usage": "off_session"}})
    stripe_emulator.complete_session(session.id)
    card = stripe_emulator.session(session.id)["payment_intent"]["payment_method"]
    stripe_emulator.fail_next_off_session(card, "insufficient_funds")
    params = {"amount": 900, "currency": "usd", "customer": customer.id, "payment_method": card,
              "confirm": True, "off_session": True, "metadata": {"txn": "T9"}}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            api.v1.payment_intents.create(params, {"idempotency_key": "T9-01"})
        errors.append(declined.value)
    assert [e.http_status for e in errors] == [402, 402]
    assert errors[0].json_body == errors[1].json_body
    assert errors[0].json_body["error"]["decline_code"] == "insufficient_funds"
    assert errors[1].headers.get("Idempotent-Replayed") == "true"
    assert stripe_emulator.charges_for("T9") == 0
    # The card itself still works: the failure was for one charge only.
    assert api.v1.payment_intents.create(params, {"idempotency_key": "T9-02"}).status == "succeeded"


# -- faults -------------------------------------------------------------------------------------------------
def test_api_error_and_http_500_strike_before_the_effect(stripe_emulator):
    api = client(stripe_emulator)
    stripe_emulator.arm(Fault.API_ERROR, "create_session")
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    stripe_emulator.arm(Fault.HTTP_500, "create_session")
    with pytest.raises(stripe.APIError) as failed:
        api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    assert failed.value.http_status == 500
    assert stripe_emulator.sessions_for("T1") == []
    # Nothing was stored under the key: the retry executes.
    assert api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"}).status == "open"


@pytest.mark.parametrize("fault", [Fault.TIMEOUT, Fault.RESET])
def test_timeout_and_reset_strike_after_the_effect_and_a_retry_replays_it(stripe_emulator, fault):
    api = client(stripe_emulator)
    stripe_emulator.arm(fault, "create_session")
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    assert time.monotonic() - started < CLIENT_TIMEOUT + 1.5
    [made] = stripe_emulator.sessions_for("T1")
    replay = api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    assert replay.id == made["id"] and replay.last_response.headers.get("Idempotent-Replayed") == "true"


def test_the_sdks_own_retry_recovers_a_lost_answer_without_a_second_session(stripe_emulator):
    stripe_emulator.arm(Fault.RESET, "create_session")
    session = client(stripe_emulator, retries=1).v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
    assert [s["id"] for s in stripe_emulator.sessions_for("T1")] == [session.id]


def test_slow_answers_late_and_faults_are_counted_per_endpoint(stripe_emulator):
    api = client(stripe_emulator)
    stripe_emulator.configure(slow_seconds=0.3)
    stripe_emulator.arm(Fault.SLOW, "retrieve_session", times=2)
    session = api.v1.checkout.sessions.create(SESSION)      # another endpoint: not slowed
    started = time.monotonic()
    api.v1.checkout.sessions.retrieve(session.id)
    api.v1.checkout.sessions.retrieve(session.id)
    assert time.monotonic() - started >= 0.6
    assert stripe_emulator.faults.snapshot() == []
    with pytest.raises(ValueError, match="endpoint"):
        stripe_emulator.arm(Fault.SLOW, "create_sesion")


def test_pending_keeps_a_payment_processing_until_settled(stripe_emulator):
    api = client(stripe_emulator)
    session = api.v1.checkout.sessions.create(SESSION)
    stripe_emulator.arm(Fault.PENDING, "pay_session")
    assert "processing" in pay_on_page(session.url)
    view = stripe_emulator.session(session.id)
    assert view["status"] == "open" and view["payment_intent"]["status"] == "processing"
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.expire(session.id)
    assert stripe_emulator.charges_for("T1") == 0
    stripe_emulator.settle(session.id)
    assert stripe_emulator.session(session.id)["status"] == "complete" and stripe_emulator.charges_for("T1") == 1


# -- controls over HTTP and in another process ------------------------------------------------------------
def test_the_http_controls_do_what_the_python_ones_do(stripe_emulator):
    controls = StripeEmulatorClient(stripe_emulator.url)
    api = client(stripe_emulator)
    controls.arm("api_error", "create_customer", times=2)
    assert controls.armed() == [{"fault": "api_error", "endpoint": "create_customer", "remaining": 2}]
    controls.clear_faults()
    session = api.v1.checkout.sessions.create(SESSION)
    assert controls.complete_session(session.id)["status"] == "complete"
    assert controls.charges_for("T1") == 1 and controls.charges_for("T2") == 0
    assert [e["type"] for e in controls.events()] == ["payment_intent.succeeded", "checkout.session.completed"]
    controls.reset()
    assert controls.charges_for("T1") == 0 and controls.events() == []
    with pytest.raises(RuntimeError, match="404"):
        controls.settle("pi_nothing")


@pytest.mark.slow
def test_the_emulator_runs_as_its_own_process():
    with emulator_process("--timeout-hold", "2") as controls:
        assert controls.healthy()
        api = client(controls)
        session = api.v1.checkout.sessions.create(SESSION, {"idempotency_key": "T1-01"})
        controls.arm(Fault.TIMEOUT, "retrieve_session")
        with pytest.raises(stripe.APIConnectionError):
            api.v1.checkout.sessions.retrieve(session.id)
        pay_on_page(session.url)
        assert controls.charges_for("T1") == 1
    assert not controls.healthy()


# -- webhooks ---------------------------------------------------------------------------------------------
class _Receiver:
    """A local endpoint that records what is POSTed to it."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.server = make_server("127.0.0.1", 0, self.app)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/stripe"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.received.append(({"stripe-signature": environ.get("HTTP_STRIPE_SIGNATURE", "")}, body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def test_events_are_posted_signed_to_the_webhook_url():
    receiver = _Receiver()
    try:
        with StripeEmulator(webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET) as emulator:
            api = client(emulator)
            paid, left = api.v1.checkout.sessions.create(SESSION), api.v1.checkout.sessions.create(SESSION)
            pay_on_page(paid.url)
            api.v1.checkout.sessions.expire(left.id)
            assert emulator.wait_for_webhooks(5)
            assert [d["outcome"] for d in emulator.deliveries()] == [200, 200, 200]
    finally:
        receiver.server.shutdown()
    types = []
    for headers, body in receiver.received:
        event = stripe.Webhook.construct_event(body.decode(), headers["stripe-signature"], WEBHOOK_SECRET)
        types.append((event.type, event.data.object.id))
    assert types == [("payment_intent.succeeded", types[0][1]), ("checkout.session.completed", paid.id),
                     ("checkout.session.expired", left.id)]


def test_the_signing_helper_matches_stripes_verification():
    event = build_event("checkout.session.expired", {"id": "cs_test_x", "object": "checkout.session"})
    body = json.dumps(event)
    header = signature_header(body, WEBHOOK_SECRET)
    assert stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET).id == event["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature_header(body, "whsec_other"), WEBHOOK_SECRET)

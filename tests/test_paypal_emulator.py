"""The PayPal emulator itself, over raw HTTP: PayPal's shapes and error format, OAuth2, request-id
replay, the hosted page, the /_emulator control API and the runnable entry point."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from paypal_support import CLIENT_ID, CLIENT_SECRET, build_method, charge_request, paypal_emulator_process
from paypal_support import paypal  # noqa: F401  (fixture)


def call(url: str, method: str = "GET", body=None, headers: dict | None = None) -> tuple[int, dict | str]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def token(paypal, secret: str = CLIENT_SECRET) -> tuple[int, dict]:
    basic = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
    return call(f"{paypal.url}/v1/oauth2/token", "POST", b"grant_type=client_credentials",
                {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})


def api(paypal, path: str, method: str = "GET", body=None, **headers):
    bearer = token(paypal)[1]["access_token"]
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return call(f"{paypal.url}{path}", method, body,
                {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json", **extra})


ORDER = {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "10.00"},
                                                  "custom_id": "T1", "invoice_id": "T1"}]}


def test_oauth_token_checks_the_client_credentials(paypal):
    status, answer = token(paypal)
    assert status == 200 and answer["token_type"] == "Bearer" and answer["expires_in"] > 0
    status, answer = token(paypal, "wrong")
    assert status == 401 and answer["error"] == "invalid_client"


def test_api_calls_need_a_bearer_token(paypal):
    status, answer = call(f"{paypal.url}/v2/checkout/orders", "POST", ORDER, {"Authorization": "Bearer nope"})
    assert status == 401 and answer["name"] == "AUTHENTICATION_FAILURE"


def test_create_order_answers_paypal_shapes(paypal):
    status, order = api(paypal, "/v2/checkout/orders", "POST", ORDER)
    assert status == 201 and order["status"] == "CREATED" and len(order["id"]) == 17
    rels = {link["rel"] for link in order["links"]}
    assert {"self", "approve", "capture"} <= rels


def test_errors_use_paypals_format(paypal):
    bad = {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "JPY", "value": "10.5"}}]}
    status, error = api(paypal, "/v2/checkout/orders", "POST", bad)
    assert status == 400 and error["name"] == "INVALID_REQUEST" and error["debug_id"] and error["message"]
    assert error["details"][0]["issue"] == "DECIMAL_PRECISION" and error["details"][0]["description"]
    status, error = api(paypal, "/v2/checkout/orders/NOSUCHORDER", "GET")
    assert status == 404 and error["name"] == "RESOURCE_NOT_FOUND"


def test_paypal_request_id_replays_the_stored_answer(paypal):
    s1, first = api(paypal, "/v2/checkout/orders", "POST", ORDER, PayPal_Request_Id="key-1")
    s2, again = api(paypal, "/v2/checkout/orders", "POST", ORDER, PayPal_Request_Id="key-1")
    assert (s1, s2) == (201, 200) and first == again
    assert paypal.orders_for("T1") == [first["id"]]


def test_capture_needs_approval_and_happens_once(paypal):
    _, order = api(paypal, "/v2/checkout/orders", "POST", ORDER)
    status, error = api(paypal, f"/v2/checkout/orders/{order['id']}/capture", "POST", {})
    assert status == 422 and error["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    paypal.approve(order["id"])
    status, captured = api(paypal, f"/v2/checkout/orders/{order['id']}/capture", "POST", {})
    capture = captured["purchase_units"][0]["payments"]["captures"][0]
    assert status == 201 and captured["status"] == "COMPLETED" and capture["status"] == "COMPLETED"
    assert capture["amount"] == {"currency_code": "USD", "value": "10.00"} and capture["custom_id"] == "T1"
    status, error = api(paypal, f"/v2/checkout/orders/{order['id']}/capture", "POST", {})
    assert status == 422 and error["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"
    assert paypal.captures_for("T1") == 1


def test_vaulted_orders_need_a_request_id(paypal):
    body = {**ORDER, "payment_source": {"paypal": {"vault_id": "abc"}}}
    status, error = api(paypal, "/v2/checkout/orders", "POST", body)
    assert status == 400 and error["details"][0]["issue"] == "PAYPAL_REQUEST_ID_REQUIRED"


def test_the_hosted_page_shows_the_amount_and_a_plain_post_approves(paypal):
    _, order = api(paypal, "/v2/checkout/orders", "POST", ORDER)
    approve = next(link["href"] for link in order["links"] if link["rel"] == "approve")
    status, page = call(approve)
    assert status == 200 and "10.00 USD" in page and "Approve" in page and "Cancel" in page
    status, done = call(f"{paypal.url}/checkoutnow/approve?token={order['id']}", "POST", b"")   # curl -X POST
    assert status == 200 and "approved" in done
    assert paypal.order(order["id"])["status"] == "APPROVED"


def test_control_api_over_http(paypal):
    control = f"{paypal.url}/_emulator"
    assert call(f"{control}/faults", "POST", {"fault": "http_500", "endpoint": "create_order"})[1] == [
        {"fault": "http_500", "endpoint": "create_order", "remaining": 1}]
    assert call(f"{control}/faults", "POST", {"fault": "http_500", "endpoint": "nope"})[0] == 400
    assert call(f"{control}/faults", "POST", {"fault": "melt", "endpoint": "token"})[0] == 400
    assert api(paypal, "/v2/checkout/orders", "POST", ORDER)[0] == 500
    _, order = api(paypal, "/v2/checkout/orders", "POST", ORDER)
    assert call(f"{control}/orders/{order['id']}/approve", "POST", {})[1]["status"] == "APPROVED"
    assert call(f"{control}/captures/pending-next", "POST", {})[0] == 200
    _, captured = api(paypal, f"/v2/checkout/orders/{order['id']}/capture", "POST", {})
    capture = captured["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "PENDING" and capture["status_details"]["reason"] == "PENDING_REVIEW"
    assert call(f"{control}/captures/{capture['id']}/complete", "POST", {})[1]["status"] == "COMPLETED"
    assert call(f"{control}/captures?txn=T1")[1] == {"txn": "T1", "count": 1}
    assert call(f"{control}/orders?txn=T1")[1] == {"txn": "T1", "orders": [order["id"]]}
    assert call(f"{control}/nothing-here")[0] == 404
    state = call(f"{control}/state")[1]
    assert state["orders"] == 1 and state["faults"] == []
    assert call(f"{control}/reset", "POST", {})[0] == 200
    assert call(f"{control}/state")[1]["orders"] == 0
    assert api(paypal, "/v2/checkout/orders", "POST", ORDER)[0] == 201      # tokens survive a reset


def test_arm_refuses_unknown_endpoints(paypal):
    with pytest.raises(ValueError, match="endpoint"):
        paypal.arm("timeout", "capture")


def test_state_is_thread_safe_under_concurrent_creates(paypal):
    ids, errors = [], []

    def create(n):
        status, order = api(paypal, "/v2/checkout/orders", "POST",
                            {**ORDER, "purchase_units": [{**ORDER["purchase_units"][0], "custom_id": "MANY"}]},
                            PayPal_Request_Id=f"k-{n % 5}")
        (ids if status in (200, 201) else errors).append(order["id"] if status < 300 else order)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(ids)) == 5 and len(paypal.orders_for("MANY")) == 5


def test_runnable_entry_prints_its_url_and_serves():
    process = subprocess.Popen([sys.executable, "-m", "smartpay.emulators.paypal", "--port", "0"],
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        status, answer = call(f"{url}/_emulator/state")
        assert status == 200 and answer["orders"] == 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_a_desk_and_a_test_drive_an_emulator_in_another_process():
    with paypal_emulator_process() as remote:
        method = build_method(remote)
        order = method.charge(charge_request("T7"))
        assert remote.orders_for("T7") == [order.provider_ref]
        remote.arm("timeout", "capture_order")
        assert remote.armed()[0]["endpoint"] == "capture_order"
        remote.approve(order.provider_ref)
        assert method.status("T7", order.provider_ref).status == "undefined"
        assert method.status("T7", order.provider_ref).status == "processed"
        assert remote.captures_for("T7") == 1
        remote.reset()
        assert remote.orders_for("T7") == []


def test_in_process_and_remote_controls_have_the_same_names():
    from smartpay.emulators.paypal import PayPalEmulator, PayPalEmulatorClient

    controls = ["arm", "clear_faults", "armed", "set_timeout_hold", "approve", "cancel", "order", "orders_for",
                "captures_for", "decline_next_capture", "hold_next_capture_pending", "settle_capture",
                "decline_next_vault_charge", "webhook_url", "deliveries", "reset"]
    for name in controls:
        assert hasattr(PayPalEmulator, name) and hasattr(PayPalEmulatorClient, name), name

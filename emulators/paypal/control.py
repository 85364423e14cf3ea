"""The PayPal emulator's test controls over HTTP, under /_emulator (JSON in, JSON out), for tests
and demos that run the emulator in another process — and `PayPalEmulatorClient`, the same calls
from Python (names as on PayPalEmulator).

    GET    /_emulator/state                        counts, armed faults, webhook URL
    POST   /_emulator/faults                       {"fault": "timeout", "endpoint": "capture_order", "times": 1}
    GET    /_emulator/faults                       armed faults
    DELETE /_emulator/faults                       disarm all
    POST   /_emulator/settings                     {"timeout_seconds": 1.0, "slow_seconds": 0.1}
    POST   /_emulator/orders/<id>/approve          the payer approves (…/cancel: the payer cancels)
    GET    /_emulator/orders/<id>                  the order as GET /v2/checkout/orders/<id> shows it
    GET    /_emulator/orders?txn=<txn>             {"txn": …, "orders": [ids]}
    GET    /_emulator/captures?txn=<txn>           {"txn": …, "count": successful captures}
    POST   /_emulator/captures/decline-next        {"times": 1}: the next capture(s) are DECLINED
    POST   /_emulator/captures/pending-next        {"times": 1}: the next capture(s) stay PENDING
    POST   /_emulator/captures/<id>/complete       a PENDING capture clears (…/deny: is declined)
    POST   /_emulator/vault/decline-next           {"issue": "INSTRUMENT_DECLINED"}: the next vaulted charge
    POST   /_emulator/request-ids/forget           PayPal-Request-Ids expire: a replay is a new request
    POST   /_emulator/webhooks                     {"url": "http://…"}: where events are POSTed (null: nowhere)
    GET    /_emulator/deliveries                   webhook deliveries and their HTTP status
    POST   /_emulator/reset                        forget orders, captures, vault, idempotency, faults
    GET    /_emulator/return                       a landing page to use as return_url offline

The controls need no token: the emulator listens on 127.0.0.1 and holds no real money.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from smartpay.emulators.control_client import EmulatorControlClient
from smartpay.emulators.faults import Fault

from .errors import ApiError

if TYPE_CHECKING:
    from .app import PayPalApp, Request

# Endpoint names faults are armed for (FaultSwitch.arm(fault, endpoint)).
ENDPOINTS = ("token", "create_order", "get_order", "capture_order", "vault_charge", "get_capture",
             "refund_capture", "get_refund", "verify_webhook")
_ORDER = re.compile(r"^/orders/([A-Za-z0-9]+)(?:/(approve|cancel))?$")
_CAPTURE = re.compile(r"^/captures/([A-Za-z0-9]+)/(complete|deny)$")

JSON = "application/json"


def control(app: "PayPalApp", r: "Request") -> tuple[int, Any, str, list]:
    """Answer one /_emulator/… request: (status, body, content type, headers)."""
    try:
        body = r.json() if r.method in ("POST", "DELETE") else {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        answer = _dispatch(app, r.method, r.path[len("/_emulator"):], body, r.query)
    except ApiError as error:
        return error.http_status, error.body(), JSON, []
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": f"bad control request: {exc}"}, JSON, []
    if answer is None:
        return 404, {"error": f"no control endpoint {r.method} {r.path}"}, JSON, []
    if isinstance(answer, str):
        return 200, answer, "text/html", []
    return 200, answer, JSON, []


def _dispatch(app: "PayPalApp", method: str, path: str, body: dict, query: dict) -> Any:
    state, faults = app.state, app.faults
    if path == "/state" and method == "GET":
        with state.lock:
            return {"orders": len(state.orders), "captures": len(state.captures), "refunds": len(state.refunds),
                    "vault_tokens": len(state.vault), "faults": faults.snapshot(), "webhook_url": app.sender.url}
    if path == "/faults":
        if method == "POST":
            endpoint = body.get("endpoint")
            if endpoint is not None and endpoint not in ENDPOINTS:
                raise ValueError(f"endpoint: one of {', '.join(ENDPOINTS)}")
            faults.arm(Fault(body["fault"]), endpoint, int(body.get("times", 1)))
        elif method == "DELETE":
            faults.clear()
        return faults.snapshot()
    if path == "/settings" and method == "POST":
        if "timeout_seconds" in body:
            faults.timeout_seconds = float(body["timeout_seconds"])
        if "slow_seconds" in body:
            faults.slow_seconds = float(body["slow_seconds"])
        return {"timeout_seconds": faults.timeout_seconds, "slow_seconds": faults.slow_seconds}
    if path == "/reset" and method == "POST":
        faults.clear()
        state.reset()
        return {"reset": True}
    if path == "/orders" and method == "GET":
        return {"txn": query.get("txn", ""), "orders": state.orders_for(query.get("txn", ""))}
    if (m := _ORDER.match(path)):
        if m[2] and method == "POST":
            (state.approve if m[2] == "approve" else state.payer_cancel)(m[1])
            return state.get_order(m[1])
        if not m[2] and method == "GET":
            return state.get_order(m[1])
    if path == "/captures" and method == "GET":
        return {"txn": query.get("txn", ""), "count": state.captures_for(query.get("txn", ""))}
    if path == "/captures/decline-next" and method == "POST":
        with state.lock:
            state.decline_next_captures += int(body.get("times", 1))
            return {"declining": state.decline_next_captures}
    if path == "/captures/pending-next" and method == "POST":
        with state.lock:
            state.pending_next_captures += int(body.get("times", 1))
            return {"pending": state.pending_next_captures}
    if (m := _CAPTURE.match(path)) and method == "POST":
        return state.settle_pending_capture(m[1], complete=m[2] == "complete").as_json(state.base_url)
    if path.startswith("/refunds/") and path.endswith("/complete") and method == "POST":
        return state.settle_refund(path[len("/refunds/"):-len("/complete")])
    if path == "/vault/decline-next" and method == "POST":
        with state.lock:
            state.decline_next_vault.append(str(body.get("issue") or "INSTRUMENT_DECLINED"))
            return {"declining": len(state.decline_next_vault)}
    if path == "/request-ids/forget" and method == "POST":
        with state.lock:
            state.idempotency.clear()
            return {"forgotten": True}
    if path == "/webhooks" and method == "POST":
        app.sender.url = body.get("url") or None
        return {"webhook_url": app.sender.url}
    if path == "/deliveries" and method == "GET":
        return list(app.sender.deliveries)
    if path == "/return" and method == "GET":
        return "<!doctype html><p>Back at the merchant. You can close this window.</p>"
    return None


class PayPalEmulatorClient(EmulatorControlClient):
    """The emulator's controls for a test whose emulator runs in another process
    (`python -m smartpay.emulators.paypal --port N`). Same names as on PayPalEmulator."""

    def forget_request_ids(self) -> None:
        self._call("POST", "/request-ids/forget", {})

    def set_timeout_hold(self, seconds: float) -> None:
        self._call("POST", "/settings", {"timeout_seconds": seconds})

    def approve(self, order_id: str) -> None:
        self._call("POST", f"/orders/{order_id}/approve", {})

    def cancel(self, order_id: str) -> None:
        self._call("POST", f"/orders/{order_id}/cancel", {})

    def order(self, order_id: str) -> dict:
        return self._call("GET", f"/orders/{order_id}")

    def orders_for(self, txn: str) -> list[str]:
        return self._call("GET", f"/orders?txn={txn}")["orders"]

    def captures_for(self, txn: str) -> int:
        return self._call("GET", f"/captures?txn={txn}")["count"]

    def decline_next_capture(self, times: int = 1) -> None:
        self._call("POST", "/captures/decline-next", {"times": times})

    def hold_next_capture_pending(self, times: int = 1) -> None:
        self._call("POST", "/captures/pending-next", {"times": times})

    def settle_capture(self, capture_id: str, complete: bool = True) -> None:
        self._call("POST", f"/captures/{capture_id}/{'complete' if complete else 'deny'}", {})

    def complete_refund(self, refund_id: str) -> dict:
        """A PENDING refund completes at PayPal (what happens later, by itself, for real)."""
        return self._call("POST", f"/refunds/{refund_id}/complete", {})

    def decline_next_vault_charge(self, issue: str = "INSTRUMENT_DECLINED") -> None:
        self._call("POST", "/vault/decline-next", {"issue": issue})

    @property
    def webhook_url(self) -> str | None:
        return self._call("GET", "/state")["webhook_url"]

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self._call("POST", "/webhooks", {"url": url})

    @property
    def deliveries(self) -> list[dict]:
        return self._call("GET", "/deliveries")

    def reset(self) -> None:
        self._call("POST", "/reset", {})

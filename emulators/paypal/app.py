"""The PayPal emulator's WSGI application: PayPal's REST paths, its OAuth2 token endpoint, the
hosted approval page, and the JSON test-control API under `/_emulator/` (control.py).

Every REST call passes through `_call`: bearer check, the fault switch for its endpoint name,
PayPal-Request-Id replay, the effect, and the answer. Faults strike where emulators/faults.py
says: api_error and http_500 before the effect; timeout and reset after it (the answer is lost);
slow answers late; pending keeps the capture (or refund) PENDING.
"""
from __future__ import annotations

import base64
import html
import json
import re
import secrets
import time
from importlib import resources
from string import Template
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

from smartpay.emulators.faults import Fault, FaultSwitch
from smartpay.emulators.server import DropConnection

from .control import ENDPOINTS, control
from .errors import ApiError, invalid_request, unprocessable
from .store import PayPalState, new_id
from .webhooks import WebhookSender, WebhookSigner

# What `api_error` answers per endpoint: the error a merchant most often meets there.
_API_ERRORS: dict[str, Callable[[], ApiError]] = {
    "create_order": lambda: unprocessable("PAYEE_ACCOUNT_RESTRICTED", "The merchant account is restricted."),
    "vault_charge": lambda: unprocessable("INSTRUMENT_DECLINED", "The instrument presented was either declined "
                                                                 "by the processor or bank, or it can't be used "
                                                                 "for this payment."),
    "capture_order": lambda: unprocessable("INSTRUMENT_DECLINED", "The instrument presented was either declined "
                                                                  "by the processor or bank, or it can't be used "
                                                                  "for this payment."),
    "refund_capture": lambda: unprocessable("TRANSACTION_REFUSED", "The request was refused."),
    "get_order": lambda: ApiError(403, "NOT_AUTHORIZED", "Authorization failed due to insufficient permissions.",
                                  "PERMISSION_DENIED", "You do not have permission to access or perform "
                                                       "operations on this resource."),
    "get_capture": lambda: ApiError(403, "NOT_AUTHORIZED", "Authorization failed due to insufficient permissions.",
                                    "PERMISSION_DENIED", "You do not have permission to access this resource."),
    "verify_webhook": lambda: invalid_request("INVALID_PARAMETER_SYNTAX", "The webhook event is malformed."),
}
_AUTH_FAILURE = {"name": "AUTHENTICATION_FAILURE",
                 "message": "Authentication failed due to invalid authentication credentials or a missing "
                            "Authorization header.",
                 "links": [{"href": "https://developer.paypal.com/docs/api/overview/#error",
                            "rel": "information_link"}]}
_INTERNAL = {"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error has occurred.",
             "details": [{"issue": "INTERNAL_SERVICE_ERROR", "description": "An internal service error has occurred."}]}
_RATE_LIMITED = {"name": "RATE_LIMIT_REACHED", "message": "Too many requests. Blocked due to rate limiting.",
                 "details": [{"issue": "RATE_LIMIT_REACHED", "description": "Too many requests."}]}
_ORDER = re.compile(r"^/v2/checkout/orders/([A-Za-z0-9-]+)$")
_CAPTURE_ORDER = re.compile(r"^/v2/checkout/orders/([A-Za-z0-9-]+)/capture$")
_CAPTURE = re.compile(r"^/v2/payments/captures/([A-Za-z0-9-]+)$")
_REFUND = re.compile(r"^/v2/payments/captures/([A-Za-z0-9-]+)/refund$")
_REFUND_ID = re.compile(r"^/v2/payments/refunds/([A-Za-z0-9-]+)$")


class Request:
    def __init__(self, environ: dict):
        self.method = environ["REQUEST_METHOD"].upper()
        self.path = environ.get("PATH_INFO", "") or "/"
        self.query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.raw = environ["wsgi.input"].read(length) if length else b""

    def json(self) -> Any:
        if not self.raw:
            return {}
        try:
            return json.loads(self.raw)
        except ValueError:
            raise invalid_request("MALFORMED_REQUEST_JSON", "The request JSON is not well formed.") from None

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.raw.decode("utf-8", "replace")).items()}


class Answer(Exception):
    """Short-circuit with an HTTP answer (used for auth failures and control errors)."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json", headers=()):
        self.status, self.body, self.content_type, self.headers = status, body, content_type, list(headers)


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 303: "See Other", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error"}


class PayPalApp:
    """The WSGI callable. `state`, `faults`, `signer` and `sender` are the emulator's parts."""

    def __init__(self, client_id: str, client_secret: str, webhook_id: str, base_url_of: Callable[[], str]):
        self._client_id = client_id
        self._client_secret = client_secret
        self.base_url_of = base_url_of
        self.state = PayPalState(base_url_of)
        self.faults = FaultSwitch()
        self.faults.timeout_seconds = 30.0
        self.signer = WebhookSigner(webhook_id, base_url_of)
        self.sender = WebhookSender(self.signer)
        self.state.on_event = self.sender.enqueue
        self._tokens: set[str] = set()
        self._page = Template(resources.files(__package__).joinpath("approve.html").read_text("utf-8"))

    # -- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            status, body, content_type, headers = self._route(request)
        except Answer as answer:
            status, body, content_type, headers = answer.status, answer.body, answer.content_type, answer.headers
        except ApiError as error:
            status, body, content_type, headers = error.http_status, error.body(), "application/json", []
        payload = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        start_response(f"{status} {_REASONS.get(status, 'OK')}",
                       [("Content-Type", content_type), ("Content-Length", str(len(payload))),
                        ("paypal-debug-id", new_id(13).lower()), *headers])
        return [payload]

    def _route(self, r: Request):
        if r.path.startswith("/_emulator/"):
            return control(self, r)
        if r.path.startswith("/checkoutnow"):
            return self._checkout_page(r)
        if r.path == "/v1/oauth2/token" and r.method == "POST":
            return self._token(r)
        if r.path == "/v2/checkout/orders" and r.method == "POST":
            body = r.json()
            vaulted = bool(((body.get("payment_source") or {}).get("paypal") or {}).get("vault_id"))
            endpoint = "vault_charge" if vaulted else "create_order"
            request_id = r.headers.get("paypal-request-id")
            return self._call(r, endpoint, "create_order", request_id,
                              lambda pending: self.state.create_order(body, request_id, pending))
        if (m := _CAPTURE_ORDER.match(r.path)) and r.method == "POST":
            request_id = r.headers.get("paypal-request-id")
            return self._call(r, "capture_order", f"capture:{m[1]}", request_id,
                              lambda pending: self.state.capture_order(m[1], pending))
        if (m := _ORDER.match(r.path)) and r.method == "GET":
            return self._call(r, "get_order", None, None, lambda pending: (200, self.state.get_order(m[1])))
        if (m := _REFUND.match(r.path)) and r.method == "POST":
            body = r.json()
            request_id = r.headers.get("paypal-request-id")
            return self._call(r, "refund_capture", f"refund:{m[1]}", request_id,
                              lambda pending: self.state.refund_capture(m[1], body, pending))
        if (m := _REFUND_ID.match(r.path)) and r.method == "GET":
            return self._call(r, "get_refund", None, None, lambda pending: (200, self.state.get_refund(m[1])))
        if (m := _CAPTURE.match(r.path)) and r.method == "GET":
            return self._call(r, "get_capture", None, None, lambda pending: (200, self.state.get_capture(m[1])))
        if r.path == "/v1/notifications/verify-webhook-signature" and r.method == "POST":
            body = r.json()
            return self._call(r, "verify_webhook", None, None,
                              lambda pending: (200, {"verification_status": self.signer.verify(body)}))
        raise ApiError(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
                       "INVALID_RESOURCE_ID", f"No PayPal endpoint {r.method} {r.path} in the emulator.")

    def _call(self, r: Request, endpoint: str, scope: str | None, request_id: str | None,
              effect: Callable[[bool], tuple[int, dict]]):
        self._check_bearer(r)
        fault = self.faults.take(endpoint)
        if fault == Fault.API_ERROR:
            raise _API_ERRORS.get(endpoint, lambda: unprocessable("UNPROCESSABLE_ENTITY", "Refused."))()
        if fault == Fault.HTTP_500:
            raise Answer(500, {**_INTERNAL, "debug_id": new_id(13).lower()})
        if fault == Fault.RATE_LIMITED:
            raise Answer(429, {**_RATE_LIMITED, "debug_id": new_id(13).lower()})
        with self.state.lock:
            replayed = self.state.replay(scope, request_id) if scope else None
            if replayed is not None:
                status, body = replayed
            else:
                status, body = effect(fault == Fault.PENDING)
                if scope:
                    self.state.remember(scope, request_id, status, body)
        self._after_effect(fault)
        return status, body, "application/json", []

    def _after_effect(self, fault: Fault | None) -> None:
        if fault == Fault.SLOW:
            self.faults.delay()
        elif fault == Fault.TIMEOUT:
            time.sleep(self.faults.timeout_seconds)
            raise DropConnection()
        elif fault == Fault.RESET:
            raise DropConnection()

    def _check_bearer(self, r: Request) -> None:
        auth = r.headers.get("authorization", "")
        if not (auth.startswith("Bearer ") and auth[7:] in self._tokens):
            raise Answer(401, _AUTH_FAILURE)

    # -- OAuth2 client credentials -------------------------------------------------------------------
    def _token(self, r: Request):
        fault = self.faults.take("token")
        if fault == Fault.API_ERROR:
            raise Answer(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
        if fault == Fault.HTTP_500:
            raise Answer(500, {"error": "server_error", "error_description": "Internal server error"})
        if fault == Fault.RATE_LIMITED:
            raise Answer(429, {**_RATE_LIMITED, "debug_id": new_id(13).lower()})
        auth = r.headers.get("authorization", "")
        try:
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":") if auth.startswith(
                "Basic ") else ("", "", "")
        except ValueError:
            client_id, secret = "", ""
        if not (secrets.compare_digest(client_id, self._client_id)
                and secrets.compare_digest(secret, self._client_secret)):
            raise Answer(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
        if r.form().get("grant_type") != "client_credentials":
            raise Answer(400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"})
        token = "A21AA" + secrets.token_urlsafe(48)
        with self.state.lock:
            self._tokens.add(token)
        self._after_effect(fault)
        return 200, {"scope": "https://uri.paypal.com/services/payments/payment/authcapture openid "
                              "https://uri.paypal.com/services/vault/payment-tokens/readwrite",
                     "access_token": token, "token_type": "Bearer", "app_id": "APP-EMULATOR0000000",
                     "expires_in": 32400, "nonce": now_nonce()}, "application/json", []

    # -- the hosted approval page ----------------------------------------------------------------------
    def _checkout_page(self, r: Request):
        order_id = r.query.get("token", "")
        action = {"/checkoutnow/approve": "approve", "/checkoutnow/cancel": "cancel"}.get(r.path)
        if r.method == "POST":
            action = action or r.form().get("action", "approve")
            order = self.state.approve(order_id) if action == "approve" else self.state.payer_cancel(order_id)
            target = order.experience.get("return_url" if action == "approve" else "cancel_url")
            if target:
                sep = "&" if "?" in target else "?"
                query = {"token": order.id} | ({"PayerID": "EMUPAYER00001"} if action == "approve" else {})
                raise Answer(303, b"", "text/html", [("Location", f"{target}{sep}{urlencode(query)}")])
            word = "approved" if action == "approve" else "cancelled"
            return 200, f"<!doctype html><p>Payment {word}. You can close this window.</p>", "text/html", []
        if r.method != "GET":
            raise Answer(405, b"", "text/plain")
        with self.state.lock:
            order = self.state.orders.get(order_id)
            if order is None:
                raise Answer(404, "<!doctype html><p>This PayPal order does not exist.</p>", "text/html")
            amount = order.purchase_unit["amount"]
            description = order.purchase_unit.get("description") or ""
            vault = order.vault_requested
        page = self._page.substitute(
            order_id=html.escape(order_id), amount=html.escape(amount["value"]),
            currency=html.escape(amount["currency_code"]),
            description=(" — " + html.escape(description)) if description else "",
            vault_note="Your PayPal account will be saved for future payments to this merchant." if vault else "",
            approve_action=html.escape(f"/checkoutnow/approve?token={order_id}"),
            cancel_action=html.escape(f"/checkoutnow/cancel?token={order_id}"))
        return 200, page, "text/html; charset=utf-8", []


def now_nonce() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + secrets.token_urlsafe(24)


__all__ = ["PayPalApp", "ENDPOINTS", "Request"]

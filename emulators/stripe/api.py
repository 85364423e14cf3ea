"""The emulator's HTTP face: Stripe's REST API under /v1 (what stripe-python calls through
`base_addresses`), the hosted checkout page under /c/pay, and the test controls under
/_emulator (see control.py).

Every /v1 request goes through the same steps Stripe's own edge does: the API key, the route,
the armed fault (faults.py), then the idempotency layer — a POST with an `Idempotency-Key`
seen before replays the stored answer (`Idempotent-Replayed: true`), or is refused with an
`idempotency_error` when its parameters differ, or with a 409 `idempotency_key_in_use` while
a request with the same key is still being handled (e.g. held by a `slow` fault). Answers that
reached the API (successes and card errors) are stored; validation errors and injected 500s are not, so a retry can succeed."""
from __future__ import annotations

import base64
import collections
import json
import re
import threading
from typing import Callable

from ..faults import Fault, FaultSwitch
from ..server import DropConnection
from . import errors as err
from .forms import decode, fingerprint
from .objects import API_VERSION, new_id
from .page import checkout_page, outcome_page
from .store import StripeStore

Handler = Callable[[StripeStore, dict, re.Match, bool], dict]

# (HTTP method, path, fault endpoint name, handler(store, params, match, pending))
ROUTES: list[tuple[str, re.Pattern, str, Handler]] = [
    ("POST", re.compile(r"/v1/checkout/sessions"), "create_session",
     lambda s, p, m, pending: s.create_session(p)),
    ("GET", re.compile(r"/v1/checkout/sessions"), "list_sessions",
     lambda s, p, m, pending: s.list_sessions(p)),
    ("GET", re.compile(r"/v1/checkout/sessions/([^/]+)"), "retrieve_session",
     lambda s, p, m, pending: s.session(m[1], p.get("expand") or [])),
    ("POST", re.compile(r"/v1/checkout/sessions/([^/]+)/expire"), "expire_session",
     lambda s, p, m, pending: s.expire_session(m[1])),
    ("POST", re.compile(r"/v1/payment_intents"), "create_payment_intent",
     lambda s, p, m, pending: s.create_payment_intent(p, pending=pending)),
    ("GET", re.compile(r"/v1/payment_intents/search"), "search_payment_intents",
     lambda s, p, m, pending: s.search("payment_intents", p)),
    ("GET", re.compile(r"/v1/payment_intents/([^/]+)"), "retrieve_payment_intent",
     lambda s, p, m, pending: s.payment_intent(m[1])),
    ("POST", re.compile(r"/v1/refunds"), "create_refund",
     lambda s, p, m, pending: s.create_refund(p, pending=pending)),
    ("GET", re.compile(r"/v1/refunds/([^/]+)"), "retrieve_refund",
     lambda s, p, m, pending: s.refund(m[1])),
    ("POST", re.compile(r"/v1/customers"), "create_customer",
     lambda s, p, m, pending: s.create_customer(p)),
    ("GET", re.compile(r"/v1/customers/search"), "search_customers",
     lambda s, p, m, pending: s.search("customers", p)),
]
ENDPOINTS = tuple(r[2] for r in ROUTES) + ("pay_session", "decline_session")
_PAGE = re.compile(r"/c/pay/([^/]+)(?:/(pay|decline))?")
_TEST_KEY = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")
RECEIVED_KEPT = 10_000   # the newest API requests kept for `received()` (a benchmark sends many more)


class StripeApp:
    """The WSGI application. `stopping` cuts a `timeout` hold short when the emulator stops."""

    def __init__(self, store: StripeStore, faults: FaultSwitch, api_key: str | None = None,
                 control: Callable | None = None, stopping: threading.Event | None = None):
        self.store, self.faults, self._api_key = store, faults, api_key
        self._control = control
        self._stopping = stopping or threading.Event()
        self._in_flight: set[tuple[str, str]] = set()   # (api key, Idempotency-Key) still being handled
        # What the API was sent (authenticated, routed requests): a test proves a replay's body is
        # the first request's, byte for byte, not only "accepted".
        self.received: collections.deque[dict] = collections.deque(maxlen=RECEIVED_KEPT)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/_emulator/") and self._control is not None:
            status, body = self._control(method, path, _read(environ), environ.get("QUERY_STRING", ""))
            return _respond(start_response, status, json.dumps(body).encode(), "application/json")
        if _PAGE.fullmatch(path):
            return self._page(environ, start_response, method, _PAGE.fullmatch(path))
        if path.startswith("/v1/"):
            return self._api(environ, start_response, method, path)
        return _respond(start_response, 404, b"Not found", "text/plain")

    # -- the REST API -----------------------------------------------------------------------------------
    def _api(self, environ, start_response, method: str, path: str):
        headers = {"Request-Id": new_id("req_", 14),
                   "Stripe-Version": environ.get("HTTP_STRIPE_VERSION") or API_VERSION}
        raw = _read(environ) if method == "POST" else environ.get("QUERY_STRING", "")
        try:
            key = self._authenticate(environ.get("HTTP_AUTHORIZATION", ""))
            route = self._route(method, path)
        except err.StripeApiError as refused:
            return self._json(start_response, refused.status, refused.body(), headers)
        _, pattern, endpoint, handler = route
        fault = self.faults.take(endpoint)
        if fault is not None and fault.before_effect:   # refused before anything happened
            refused = _injected(fault, endpoint)
            return self._json(start_response, refused.status, refused.body(), headers)
        params = decode(raw)
        idem = environ.get("HTTP_IDEMPOTENCY_KEY") if method == "POST" else None
        self.received.append({"method": method, "path": path, "endpoint": endpoint, "idempotency_key": idem,
                              "body": raw, "params": params})
        slot = (key, idem) if idem else None
        with self.store.lock:
            if slot is not None and slot in self._in_flight:
                # Stripe: a request with the same key is still being handled → 409, try again later.
                busy = err.StripeApiError(409, "idempotency_error", "There is currently another in-progress "
                                          "request using this Stripe-Idempotency-Key. Please try again later.",
                                          code="idempotency_key_in_use")
                return self._json(start_response, busy.status, busy.body(), headers)
            if slot is not None:
                self._in_flight.add(slot)
        try:
            if fault == Fault.SLOW:
                self.faults.delay()
            with self.store.lock:  # check, execute and store as one step: two retries never both execute
                status, body, replayed = self._execute(key, idem, method, path, params, pattern, handler,
                                                       fault == Fault.PENDING)
        finally:
            if slot is not None:
                with self.store.lock:
                    self._in_flight.discard(slot)
        if idem:
            headers["Idempotency-Key"] = idem
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        self._strike_after(fault)
        return self._json(start_response, status, body, headers)

    def _execute(self, key, idem, method, path, params, pattern, handler, pending):
        slot = (key, idem) if idem else None
        fp = f"{method} {path}?{fingerprint(params)}"
        if slot is not None and slot in self.store.idempotency:
            stored = self.store.idempotency[slot]
            if stored["fingerprint"] != fp:
                mismatch = err.idempotency_mismatch(idem)
                return mismatch.status, mismatch.body(), False
            return stored["status"], stored["body"], True
        try:
            status, body = 200, handler(self.store, params, pattern.fullmatch(path), pending)
        except err.StripeApiError as refused:
            status, body = refused.status, refused.body()
        if slot is not None and (status < 400 or status == 402):
            # Stripe saves the result of any request that began executing, card declines included.
            self.store.idempotency[slot] = {"fingerprint": fp, "status": status, "body": body}
        return status, body, False

    def _authenticate(self, authorization: str) -> str:
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() == "basic":   # `curl -u sk_test_…:` — the key is the user name, as on Stripe
            try:
                key = base64.b64decode(key).decode("utf-8").partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not key:
            raise err.unauthorized("You did not provide an API key. You need to provide your API key in the "
                                   "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                                   "YOUR_SECRET_KEY').")
        if (self._api_key is not None and key != self._api_key) or not _TEST_KEY.match(key):
            raise err.unauthorized(f"Invalid API Key provided: {err.mask_key(key)}")
        return key

    def _route(self, method: str, path: str):
        for route in ROUTES:
            if route[0] == method and route[1].fullmatch(path):
                return route
        raise err.StripeApiError(404, "invalid_request_error",
                                 f"Unrecognized request URL ({method}: {path}). The Stripe emulator serves "
                                 f"only the endpoints smartpay uses.")

    def _strike_after(self, fault: Fault | None) -> None:
        """Timeouts and resets strike after the effect: the work is done, the answer is lost."""
        if fault == Fault.TIMEOUT:
            self._stopping.wait(self.faults.timeout_seconds)
            raise DropConnection()
        if fault == Fault.RESET:
            raise DropConnection()

    def _json(self, start_response, status: int, body: dict, headers: dict):
        return _respond(start_response, status, json.dumps(body, indent=2).encode(), "application/json", headers)

    # -- the hosted checkout page -----------------------------------------------------------------------
    def _page(self, environ, start_response, method: str, match: re.Match):
        ident, action = match[1], match[2]
        if method == "GET" and action is None:
            try:
                session = self.store.session(ident)
            except err.StripeApiError:
                return _respond(start_response, 404, outcome_page("Not found", "There is no such checkout "
                                                                  "session.").encode(), "text/html")
            return _respond(start_response, 200, checkout_page(session).encode(), "text/html")
        if method != "POST" or action is None:
            return _respond(start_response, 405, b"Method not allowed", "text/plain")
        endpoint = "pay_session" if action == "pay" else "decline_session"
        fault = self.faults.take(endpoint)
        if fault is not None and fault.before_effect:
            return _respond(start_response, {Fault.HTTP_500: 500, Fault.RATE_LIMITED: 429}.get(fault, 402),
                            outcome_page("Something went wrong", "Your payment was not processed. Please try "
                                                                 "again.").encode(), "text/html")
        if fault == Fault.SLOW:
            self.faults.delay()
        try:
            session = self.store.pay_session(ident, decline=action == "decline", pending=fault == Fault.PENDING)
        except err.StripeApiError as refused:
            page = outcome_page("Payment not possible", refused.message)
            return _respond(start_response, 404 if refused.status == 404 else 409, page.encode(), "text/html")
        self._strike_after(fault)
        return _respond(start_response, 200, _after_payment(session, action).encode(), "text/html")


def _after_payment(session: dict, action: str) -> str:
    if action == "decline":
        return outcome_page("Your card was declined", "Nothing was charged. You can go back and try again.",
                            back=session["url"])
    if session["status"] == "complete":
        return outcome_page("Payment complete", f"Thank you. Reference {session['id']}.",
                            back=session["success_url"], back_label="Return to the merchant")
    return outcome_page("Payment processing", "Your payment is being processed; the merchant will be told "
                                              "when it completes.")


def _injected(fault: Fault, endpoint: str) -> err.StripeApiError:
    if fault == Fault.HTTP_500:
        return err.StripeApiError(500, "api_error", "An unknown error occurred (the emulator's http_500 fault).")
    if fault == Fault.RATE_LIMITED:
        return err.StripeApiError(429, "invalid_request_error", "Request rate limit exceeded. Learn more about rate "
                                  "limits here https://stripe.com/docs/rate-limits.", code="rate_limit")
    return err.invalid(f"The Stripe emulator refused this request ({endpoint}: armed fault api_error).",
                       code="emulator_api_error")


def _read(environ) -> str:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length).decode("utf-8") if length > 0 else ""


def _respond(start_response, status: int, body: bytes, content_type: str, headers: dict | None = None):
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Request Failed", 404: "Not Found",
              405: "Method Not Allowed", 409: "Conflict", 429: "Too Many Requests",
              500: "Internal Server Error"}.get(status, "Status")
    start_response(f"{status} {reason}", [("Content-Type", f"{content_type}; charset=utf-8"),
                                          ("Content-Length", str(len(body))), *(headers or {}).items()])
    return [body]

"""The webhook endpoint: a WSGI application (standard library only).

    POST /webhooks/<method key>

Header names are lower-cased and handed with the raw body to the method's `parse_webhook`,
which verifies the sender (M5). A notification that does not verify → 400, logged, nothing
stored. A verified one is stored once in the inbox and applied idempotently (see
core/payments/webhook_inbox.py): a replay, or an event about an order or attempt we do not
know → 200 (so the provider stops retrying), logged, nothing changes. A crash while applying →
500, so the provider delivers it again.

Development: `smartpay webhooks serve --port N` (wsgiref, one request at a time). Production:
any WSGI server, e.g. `gunicorn 'smartpay.app.webhook_server:create_app()'` or
`waitress-serve --call smartpay.app.webhook_server:create_app` (docs/operations.md).
"""
from __future__ import annotations

import json
import logging
import re
from typing import Callable, Iterable

log = logging.getLogger("smartpay.webhooks")

MAX_BODY = 1024 * 1024  # provider notifications are a few KiB; refuse anything absurd
_PATH = re.compile(r"^/webhooks/([A-Za-z0-9_.-]{1,64})/?$")


def make_app(core) -> Callable:
    """The WSGI application for one core (its database, plugins and clock)."""
    from smartpay.core.errors import NotFound
    from smartpay.core.plugin_host import WebhookRejected
    from smartpay.core.payments.webhook_inbox import WebhookOutcome

    def app(environ: dict, start_response) -> Iterable[bytes]:
        try:
            match = _PATH.match(environ.get("PATH_INFO", ""))
            if match is None:
                return _reply(start_response, 404, {"error": "not found; POST /webhooks/<method key>"})
            if environ.get("REQUEST_METHOD") != "POST":
                return _reply(start_response, 405, {"error": "POST only"}, [("Allow", "POST")])
            key = match.group(1)
            try:
                method = core.plugins.method(key)
            except NotFound:
                log.warning("webhook for unknown payment method %r refused", key)
                return _reply(start_response, 404, {"error": f"no payment method '{key}'"})
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                log.warning("%s webhook refused: body length %r", key, environ.get("CONTENT_LENGTH"))
                return _reply(start_response, 413 if length > MAX_BODY else 400, {"error": "bad body length"})
            body = environ["wsgi.input"].read(length) if length else b""
            try:
                event = method.parse_webhook(headers_of(environ), body)
            except WebhookRejected as exc:
                log.warning("%s webhook rejected: %s", key, _short(exc))
                return _reply(start_response, 400, {"error": "rejected"})
            receipt = core.webhook_inbox.receive(key, event)
            if receipt.outcome == WebhookOutcome.APPLIED:
                log.info("%s webhook %s", key, receipt.message)
            else:
                log.info("%s webhook %s: %s", key, receipt.outcome.value, receipt.message)
            return _reply(start_response, 200, {"status": receipt.outcome.value, "order": receipt.txn,
                                                "order_state": receipt.order_state})
        except Exception:  # the provider will deliver it again; the inbox row stays 'received'
            log.exception("webhook handling failed")
            return _reply(start_response, 500, {"error": "internal error; deliver again later"})
        finally:
            # wsgiref and threaded servers run requests on threads of their own: give the
            # thread's database connection back rather than leave it open.
            core.db.close()

    return app


def headers_of(environ: dict) -> dict[str, str]:
    """The request's headers with lower-case names (`Stripe-Signature` → `stripe-signature`)."""
    headers = {}
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers[name[5:].replace("_", "-").lower()] = value
        elif name in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers[name.replace("_", "-").lower()] = value
    return headers


def create_app():
    """For production WSGI servers: a core from the usual settings (config file, $SMARTPAY_DB)."""
    from smartpay.core.context import Smartpay
    return make_app(Smartpay.open())


def _reply(start_response, status: int, payload: dict, extra: list[tuple[str, str]] = ()) -> list[bytes]:
    body = json.dumps(payload).encode()
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
               413: "Payload Too Large", 500: "Internal Server Error"}
    start_response(f"{status} {reasons[status]}", [("Content-Type", "application/json"),
                                                   ("Content-Length", str(len(body))), *extra])
    return [body]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]

"""Test controls over HTTP, under /_emulator (JSON in, JSON out), for tests and demos that run
the emulator in another process — and `StripeEmulatorClient`, the same calls from Python.

    POST   /_emulator/faults              {"fault": "timeout", "endpoint": "create_session", "times": 1}
    GET    /_emulator/faults              armed faults
    DELETE /_emulator/faults              disarm all
    POST   /_emulator/settings            {"timeout_hold_seconds": 2, "slow_seconds": 0.2}
    GET    /_emulator/clock               {"now": <unix seconds>}: the account's clock
    POST   /_emulator/clock               {"advance": seconds} or {"now": <unix seconds>}: move it
    POST   /_emulator/sessions/<id>/pay   pay as the payer would ({"pending": true}: leave it processing)
    POST   /_emulator/sessions/<id>/decline  pay with a card that is declined
    POST   /_emulator/settle/<id>         {"succeeded": true}: finish a processing payment or refund
    POST   /_emulator/off_session_failure {"payment_method": "cus_…/pm_…", "outcome": "card_declined"}
    GET    /_emulator/charges?txn=<txn>   {"txn": …, "charges": n}
    GET    /_emulator/events              every event, oldest first
    GET    /_emulator/deliveries          webhook deliveries and their outcome
    POST   /_emulator/reset               forget everything (faults included)

The controls need no API key: the emulator listens on 127.0.0.1 and holds no real money."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote

from ..control_client import EmulatorControlClient
from .errors import StripeApiError

if TYPE_CHECKING:
    from .emulator import StripeEmulator

_SESSION_ACTION = re.compile(r"/_emulator/sessions/([^/]+)/(pay|decline)")
_SETTLE = re.compile(r"/_emulator/settle/([^/]+)")


def control_handler(emulator: "StripeEmulator"):
    """The function the app calls for /_emulator/… requests: (method, path, body, query) → (status, json)."""

    def handle(method: str, path: str, body: str, query: str) -> tuple[int, object]:
        try:
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            return 200, _dispatch(emulator, method, path, data, parse_qs(query))
        except StripeApiError as refused:
            return refused.status, refused.body()
        except KeyError as missing:
            return 404, {"error": str(missing.args[0]) if missing.args else "not found"}
        except (ValueError, TypeError) as bad:
            return 400, {"error": str(bad)}

    return handle


def _dispatch(emulator: "StripeEmulator", method: str, path: str, data: dict, query: dict) -> object:
    if path == "/_emulator/faults":
        if method == "POST":
            emulator.arm(data.get("fault", ""), data.get("endpoint"), int(data.get("times", 1)))
        elif method == "DELETE":
            emulator.clear_faults()
        return emulator.faults.snapshot()
    if path == "/_emulator/settings" and method == "POST":
        emulator.configure(**data)
        return {"timeout_hold_seconds": emulator.faults.timeout_seconds, "slow_seconds": emulator.faults.slow_seconds}
    if path == "/_emulator/clock":
        if method == "POST" and "now" in data:
            emulator.set_clock(float(data["now"]))
        elif method == "POST":
            emulator.advance_clock(float(data.get("advance", 0)))
        return {"now": emulator.now()}
    if (m := _SESSION_ACTION.fullmatch(path)) and method == "POST":
        if m[2] == "pay":
            return emulator.complete_session(m[1], pending=bool(data.get("pending", False)))
        return emulator.decline_session(m[1])
    if (m := _SETTLE.fullmatch(path)) and method == "POST":
        return emulator.settle(m[1], bool(data.get("succeeded", True)))
    if path == "/_emulator/off_session_failure" and method == "POST":
        emulator.fail_next_off_session(data.get("payment_method", ""), data.get("outcome", "card_declined"))
        return {"ok": True}
    if path == "/_emulator/charges" and method == "GET":
        txn = (query.get("txn") or [""])[0]
        return {"txn": txn, "charges": emulator.charges_for(txn)}
    if path == "/_emulator/events" and method == "GET":
        return emulator.events()
    if path == "/_emulator/deliveries" and method == "GET":
        return emulator.deliveries()
    if path == "/_emulator/reset" and method == "POST":
        emulator.reset()
        return {"ok": True}
    if path == "/_emulator/health":
        return {"ok": True, "url": emulator.url}
    raise KeyError(f"no control {method} {path}")


class StripeEmulatorClient(EmulatorControlClient):
    """The emulator's controls for a test whose emulator runs in another process
    (`python -m smartpay.emulators.stripe --port N`). Same names as on StripeEmulator."""

    def __init__(self, url: str, timeout_seconds: float = 10.0):
        super().__init__(url, timeout_seconds)
        self.api_base = self.url

    def configure(self, **settings) -> dict:
        return self._call("POST", "/settings", settings)

    def now(self) -> int:
        return self._call("GET", "/clock")["now"]

    def advance_clock(self, seconds: float) -> int:
        return self._call("POST", "/clock", {"advance": seconds})["now"]

    def set_clock(self, epoch: float) -> int:
        return self._call("POST", "/clock", {"now": epoch})["now"]

    def complete_session(self, session_id: str, pending: bool = False) -> dict:
        return self._call("POST", f"/sessions/{quote(session_id)}/pay", {"pending": pending})

    def decline_session(self, session_id: str) -> dict:
        return self._call("POST", f"/sessions/{quote(session_id)}/decline", {})

    def settle(self, ident: str, succeeded: bool = True) -> dict:
        return self._call("POST", f"/settle/{quote(ident)}", {"succeeded": succeeded})

    def fail_next_off_session(self, payment_method: str, outcome: str = "card_declined") -> None:
        self._call("POST", "/off_session_failure", {"payment_method": payment_method, "outcome": outcome})

    def charges_for(self, txn: str) -> int:
        return self._call("GET", f"/charges?txn={quote(txn)}")["charges"]

    def events(self) -> list[dict]:
        return self._call("GET", "/events")

    def deliveries(self) -> list[dict]:
        return self._call("GET", "/deliveries")

    def reset(self) -> None:
        self._call("POST", "/reset", {})

    def healthy(self) -> bool:
        try:
            return bool(self._call("GET", "/health").get("ok"))
        except (OSError, RuntimeError):
            return False

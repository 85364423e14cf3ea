"""Signed webhook events, as Stripe sends them: a JSON body and a `Stripe-Signature` header
`t=<unix time>,v1=<HMAC-SHA256(secret, "<t>.<body>")>`.

`signed_event()` builds one for tests (good, forged or replayed ones alike); `WebhookSender`
posts the emulator's events to a configured URL from a background thread, retrying a failed
delivery a few times (Stripe retries for days; a test does not wait that long)."""
from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from typing import Callable


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode("utf-8"), f"{t}.{payload}".encode("utf-8"), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signed_event(event: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a delivery of `event` signed with `secret` at `timestamp` (default now)."""
    body = json.dumps(event, indent=2)
    return body.encode("utf-8"), {"Content-Type": "application/json; charset=utf-8",
                                  "Stripe-Signature": signature_header(body, secret, timestamp)}


class WebhookSender:
    """Delivers events in the order they happened, one at a time, off the request threads."""

    def __init__(self, url: str, secret: str, record: Callable[[dict], None], attempts: int = 3,
                 timeout_seconds: float = 5.0):
        self.url, self._secret, self._record = url, secret, record
        self.attempts, self.timeout_seconds = attempts, timeout_seconds
        self._queue: queue.Queue = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stripe-emulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_seconds * self.attempts + 1)

    def submit(self, event: dict) -> None:
        self._idle.clear()
        self._queue.put(event)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once every submitted event has been delivered (or given up on)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            self._deliver(event)
            if self._queue.empty():
                self._idle.set()

    def _deliver(self, event: dict) -> None:
        outcome: int | str = "not sent"
        for attempt in range(self.attempts):
            body, headers = signed_event(event, self._secret)
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:
                    outcome = answer.status
            except urllib.error.HTTPError as exc:
                outcome = exc.code
            except Exception as exc:  # unreachable, refused, a bad URL: recorded, never fatal to the sender
                outcome = type(exc).__name__
            if isinstance(outcome, int) and 200 <= outcome < 300:
                break
            time.sleep(0.1 * (attempt + 1))
        self._record({"event": event["id"], "type": event["type"], "outcome": outcome})

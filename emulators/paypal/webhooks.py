"""Webhook events as the PayPal emulator sends them, and the check behind its
verify-webhook-signature endpoint.

PayPal signs `transmission_id|transmission_time|webhook_id|crc32(body)` with its private key
(SHA256withRSA) and offers `POST /v1/notifications/verify-webhook-signature` so merchants need
not handle certificates. The emulator signs the same string with an HMAC key that only it
knows, so its verify endpoint says SUCCESS only for events it really sent, for the webhook id
they were sent to, with the body unaltered.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import queue
import secrets
import threading
import time
import urllib.request
import uuid
import zlib

from .store import new_id, now_iso

log = logging.getLogger("smartpay.emulators.paypal")

AUTH_ALGO = "SHA256withRSA"
_RESOURCE_TYPES = {"CHECKOUT.ORDER.APPROVED": "checkout-order", "PAYMENT.CAPTURE.COMPLETED": "capture",
                   "PAYMENT.CAPTURE.DENIED": "capture", "PAYMENT.CAPTURE.PENDING": "capture",
                   "PAYMENT.CAPTURE.REFUNDED": "refund"}
_SUMMARIES = {"CHECKOUT.ORDER.APPROVED": "An order has been approved by buyer",
              "PAYMENT.CAPTURE.COMPLETED": "Payment completed", "PAYMENT.CAPTURE.DENIED": "Payment denied",
              "PAYMENT.CAPTURE.PENDING": "Payment pending", "PAYMENT.CAPTURE.REFUNDED": "A capture was refunded"}


def event_body(event: dict) -> bytes:
    """The exact bytes the emulator sends (and checksums) for an event."""
    return json.dumps(event, separators=(",", ":")).encode()


class WebhookSigner:
    """Builds events, signs transmissions and verifies them. The key never leaves the object."""

    def __init__(self, webhook_id: str, base_url_of):
        self.webhook_id = webhook_id
        self._base_url_of = base_url_of
        self.__key = secrets.token_bytes(32)

    def event(self, event_type: str, resource: dict) -> dict:
        event_id = f"WH-{new_id(17)}-{new_id(17)}"
        return {"id": event_id, "event_version": "1.0", "create_time": now_iso(),
                "resource_type": _RESOURCE_TYPES.get(event_type, "checkout-order"),
                "resource_version": "2.0", "event_type": event_type,
                "summary": _SUMMARIES.get(event_type, event_type), "resource": resource,
                "links": [{"href": f"{self._base_url_of()}/v1/notifications/webhooks-events/{event_id}",
                           "rel": "self", "method": "GET"}]}

    def _signature(self, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()
        return base64.b64encode(hmac.new(self.__key, message, hashlib.sha256).digest()).decode()

    def sign(self, body: bytes, webhook_id: str | None = None) -> dict[str, str]:
        """The transmission headers PayPal sends with a webhook POST (real header names)."""
        transmission_id = str(uuid.uuid4())
        transmission_time = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": self._signature(transmission_id, transmission_time,
                                                       webhook_id or self.webhook_id, body),
            "PAYPAL-CERT-URL": f"{self._base_url_of()}/v1/notifications/certs/CERT-emulator-{self.webhook_id}",
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
            "PAYPAL-AUTH-VERSION": "v2",
            "Content-Type": "application/json",
        }

    def verify(self, request: dict) -> str:
        """SUCCESS or FAILURE for a verify-webhook-signature request body."""
        try:
            event = request["webhook_event"]
            body = event_body(event)
            expected = self._signature(str(request["transmission_id"]), str(request["transmission_time"]),
                                       str(request["webhook_id"]), body)
            good = (request.get("auth_algo") == AUTH_ALGO and request["webhook_id"] == self.webhook_id
                    and hmac.compare_digest(expected, str(request["transmission_sig"])))
        except (KeyError, TypeError, ValueError):
            return "FAILURE"
        return "SUCCESS" if good else "FAILURE"


class WebhookSender:
    """Delivers events to the configured URL on a background thread, in order, one attempt
    each (PayPal retries for days; a test wants the first delivery). Records every delivery."""

    def __init__(self, signer: WebhookSigner):
        self.signer = signer
        self.url: str | None = None
        self.deliveries: list[dict] = []
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(self, event_type: str, resource: dict) -> None:
        if not self.url:
            return
        with self._lock:
            self._queue.put((self.url, self.signer.event(event_type, resource)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paypal-emulator-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:       # checked under the lock: enqueue() starts a new thread once this one ends
                if self._queue.empty():
                    self._thread = None
                    return
                url, event = self._queue.get_nowait()
            self._deliver(url, event)
            self._queue.task_done()

    def _deliver(self, url: str, event: dict) -> None:
        body = event_body(event)
        record = {"event_id": event["id"], "event_type": event["event_type"], "url": url}
        try:
            request = urllib.request.Request(url, data=body, headers=self.signer.sign(body), method="POST")
            with urllib.request.urlopen(request, timeout=5) as answer:
                record["status"] = answer.status
        except Exception as exc:  # a receiver that is down must not stop the emulator
            record["status"] = getattr(exc, "code", None) or type(exc).__name__
            log.info("webhook %s to %s not delivered: %s", event["event_type"], url, type(exc).__name__)
        with self._lock:
            self.deliveries.append(record)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued event was attempted (tests)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

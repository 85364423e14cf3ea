"""PayPalEmulator: the emulator's server plus a Python control surface for tests.

    with PayPalEmulator(client_id="emu-client", client_secret="emu-secret") as paypal:
        paypal.url                                   # http://127.0.0.1:PORT — the SDK's base URL
        paypal.arm("timeout", "capture_order")       # the next capture takes effect, its answer is lost
        paypal.approve(order_id)                     # the payer approves on the hosted page
        paypal.captures_for(txn)                     # successful captures for a transaction: ≤ 1

Everything here is also reachable over HTTP under `/_emulator/` (control.py), and from another
process through `PayPalEmulatorClient(url)`, which has the same method names.
"""
from __future__ import annotations

from typing import Any

from smartpay.emulators.faults import Fault
from smartpay.emulators.server import EmulatorServer

from .app import PayPalApp
from .control import ENDPOINTS
from .webhooks import event_body

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
DEFAULT_WEBHOOK_ID = "WH-EMULATOR-0000000000000"


class PayPalEmulator:
    """A local PayPal REST API on 127.0.0.1. State lives in memory and is thread-safe."""

    def __init__(self, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 webhook_id: str = DEFAULT_WEBHOOK_ID, webhook_url: str | None = None, port: int = 0,
                 host: str = "127.0.0.1", latency_seconds: float = 0.0, timeout_hold_seconds: float = 30.0,
                 slow_seconds: float = 0.5):
        self.client_id = client_id
        self.webhook_id = webhook_id
        self.app = PayPalApp(client_id, client_secret, webhook_id, lambda: self.url)
        self.app.faults.timeout_seconds = timeout_hold_seconds
        self.app.faults.slow_seconds = slow_seconds
        self.app.sender.url = webhook_url
        self.server = EmulatorServer(self.app, host=host, port=port, latency_seconds=latency_seconds)

    def __repr__(self) -> str:
        return f"PayPalEmulator(url={self.url!r}, client_id={self.client_id!r})"

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> "PayPalEmulator":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> "PayPalEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- faults --------------------------------------------------------------------------------------
    @property
    def faults(self):
        return self.app.faults

    def arm(self, fault: Fault | str, endpoint: str | None = None, times: int = 1) -> None:
        """Make the next `times` calls to `endpoint` (one of ENDPOINTS; None: any) fail with `fault`."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint: {endpoint!r} is not one of {', '.join(ENDPOINTS)}")
        self.app.faults.arm(fault, endpoint, times)

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def armed(self) -> list[dict]:
        """Faults still armed: fault, endpoint, remaining uses."""
        return self.app.faults.snapshot()

    def set_timeout_hold(self, seconds: float) -> None:
        """How long a `timeout` fault holds the answer before dropping the connection."""
        self.app.faults.timeout_seconds = seconds

    # -- the payer and the provider's own decisions -------------------------------------------------
    def approve(self, order_id: str) -> None:
        """The payer approves the order on the hosted page (saving their PayPal if asked)."""
        self.app.state.approve(order_id)

    def cancel(self, order_id: str) -> None:
        """The payer clicks Cancel on the hosted page."""
        self.app.state.payer_cancel(order_id)

    def decline_next_vault_charge(self, issue: str = "INSTRUMENT_DECLINED") -> None:
        """The next charge of a saved PayPal account is refused with 422 `issue`."""
        with self.app.state.lock:
            self.app.state.decline_next_vault.append(issue)

    def forget_request_ids(self) -> None:
        """PayPal keeps a PayPal-Request-Id's answer for a limited time: after it, a replay is a
        new request (a charge already taken for its invoice is then refused DUPLICATE_INVOICE_ID)."""
        with self.app.state.lock:
            self.app.state.idempotency.clear()

    def decline_next_capture(self, times: int = 1) -> None:
        """The next capture(s) end with status DECLINED (PAYMENT.CAPTURE.DENIED)."""
        with self.app.state.lock:
            self.app.state.decline_next_captures += times

    def hold_next_capture_pending(self, times: int = 1) -> None:
        """The next capture(s) stay PENDING (reason PENDING_REVIEW) until settle_capture()."""
        with self.app.state.lock:
            self.app.state.pending_next_captures += times

    def settle_capture(self, capture_id: str, complete: bool = True) -> None:
        """A PENDING capture clears (complete=True) or is denied."""
        self.app.state.settle_pending_capture(capture_id, complete)

    def complete_refund(self, refund_id: str) -> dict:
        """A PENDING refund completes at PayPal (what happens later, by itself, for real)."""
        return self.app.state.settle_refund(refund_id)

    # -- reading -------------------------------------------------------------------------------------
    def captures_for(self, txn: str) -> int:
        """Successful captures whose custom_id is `txn` — "charged at most once" means ≤ 1."""
        return self.app.state.captures_for(txn)

    def orders_for(self, txn: str) -> list[str]:
        """Ids of the orders created for `txn` (custom_id), oldest first."""
        return self.app.state.orders_for(txn)

    def order(self, order_id: str) -> dict:
        """The order as GET /v2/checkout/orders/{id} shows it."""
        return self.app.state.get_order(order_id)

    def capture_ids(self, order_id: str) -> list[str]:
        with self.app.state.lock:
            return list(self.app.state.orders[order_id].capture_ids)

    def reset(self) -> None:
        """Forget every order, capture, refund, vault token, idempotency record and armed fault.
        Issued access tokens stay valid, so configured clients keep working."""
        self.app.faults.clear()
        self.app.state.reset()

    # -- webhooks ------------------------------------------------------------------------------------
    @property
    def webhook_url(self) -> str | None:
        return self.app.sender.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.app.sender.url = url

    @property
    def deliveries(self) -> list[dict]:
        """Webhook deliveries attempted so far: event_id, event_type, url, status."""
        return list(self.app.sender.deliveries)

    def wait_for_webhooks(self, timeout: float = 5.0) -> None:
        self.app.sender.drain(timeout)

    def signed_event(self, event_type: str, resource: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """(headers, body) of an event exactly as the emulator would send it: it verifies."""
        body = event_body(self.app.signer.event(event_type, resource))
        return self.app.signer.sign(body), body

    def forged_event(self, event_type: str, resource: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """(headers, body) shaped like a real delivery but signed by someone without the key."""
        headers, body = self.signed_event(event_type, resource)
        signature = headers["PAYPAL-TRANSMISSION-SIG"]
        headers["PAYPAL-TRANSMISSION-SIG"] = ("A" if signature[0] != "A" else "B") + signature[1:]
        return headers, body

    def event_for_order(self, event_type: str, order_id: str) -> tuple[dict[str, str], bytes]:
        """A validly signed event about an existing order: CHECKOUT.ORDER.APPROVED carries the
        order, PAYMENT.CAPTURE.* its (last) capture."""
        state = self.app.state
        with state.lock:
            order = state.orders[order_id]
            if event_type.startswith("PAYMENT.CAPTURE."):
                resource = state.captures[order.capture_ids[-1]].as_json(self.url)
            else:
                resource = state.order_json(order, minimal=False)
        return self.signed_event(event_type, resource)

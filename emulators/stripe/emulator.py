"""StripeEmulator: the Stripe API on 127.0.0.1, with its test controls as Python methods.

    with StripeEmulator(timeout_hold_seconds=1.0) as stripe_emu:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_emu.api_base})
        stripe_emu.arm(Fault.TIMEOUT, "create_session")
        ...
        assert stripe_emu.charges_for(txn) <= 1
"""
from __future__ import annotations

import threading

from ..faults import Fault, FaultSwitch
from ..jsoncopy import json_copy
from ..server import EmulatorServer
from .api import ENDPOINTS, StripeApp
from .clock import EmulatorClock, Source
from .control import control_handler
from .store import StripeStore
from .webhooks import WebhookSender, signed_event


class StripeEmulator:
    """One emulated Stripe account. `api_key`: the only key accepted (default: any sk_test_ key).
    `webhook_url` + `webhook_secret`: where to POST signed events. `timeout_hold_seconds`: how
    long a `timeout` fault holds the answer before dropping it (keep it above the client's
    timeout and short in tests). `slow_seconds`: the delay of a `slow` answer. `clock`: where the
    account reads "now" (Unix seconds or an aware datetime; default the wall clock) — a test
    passes its core's clock (`clock=core_clock.now`) so both agree on the date (clock.py)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None,
                 webhook_url: str | None = None, webhook_secret: str | None = None,
                 timeout_hold_seconds: float = 30.0, slow_seconds: float = 0.5, latency_seconds: float = 0.0,
                 clock: Source | None = None):
        if webhook_url and not webhook_secret:
            raise ValueError("webhook_secret: needed to sign the events sent to webhook_url")
        self.faults = FaultSwitch()
        self.configure(timeout_hold_seconds=timeout_hold_seconds, slow_seconds=slow_seconds)
        self._webhook_secret = webhook_secret
        self._deliveries: list[dict] = []
        self._sender = WebhookSender(webhook_url, webhook_secret, self._deliveries.append) if webhook_url else None
        self.clock = EmulatorClock(clock)
        self.store = StripeStore(publish=self._sender.submit if self._sender else None, clock=self.clock)
        self._stopping = threading.Event()
        self.app = StripeApp(self.store, self.faults, api_key, control_handler(self), self._stopping)
        self.server = EmulatorServer(self.app, host, port, latency_seconds)
        self.store.base_url = self.server.url

    # -- life cycle ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_base(self) -> str:
        """What to pass as stripe.StripeClient(base_addresses={"api": …})."""
        return self.server.url

    def start(self) -> "StripeEmulator":
        if self._sender:
            self._sender.start()
        self.server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()          # release any answer a timeout fault is holding
        self.faults.clear()           # and any a test held at a gate
        self.server.stop()
        if self._sender:
            self._sender.stop()

    def __enter__(self) -> "StripeEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- faults ----------------------------------------------------------------------------------------
    def arm(self, fault: Fault | str, endpoint: str | None = None, times: int = 1) -> None:
        """Make the next `times` calls to `endpoint` (None: any) fail with `fault` (faults.py)."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint: one of {', '.join(ENDPOINTS)}, not {endpoint!r}")
        self.faults.arm(fault, endpoint, times)

    def hold(self, endpoint: str):
        """Hold the next call to `endpoint` until the returned gate is opened (faults.Gate): a test
        waits for `gate.reached` to know the call is being handled, then sends another."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint: one of {', '.join(ENDPOINTS)}, not {endpoint!r}")
        return self.faults.hold(endpoint)

    def clear_faults(self) -> None:
        self.faults.clear()

    def configure(self, timeout_hold_seconds: float | None = None, slow_seconds: float | None = None) -> None:
        if timeout_hold_seconds is not None:
            self.faults.timeout_seconds = float(timeout_hold_seconds)
        if slow_seconds is not None:
            self.faults.slow_seconds = float(slow_seconds)

    # -- the account's clock --------------------------------------------------------------------------
    def now(self) -> int:
        """The emulated account's "now", in Unix seconds."""
        return self.clock.now()

    def advance_clock(self, seconds: float) -> int:
        """Move the account's clock (a session whose `expires_at` passes expires); answers the new now."""
        return self.clock.advance(seconds)

    def set_clock(self, epoch: float) -> int:
        return self.clock.set(epoch)

    def follow_clock(self, source: Source) -> None:
        """Read "now" from `source` from here on (e.g. a core's `FixedClock.now`)."""
        self.clock.follow(source)

    # -- the payer and the card ---------------------------------------------------------------------------
    def complete_session(self, session_id: str, pending: bool = False) -> dict:
        """Pay the session as the payer would on the hosted page (a card that succeeds);
        `pending`: the payment stays processing (session open) until `settle()`."""
        return self.store.pay_session(session_id, pending=pending)

    def decline_session(self, session_id: str) -> dict:
        """Try to pay with a card that is declined: the session stays open, nothing is charged."""
        return self.store.pay_session(session_id, decline=True)

    def pay_url(self, session_id: str) -> str:
        """Where the hosted page's Pay form posts (`curl -X POST` it to pay offline)."""
        return f"{self.url}/c/pay/{session_id}/pay"

    def decline_url(self, session_id: str) -> str:
        return f"{self.url}/c/pay/{session_id}/decline"

    def fail_next_off_session(self, payment_method: str, outcome: str = "card_declined") -> None:
        """The saved card's next off-session charge fails: card_declined, insufficient_funds,
        authentication_required or expired_card. Takes a pm id or the plugin's "cus_…/pm_…" token."""
        self.store.fail_next_off_session(payment_method, outcome)

    def settle(self, ident: str, succeeded: bool = True) -> dict:
        """Finish what a `pending` fault left processing (a PaymentIntent, its session, or a refund)."""
        return self.store.settle(ident, succeeded)

    # -- what happened ---------------------------------------------------------------------------------------
    def charges_for(self, txn: str) -> int:
        """How many successful charges carry this transaction number: the "charged at most once" proof."""
        return self.store.charges_for(txn)

    def session(self, session_id: str) -> dict:
        return self.store.session(session_id, ["payment_intent"])

    def payment_intent(self, intent_id: str) -> dict:
        return self.store.payment_intent(intent_id)

    def sessions_for(self, txn: str) -> list[dict]:
        return self.store.sessions_for(txn)

    def received(self, endpoint: str | None = None) -> list[dict]:
        """The API requests the emulator was sent, oldest first (`endpoint`: only those, e.g.
        "create_session"): method, path, endpoint, idempotency_key, the raw form `body` and the
        decoded `params`. Requests refused before routing (bad key, unknown URL) are not kept."""
        return [dict(r) for r in list(self.app.received) if endpoint is None or r["endpoint"] == endpoint]

    def events(self) -> list[dict]:
        with self.store.lock:
            return json_copy(self.store.events)

    def deliveries(self) -> list[dict]:
        return list(self._deliveries)

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """True once every event so far was delivered (or given up on); True at once without a URL."""
        return self._sender.wait_idle(timeout) if self._sender else True

    def sign_event(self, event: dict, secret: str | None = None, timestamp: int | None = None):
        """(body, headers) of `event` signed like a delivery — with this emulator's secret by default."""
        secret = secret or self._webhook_secret
        if not secret:
            raise ValueError("secret: this emulator has no webhook secret; pass one")
        return signed_event(event, secret, timestamp)

    def reset(self) -> None:
        """Forget every object, event and armed fault (settings stay)."""
        self.faults.clear()
        self.store.reset()
        self.app.received.clear()
        self._deliveries.clear()

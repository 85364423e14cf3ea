"""Fault switches, Kill Bill style: make the next call (or the next N calls to one endpoint)
fail in a chosen way, so tests can prove that no fault charges twice or moves an expiry unpaid.

Where a fault strikes matters. API errors and 500s strike *before* the call takes effect (the
provider refused). Timeouts and resets strike *after* it took effect, and the answer is lost —
the hard case, where the caller cannot know the charge happened (M3). `slow` answers normally
after a delay; `pending` makes the resource stay pending (the payer never finishes, a capture
stays PENDING)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    API_ERROR = "api_error"   # the provider's own error JSON (HTTP 402/422 style), before effect
    HTTP_500 = "http_500"     # an internal server error, before effect
    RATE_LIMITED = "rate_limited"   # HTTP 429 in the provider's format, before effect: try again later
    TIMEOUT = "timeout"       # effect applied, then no answer for longer than any client waits
    RESET = "reset"           # effect applied, then the connection is dropped without an answer
    SLOW = "slow"             # a normal answer after `slow_seconds`
    PENDING = "pending"       # the resource stays pending instead of completing

    @property
    def before_effect(self) -> bool:
        return self in (Fault.API_ERROR, Fault.HTTP_500, Fault.RATE_LIMITED)


class Gate:
    """A `slow` answer held until the test opens it (FaultSwitch.hold). `reached` is set once the
    request is being handled (for Stripe: its Idempotency-Key is in flight), so a test orders two
    concurrent requests by this event instead of guessing with a sleep — on a loaded machine a
    sleep guesses wrong."""

    LONGEST = 30.0   # never hold a server thread forever if a test forgets to open the gate

    def __init__(self) -> None:
        self.reached = threading.Event()
        self._opened = threading.Event()

    def wait_reached(self, timeout: float = 10.0) -> None:
        if not self.reached.wait(timeout):
            raise TimeoutError(f"no request reached the held endpoint within {timeout:.0f}s")

    def open(self) -> None:
        self._opened.set()

    def _hold(self) -> None:
        self.reached.set()
        self._opened.wait(self.LONGEST)


@dataclass
class _Armed:
    fault: Fault
    endpoint: str | None      # an endpoint name the emulator defines ("create", "capture", …); None: any
    remaining: int


class FaultSwitch:
    """Thread-safe: the emulator serves each request on its own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []
        self.slow_seconds = 0.5
        self.timeout_seconds = 30.0
        self._gate: Gate | None = None

    def arm(self, fault: Fault | str, endpoint: str | None = None, times: int = 1) -> None:
        if times < 1:
            raise ValueError("times: must be at least 1")
        with self._lock:
            self._armed.append(_Armed(Fault(fault), endpoint, times))

    def hold(self, endpoint: str) -> Gate:
        """Arm a `slow` fault on `endpoint` whose answer waits until the returned gate is opened
        (one held answer at a time). For tests; the emulator's users only ever need `arm`."""
        gate = Gate()
        with self._lock:
            if self._gate is not None:
                raise RuntimeError("another answer is already held; open its gate first")
            self._gate = gate
            self._armed.append(_Armed(Fault.SLOW, endpoint, 1))
        return gate

    def delay(self) -> None:
        """Where a `slow` answer waits: at the held gate if a test set one, else `slow_seconds`."""
        with self._lock:
            gate, self._gate = self._gate, None
        if gate is not None:
            gate._hold()
        else:
            time.sleep(self.slow_seconds)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            gate, self._gate = self._gate, None
        if gate is not None:
            gate.open()

    def take(self, endpoint: str) -> Fault | None:
        """The fault for this call to `endpoint`, consuming one use of it; None: behave."""
        with self._lock:
            for armed in self._armed:
                if armed.endpoint in (None, endpoint):
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                    return armed.fault
        return None

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [{"fault": a.fault.value, "endpoint": a.endpoint, "remaining": a.remaining}
                    for a in self._armed]

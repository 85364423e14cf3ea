"""The emulated Stripe account's clock: what "now" is for objects' `created`, a Checkout
Session's `expires_at` bounds, and when an open session expires.

By default it is the wall clock. A test moves it — `advance(seconds)`, `set(epoch)` — or makes
it follow its own clock (`follow(source)`: the core's FixedClock, so the desk and "Stripe"
agree on the date and a test that moves one moves both). Webhook signatures keep the wall
clock: the SDK checks their timestamp against the machine's time, as it does against Stripe's."""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Callable

Source = Callable[[], "float | dt.datetime"]


class EmulatorClock:
    def __init__(self, source: Source | None = None):
        self._lock = threading.Lock()
        self._source: Source = source or time.time
        self._offset = 0.0

    def now(self) -> int:
        """Unix seconds, as Stripe's timestamps are."""
        with self._lock:
            return int(_seconds(self._source()) + self._offset)

    def follow(self, source: Source) -> None:
        """Read the time from `source` (a callable answering Unix seconds or an aware datetime —
        e.g. `core_clock.now`) from now on, without offset."""
        with self._lock:
            self._source, self._offset = source, 0.0

    def advance(self, seconds: float) -> int:
        """Move the clock forward (or back, negative) by `seconds`; answers the new now."""
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def set(self, epoch: float) -> int:
        """Make now `epoch` (Unix seconds); it goes on running with its source from there."""
        with self._lock:
            self._offset = float(epoch) - _seconds(self._source())
        return self.now()


def _seconds(value: "float | dt.datetime") -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("the emulator's clock source answered a naive datetime; give it an aware one")
        return value.timestamp()
    return float(value)

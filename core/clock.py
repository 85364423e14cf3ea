"""The one clock. Everything that needs "now" receives a Clock; tests pass a FixedClock."""
from __future__ import annotations

import datetime as dt
from typing import Protocol

UTC = dt.timezone.utc


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""

    # True for a clock that is not the real time (the demo's, a test's): the desk shows its time.
    simulated: bool


class SystemClock:
    # The desk shows the time when it is not the real one (a demo, a test): see `simulated`.
    simulated = False

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move."""

    simulated = True

    def __init__(self, at: dt.datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._at = self._at + dt.timedelta(**delta)


class RunningClock:
    """A clock that starts at a given instant and runs on at the real pace — the demo's: the seed
    guide's examples (renew to 2025-09-30) stay in the future, and payment windows still pass."""

    simulated = True

    def __init__(self, start: dt.datetime, real: Clock | None = None):
        if start.tzinfo is None:
            raise ValueError("RunningClock needs a timezone-aware datetime")
        self._real = real or SystemClock()
        self._offset = start.astimezone(UTC) - self._real.now()

    def now(self) -> dt.datetime:
        return self._real.now() + self._offset

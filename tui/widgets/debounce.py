"""Debounced search: a filter runs once the operator pauses typing, not on every keystroke."""
from __future__ import annotations

from typing import Callable

from textual.timer import Timer
from textual.widget import Widget

SEARCH_DELAY = 0.15  # seconds; below what feels like lag, above the gap between keystrokes


class Debouncer:
    def __init__(self, owner: Widget, callback: Callable[[], None], delay: float = SEARCH_DELAY) -> None:
        self._owner = owner
        self._callback = callback
        self._delay = delay
        self._timer: Timer | None = None

    def __call__(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._owner.set_timer(self._delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._callback()

    def flush(self) -> None:
        """Run now if a run is pending (tests, and Enter in the search box)."""
        if self._timer is not None:
            self._timer.stop()
            self._fire()

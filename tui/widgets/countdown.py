""""Please complete the payment in 14:57": the order's payment window, counting down live.

It reads time through the core's clock (a fixed clock in tests shows a fixed value) and tells
its screen once when the window has closed, so the screen can refresh the order."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from textual.message import Message
from textual.widgets import Static


def remaining_text(deadline: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((deadline - now).total_seconds()))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class Countdown(Static):
    class Expired(Message):
        """The payment window has closed."""

    def __init__(self, deadline: dt.datetime, now: Callable[[], dt.datetime], *,
                 prefix: str = "Please complete the payment in ", id: str | None = None):
        super().__init__(id=id)
        self._deadline, self._now, self._prefix = deadline, now, prefix
        self._expired = False

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        now = self._now()
        self.update(self._prefix + remaining_text(self._deadline, now))
        if now >= self._deadline and not self._expired:
            self._expired = True
            self.post_message(self.Expired())

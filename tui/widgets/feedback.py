"""How panes and screens report the core's refusals: one message type, one handler (the app's).

Thread workers never touch widgets; they post `CoreFailed` (post_message is thread-safe) and the
app shows the operator the core's own message, which names the field or the rule."""
from __future__ import annotations

from textual.message import Message


class CoreFailed(Message):
    """A core call was refused (a SmartpayError); `error.message` is written for the operator."""

    def __init__(self, error: Exception, title: str = "") -> None:
        super().__init__()
        self.error = error
        self.title = title


def error_title(error: Exception) -> str:
    """A short title for a refusal, from the error's class (PermissionDenied → "Permission denied")."""
    name = type(error).__name__
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:]

"""Input checks shared by services: each failure names the field and the problem (M6).

A form's fields are checked together through `Form`: every bad field is collected (label as on
screen → problem in words) and the form is refused once, with all of them (InvalidInput.problems),
before anything is written."""
from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Any, Callable, TypeVar

from .errors import InvalidInput
from .terminal_text import escape_char, first_unsafe

E = TypeVar("E", bound=Enum)
_LOGIN = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Form:
    """Collects the problems of one form so that all of them are reported at once.

        form = validate.Form()
        login = form.check(validate.login, values.login, "Login")
        name = form.check(validate.text, "Name", values.name)
        form.done()          # raises InvalidInput with every problem, or returns

    `check` returns the checked value, or None when it was refused (its problem is kept);
    `add` records a problem found another way (a login already taken); a field keeps its first
    problem. Call done() before writing anything."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def check(self, check: Callable[..., Any], *args, **kwargs) -> Any:
        try:
            return check(*args, **kwargs)
        except InvalidInput as exc:
            for field, problem in exc.problems.items():
                self.add(field, problem)
            return None

    def add(self, field: str, problem: str) -> None:
        self.problems.setdefault(field, problem)

    def bad(self, field: str) -> bool:
        return field in self.problems

    def done(self) -> None:
        if self.problems:
            raise InvalidInput.of(self.problems)


def quoted(value: str, limit: int = 40) -> str:
    """A typed value inside a message, in typographic quotes (never a Python repr), cut to fit."""
    value = str(value)
    return f"“{value if len(value) <= limit else value[:limit - 1] + '…'}”"


def terminal_safe(field: str, value: str) -> str:
    """R14: refuse control characters and bidirectional overrides (shown escaped in the message)."""
    bad = first_unsafe(value)
    if bad is not None:
        raise InvalidInput(field, f"must not contain control characters or text-direction overrides "
                                  f"(found {escape_char(bad)})")
    return value


def text(field: str, value: str | None, max_len: int = 128, required: bool = True) -> str:
    value = terminal_safe(field, (value or "").strip())
    if required and not value:
        raise InvalidInput(field, "is required")
    if len(value) > max_len:
        raise InvalidInput(field, f"is longer than {max_len} characters")
    return value


def login(value: str | None, field: str = "login") -> str:
    value = terminal_safe(field, (value or "").strip())
    if not value:
        raise InvalidInput(field, "is required (3–64 letters, digits or . _ @ -)")
    if not _LOGIN.match(value):
        raise InvalidInput(field, f"{quoted(value)} is not a login: use 3–64 letters, digits or . _ @ -")
    return value


def email(value: str | None, field: str = "email") -> str | None:
    value = terminal_safe(field, (value or "").strip())
    if not value:
        return None
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput(field, f"{quoted(value)} is not an email address (like ann@example.com)")
    return value


def choice(field: str, value, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        options = ", ".join(e.value for e in enum)
        raise InvalidInput(field, f"{quoted(value)} is not one of: {options}") from None


def positive_int(field: str, value, maximum: int = 10**9) -> int:
    raw = "" if value is None else str(value).strip()
    if not raw:
        raise InvalidInput(field, "is required (a whole number)")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(field, f"{quoted(raw)} is not a whole number") from None
    if number <= 0:
        raise InvalidInput(field, "must be greater than 0")
    if number > maximum:
        raise InvalidInput(field, f"must be at most {maximum:,}")
    return number


def date(field: str, value) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(field, f"{quoted(value)} is not a date like 2025-09-30") from None


def instant(field: str, value, tz: dt.tzinfo, end_of_day: bool = False) -> dt.datetime:
    """A date or date-time; naive values are platform time. A bare date means the start of the
    day, or 23:59:59 when `end_of_day` (how expiries are written)."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        raw = str(value).strip()
        try:
            if len(raw) == 10:
                day = dt.date.fromisoformat(raw)
                parsed = dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time(0, 0))
            else:
                parsed = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(field, f"{quoted(value)} is not a date like 2025-06-01 or 2025-06-01T09:30") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(dt.timezone.utc)

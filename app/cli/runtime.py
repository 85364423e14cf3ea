"""What every command shares: opening the core, logging in, and turning the core's refusals
into one line on stderr with exit code 2.

Only click and the standard library are imported at module level: `smartpay --help` must start
about as fast as a bare interpreter, so the core is imported inside the functions that need it.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

import click

PASSWORD_ENV = "SMARTPAY_PASSWORD"
# Testing and demo aid: an ISO date-time that the CLI (only the CLI) uses as "now".
FAKE_NOW_ENV = "SMARTPAY_FAKE_NOW"


class Failure(click.ClickException):
    """A refusal shown as exactly one line, `error: <message>`; exit code 2 for bad input,
    permissions and not-found (the core's SmartpayError), 1 for an unreachable database."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(" ".join(str(message).split()))  # one line, whatever the message holds
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        from .output import say  # messages quote stored names: escaped like all output (R14)
        say(f"error: {self.format_message()}", err=True)


def translate(exc: BaseException) -> Failure | None:
    """The Failure for an exception the CLI reports without a traceback, else None."""
    from smartpay.core.errors import SmartpayError
    if isinstance(exc, SmartpayError):
        return Failure(str(exc))
    import peewee
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        return Failure(f"database: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                       exit_code=1)
    return None


class SmartpayGroup(click.Group):
    """The root group: every command runs inside its invoke, so this is the one place where
    core errors become `error: …` lines (never a traceback for a SmartpayError)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            failure = translate(exc)
            if failure is None:
                raise
            raise failure from None


@dataclass
class Runtime:
    """The global options and what commands open from them (stored as ctx.obj)."""

    db_url: str | None = None
    config: str | None = None
    # The password hasher the core is built with (None: argon2's recommended parameters). Code
    # that embeds the CLI — the test suite — hands in its own; no environment variable can.
    passwords: Any = None
    _settings: Any = None
    _core: Any = field(default=None, repr=False)

    def settings(self, db_url: str | None = None):
        if db_url is not None:  # a command's own --db (demo) wins over the global one
            from smartpay.core.config import load_settings
            return load_settings(self.config, db_url=db_url)
        if self._settings is None:
            from smartpay.core.config import load_settings
            self._settings = load_settings(self.config, db_url=self.db_url)
        return self._settings


def runtime() -> Runtime:
    return click.get_current_context().find_root().ensure_object(Runtime)


def make_clock(settings):
    from smartpay.core.clock import FixedClock, SystemClock
    raw = os.environ.get(FAKE_NOW_ENV, "").strip()
    if not raw:
        return SystemClock()
    import datetime as dt
    from smartpay.core.errors import ConfigError
    try:
        at = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{FAKE_NOW_ENV}: '{raw}' is not an ISO date-time like 2025-09-10T14:00:00+08:00") from None
    if at.tzinfo is None:  # like every time operators type: platform time
        at = at.replace(tzinfo=settings.platform_time.tz)
    return FixedClock(at)


def open_core(schema: str = "check", db_url: str | None = None):
    """The core on the chosen database, closed when the command ends.

    schema="check": a brand-new default SQLite file is upgraded on the spot (nothing to lose);
    any other out-of-date schema is the core's ConfigError, which tells the operator to run
    `smartpay db upgrade`. "upgrade": apply pending migrations. "none": the caller decides."""
    rt = runtime()
    if rt._core is not None and db_url is None and schema == "check":
        return rt._core
    from smartpay.core.config import default_db_url
    from smartpay.core.context import Smartpay
    from smartpay.core.db import migrations
    settings = rt.settings(db_url)
    core = Smartpay(settings, make_clock(settings), passwords=rt.passwords)
    click.get_current_context().find_root().call_on_close(core.close)
    if schema == "upgrade":
        core.upgrade()
    elif schema == "none":
        pass
    elif settings.db_url == default_db_url() and migrations.current_version(core.db) == 0:
        core.upgrade()
    else:
        core.check_schema()
    if db_url is None:
        rt._core = core
    return core


def read_secret_line(prompt: str) -> str:
    """One line from stdin (scripts pipe the password in); a hidden, confirmed prompt when a
    person is typing at a terminal."""
    stdin = sys.stdin
    if stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True)
    return stdin.readline().rstrip("\r\n")


def login(core, as_login: str):
    """The Actor for `--as LOGIN`: password from SMARTPAY_PASSWORD or a hidden prompt. The
    password is passed to the core and never echoed or logged."""
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt(f"Password for {as_login}", hide_input=True, err=True)
    return core.auth.login(as_login, password)


def session(as_login: str):
    """Open the core and log in: what every operator command starts with."""
    core = open_core()
    return core, login(core, as_login)


def as_option(f):
    return click.option("--as", "as_login", required=True, metavar="LOGIN",
                        help=f"Operator login; password from ${PASSWORD_ENV} or a hidden prompt.")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)

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

    def __init__(self, message: str, exit_code: int = 2, lines: list[str] | None = None):
        super().__init__(" ".join(str(message).split()))  # one line, whatever the message holds
        self.exit_code = exit_code
        # A form refused with several bad fields: one `error:` line per field (InvalidInput.lines).
        self.lines = [" ".join(str(line).split()) for line in lines] if lines else [self.format_message()]

    def show(self, file=None) -> None:
        from .output import say  # messages quote stored names: escaped like all output (R14)
        for line in self.lines:
            say(f"error: {line}", err=True)


def translate(exc: BaseException) -> Failure | None:
    """The Failure for an exception the CLI reports without a traceback, else None."""
    from smartpay.core.errors import InvalidInput, SmartpayError
    if isinstance(exc, InvalidInput):
        return Failure(str(exc), lines=exc.lines)
    if isinstance(exc, SmartpayError):
        return Failure(str(exc))
    import peewee
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        return Failure(f"database: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                       exit_code=1)
    return None


class SmartpayGroup(click.Group):
    """The root group: every command runs inside its invoke, so this is the one place where
    core errors become `error: …` lines (never a traceback for a SmartpayError), and where
    click's usage errors (four lines: Usage / Try / blank / Error) become one line too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise one_line_usage(exc) from None

    # Plugins' own commands (the register_commands hook): loaded only when a command name is
    # not the desk's own, so `smartpay --help` and every built-in command stay as fast as before
    # (loading the plugins imports the payment SDKs: ~0.6 s). name → plugin that registered it.
    plugin_commands: dict[str, str] | None = None

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None and self.plugin_commands is None:
            self.load_plugin_commands()
            command = super().get_command(ctx, name)
        return command

    def load_plugin_commands(self) -> dict[str, str]:
        """Add every plugin's commands (once); a name the desk or an earlier plugin already uses
        is refused and logged. Returns name → plugin."""
        if self.plugin_commands is not None:
            return self.plugin_commands
        import logging
        from smartpay.core.plugin_host import PluginHost
        log_to_file()  # resolving a command name comes before the root callback sets the log up
        self.plugin_commands = {}
        for plugin, group in PluginHost().collect_commands(click.Group):
            for name, command in group.commands.items():
                if name in self.commands:
                    logging.getLogger("smartpay.plugins").warning(
                        "plugin %s: command %r refused: the name is taken", plugin, name)
                    continue
                self.add_command(command, name)
                self.plugin_commands[name] = plugin
        return self.plugin_commands

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise one_line_usage(exc) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            failure = translate(exc)
            plugin = (self.plugin_commands or {}).get(ctx.invoked_subcommand or "")
            if failure is None and plugin is not None:  # M8: a plugin's command fails alone
                from smartpay.core.plugin_host.contained import plugin_error, report
                report(plugin, f"command {ctx.invoked_subcommand}", exc)
                failure = Failure(f"{plugin_error(plugin)}: the command failed ({type(exc).__name__}); "
                                  f"details are in the log", exit_code=1)
            if failure is None:
                raise
            raise failure from None


class UsageFailure(click.UsageError):
    """A usage error shown as `error: <option>: <problem>`: one line, exit code 2."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def one_line_usage(exc: click.UsageError) -> click.UsageError:
    """`exc` as one line naming the option and the problem, and where the help is. A group
    called without its subcommand keeps click's help text (that is help, not an error)."""
    if isinstance(exc, (UsageFailure, click.exceptions.NoArgsIsHelpError)):
        return exc
    if isinstance(exc, click.MissingParameter):
        text = f"{_name(exc.param, exc.param_hint)}: required"
    elif isinstance(exc, click.BadParameter):
        text = f"{_name(exc.param, exc.param_hint)}: {exc.message}"
    elif isinstance(exc, click.NoSuchOption):
        hint = f" (did you mean {', '.join(exc.possibilities)}?)" if exc.possibilities else ""
        text = f"{exc.option_name}: no such option{hint}"
    elif isinstance(exc, click.BadOptionUsage):
        text = f"{exc.option_name}: {exc.message}"
    elif exc.message.startswith("Got unexpected extra argument"):
        extra = exc.message[exc.message.find("(") + 1:exc.message.rfind(")")]
        text = f"{extra}: unexpected extra argument"
    elif exc.message.startswith("No such command"):
        text = f"command: n{exc.message[1:]}"
    else:
        text = exc.message
    text = text.rstrip().rstrip(".")  # click ends its messages with a full stop; the hint follows
    if exc.ctx is not None:
        text += f" (see: {exc.ctx.command_path} --help)"
    return UsageFailure(" ".join(text.split()), exc.ctx)


def _name(param, hint) -> str:
    """How the user wrote the field: its longest flag (`--renew-to`), or an argument's name."""
    if param is not None and getattr(param, "opts", None) and isinstance(param, click.Option):
        return max(param.opts, key=len)
    if param is not None and param.name:
        return param.name.upper()
    return str(hint or "input").strip("'\"")


# -- the global options --------------------------------------------------------------------------
# `--db`, `--config` and `--as` are declared once, here, and accepted before or after the
# command (`smartpay --as aktest quote renew …` and `smartpay quote renew --as aktest …`). Both
# places write into the one Runtime; the same value twice is fine, two different values are a
# usage error naming the option.
GLOBAL_OPTIONS: dict[str, tuple[tuple[str, ...], dict]] = {
    "db_url": (("--db", "db_url"), dict(
        metavar="URL", help="Database URL: sqlite:///path or postgresql://user@host/db (default: $SMARTPAY_DB, "
                            "then db_url in the config file, then SQLite in the user data dir; `smartpay demo`: "
                            "demo.db there).")),
    "config": (("--config", "config"), dict(
        type=click.Path(dir_okay=False), metavar="PATH",
        help="Configuration file (default: $SMARTPAY_CONFIG, then config.toml in the user config dir).")),
    "as_login": (("--as", "as_login"), dict(
        metavar="LOGIN",
        help=f"Operator login (3-64 letters, digits or . _ @ -), before or after the command. The password "
             f"comes from ${PASSWORD_ENV}, else a hidden prompt. 5 wrong passwords in a row lock the account "
             f"for 15 minutes (config: max_failed_logins, lockout_minutes). Without a command: pre-fill the "
             f"desk's login.")),
}


class GlobalOption(click.Option):
    """One of GLOBAL_OPTIONS wherever it is attached: the value is kept in the Runtime (and
    checked against one given in the other place); the command receives it from either place."""

    def __init__(self, *args, login_required: bool = False, **kwargs):
        kwargs.setdefault("expose_value", False)
        super().__init__(*args, callback=_remember, **kwargs)
        self.login_required = login_required


def _remember(ctx: click.Context, param: GlobalOption, value):
    rt = ctx.find_root().ensure_object(Runtime)
    before = getattr(rt, param.name)
    if value is not None:
        if before is not None and before != value:
            raise click.BadParameter(f"given twice with different values ('{before}' and '{value}'); give it once",
                                     ctx=ctx, param=param)
        setattr(rt, param.name, value)
        before = value
    if before is None and param.login_required:
        raise click.MissingParameter(ctx=ctx, param=param)
    return before


def global_option(key: str, *, expose: bool = False, login_required: bool = False):
    """A decorator attaching one of GLOBAL_OPTIONS to a command."""
    flags, settings = GLOBAL_OPTIONS[key]
    return click.option(*flags, cls=GlobalOption, expose_value=expose, login_required=login_required, **settings)


def attach_global_options(group: click.Group, keys=("db_url", "config")) -> None:
    """Give every command below `group` the global options it does not declare itself, so they
    may follow the command as well as precede it."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            attach_global_options(command, keys)
            continue
        have = {p.name for p in command.params}
        for key in keys:
            if key not in have:
                flags, settings = GLOBAL_OPTIONS[key]
                command.params.append(GlobalOption(list(flags), **settings))


@dataclass
class Runtime:
    """The global options and what commands open from them (stored as ctx.obj)."""

    db_url: str | None = None
    config: str | None = None
    as_login: str | None = None
    # The password hasher the core is built with (None: argon2's recommended parameters). Code
    # that embeds the CLI — the test suite — hands in its own; no environment variable can.
    passwords: Any = None
    _settings: Any = None
    _core: Any = field(default=None, repr=False)

    def settings(self, db_url: str | None = None):
        if db_url is not None:  # a command's own database (demo) wins over the global one
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
    """`--as LOGIN` for an operator command: required, before or after the command."""
    return global_option("as_login", expose=True, login_required=True)(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True,
                        help="Print JSON instead of a table: money as integer minor units with its currency "
                             "({\"amount\": 4944, \"currency\": \"USD\"} is 49.44 USD), credits as whole "
                             "numbers, times in UTC (ISO 8601, +00:00), dates as platform-time calendar days.")(f)


LOG_ENV = "SMARTPAY_LOG"
LOG_LEVEL_ENV = "SMARTPAY_LOG_LEVEL"


def log_to_file() -> None:
    """Send the plugin host's log (`smartpay.plugins`) to a file — $SMARTPAY_LOG, else
    smartpay.log in the user log dir — never to the terminal: a plugin's traceback (M8) must
    not land on an operator's screen or in a desk drawn over SSH. $SMARTPAY_LOG_LEVEL (e.g. DEBUG) asks for more, such as the
    plugins deliberately disabled. Once per process; a log that cannot be opened is dropped."""
    import logging
    logger = logging.getLogger("smartpay.plugins")
    if any(getattr(h, "smartpay_log", False) for h in logger.handlers):
        return
    path = os.environ.get(LOG_ENV, "").strip()
    if not path:
        import platformdirs
        path = os.path.join(platformdirs.user_log_dir("smartpay", appauthor=False), "smartpay.log")
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError:
        handler = logging.NullHandler()
    handler.smartpay_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    level = os.environ.get(LOG_LEVEL_ENV, "").strip().upper()
    if level in ("DEBUG", "INFO", "WARNING", "ERROR"):
        logger.setLevel(level)

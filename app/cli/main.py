"""`smartpay`: the command line of the billing desk.

    smartpay [--db URL] [--config PATH] [--as LOGIN] COMMAND … [--db URL] [--config PATH] [--as LOGIN]

Database: `--db URL`, else $SMARTPAY_DB, else the config file's `db_url`, else SQLite in the
user data dir. Operator commands take `--as LOGIN`; the password comes from $SMARTPAY_PASSWORD
or a hidden prompt and is never printed. The three global options go before or after the
command (runtime.GLOBAL_OPTIONS). Bad input, usage errors, refused permissions and unknown
records print one line, `error: <field>: <problem>`, and exit with code 2; nothing is written.

Testing and demo aid: $SMARTPAY_FAKE_NOW (an ISO date-time, platform time when it has no
offset) makes the CLI — and only the CLI — run with a clock fixed at that instant, so scripted
runs and tests see the same "today". Never set it on a real desk.

Start-up stays fast (`smartpay --help` is benchmarked against `python -c pass`): this module and
the command modules import only click and the standard library; each command imports the core
when it runs.
"""
from __future__ import annotations

import click

from . import accounting, admin, operator, ops, orders, scaffold, ssh, system
from .runtime import Runtime, SmartpayGroup, attach_global_options, global_option, log_to_file

# Shown under `smartpay --help`. The numbers are the core's (core/config.py, core/validate.py,
# core/services/auth.py); tests/test_cli_help_facts.py fails when they drift apart.
ENVIRONMENT_HELP = """\b
Environment:
  SMARTPAY_DB         database URL (what --db gives)
  SMARTPAY_CONFIG     configuration file (what --config gives)
  SMARTPAY_PASSWORD   the --as login's password (else a hidden prompt)
  SMARTPAY_FAKE_NOW   testing and demos only, never on a real desk: an ISO
                      date-time (platform time without an offset, e.g.
                      2025-09-10T14:00:00) the command line uses as "now"

\b
Logins and names:
  A login is 3-64 letters, digits or . _ @ -; names and other text fields
  at most 128 characters; passwords at least 8 characters. 5 wrong
  passwords in a row lock an account for 15 minutes (config:
  max_failed_logins, lockout_minutes).

\b
Output:
  Bad input prints one line, "error: <field>: <problem>", exit status 2;
  nothing is written. --json prints money as integer minor units with its
  currency ({"amount": 4944, "currency": "USD"} is 49.44 USD), credits as
  whole numbers, times in UTC (ISO 8601, +00:00); tables show platform time.
"""


@click.group(cls=SmartpayGroup, invoke_without_command=True, epilog=ENVIRONMENT_HELP,
             context_settings={"help_option_names": ["-h", "--help"]})
@global_option("db_url")
@global_option("config")
@global_option("as_login")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """smartpay — the subscription-and-payment desk of a SmartPlus-style intercom cloud.

    Without a command, opens the full-screen desk (log in there). --db, --config and --as may
    be given before or after the command."""
    rt = ctx.ensure_object(Runtime)
    log_to_file()  # plugin tracebacks go to the log, never to the terminal (M8)
    if ctx.invoked_subcommand is None:
        from smartpay.tui.app import SmartpayApp  # the app (Textual) loads only when it opens
        from .runtime import open_core

        def open_desk_core():  # runs in the app's worker thread while the login screen shows
            with ctx.scope(cleanup=False):
                return open_core()
        from smartpay.app.hangup import run_desk
        run_desk(SmartpayApp(open_desk_core, login=rt.as_login))  # ends with its terminal (M9)


for command in (admin.db_group, admin.admin_group, operator.grant_group, operator.billing_group,
                orders.quote_group, orders.order_group, orders.orders, orders.methods,
                accounting.credits_group, accounting.coupons, operator.users, operator.projects,
                operator.items, system.plugins, scaffold.plugin_group, system.demo, ops.reconcile, ops.renew_group,
                ops.notifications, ops.webhooks_group, ssh.ssh_group, ssh.keys_group):
    cli.add_command(command)
attach_global_options(cli)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="smartpay")


if __name__ == "__main__":
    main()

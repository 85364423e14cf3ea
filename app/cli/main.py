"""`smartpay`: the command line of the billing desk.

    smartpay [--db URL] [--config PATH] COMMAND …

Database: `--db URL`, else $SMARTPAY_DB, else the config file's `db_url`, else SQLite in the
user data dir. Operator commands take `--as LOGIN`; the password comes from $SMARTPAY_PASSWORD
or a hidden prompt and is never printed. Bad input, refused permissions and unknown records
print one line, `error: <field>: <problem>`, and exit with code 2; nothing is written.

Testing and demo aid: $SMARTPAY_FAKE_NOW (an ISO date-time, platform time when it has no
offset) makes the CLI — and only the CLI — run with a clock fixed at that instant, so scripted
runs and tests see the same "today". Never set it on a real desk.

Start-up stays fast (`smartpay --help` is benchmarked against `python -c pass`): this module and
the command modules import only click and the standard library; each command imports the core
when it runs.
"""
from __future__ import annotations

import click

from . import accounting, admin, operator, ops, orders, system
from .runtime import Runtime, SmartpayGroup


@click.group(cls=SmartpayGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL", help="Database URL: sqlite:///path or postgresql://… "
                                                   "(default: $SMARTPAY_DB, then SQLite in the user data dir).")
@click.option("--config", type=click.Path(dir_okay=False), metavar="PATH",
              help="Configuration file (default: $SMARTPAY_CONFIG, then the user config dir).")
@click.option("--as", "as_login", metavar="LOGIN", help="Without a command: pre-fill the app's login.")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config: str | None, as_login: str | None) -> None:
    """smartpay — the subscription-and-payment desk of a SmartPlus-style intercom cloud.

    Without a command, opens the full-screen desk (log in there)."""
    ctx.obj = Runtime(db_url=db_url, config=config, passwords=getattr(ctx.obj, "passwords", None))
    if ctx.invoked_subcommand is None:
        from smartpay.tui.app import SmartpayApp  # the app (Textual) loads only when it opens
        from .runtime import open_core

        def open_desk_core():  # runs in the app's worker thread while the login screen shows
            with ctx.scope(cleanup=False):
                return open_core()
        SmartpayApp(open_desk_core, login=as_login).run()


for command in (admin.db_group, admin.admin_group, operator.grant_group, operator.billing_group,
                orders.quote_group, orders.order_group, orders.orders, orders.methods,
                accounting.credits_group, accounting.coupons, operator.users, operator.projects,
                operator.items, system.plugins, system.demo, ops.reconcile, ops.renew_group,
                ops.notifications, ops.webhooks_group):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="smartpay")


if __name__ == "__main__":
    main()

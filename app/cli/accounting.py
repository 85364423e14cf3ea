"""Prepaid credits (R11: balance, the ledger, assigning down the downline) and coupons (R4)."""
from __future__ import annotations

import click

from .output import emit_json, say, table
from .runtime import as_option, json_option, session


@click.group("credits")
def credits_group():
    """Your credit balance and ledger; assign credits down your downline."""


@credits_group.command("balance")
@as_option
@json_option
def credits_balance(as_login, as_json):
    """Your available credits."""
    core, actor = session(as_login)
    balance = core.credits.my_balance(actor)
    if as_json:
        emit_json({"login": actor.login, "credits": balance})
    else:
        say(f"Available Credit: {balance}")


@credits_group.command("log")
@as_option
@click.option("--type", "kind", metavar="T", help="purchase, assign_out, assign_in, consume or refund.")
@click.option("--limit", type=int, metavar="N")
@json_option
def credits_log(as_login, kind, limit, as_json):
    """Your credit ledger, newest first."""
    core, actor = session(as_login)
    entries = core.credits.log(actor, kind=kind, limit=limit)
    if as_json:
        emit_json(entries)
        return
    table(["Time", "Type", "Amount", "Balance", "By", "Counterparty", "Order", "Reference"],
          [(core.ptime.format(e.at), e.kind, f"{e.amount:+d}", e.balance_after, e.actor_login,
            e.counterparty_login, e.order_txn, e.reference) for e in entries])


@credits_group.command("assign")
@as_option
@click.option("--to", "to", required=True, metavar="L", help="A user in your downline.")
@click.option("--amount", required=True, metavar="N")
def credits_assign(as_login, to, amount):
    """Assign credits to a user in your downline."""
    core, actor = session(as_login)
    after = core.credits.assign(actor, to, amount)
    say(f"assigned {amount} credits to {to}; your balance: {after}")


@click.command("coupons")
@as_option
@click.option("--usable", is_flag=True, help="Only coupons with something left and not expired.")
@json_option
def coupons(as_login, usable, as_json):
    """Your coupons with what is left on each."""
    core, actor = session(as_login)
    rows = core.coupons.mine(actor, usable_only=usable)
    if as_json:
        emit_json(rows)
        return
    now = core.clock.now()
    table(["Code", "Value", "Remaining", "Expires", "Usable"],
          [(c.code, c.face_value.format(), c.remaining.format(), core.ptime.format(c.expires_at), c.usable_at(now))
           for c in rows])

"""Operations commands for whoever runs the desk (no login: they hold the database), meant for
cron / systemd timers and safe on several machines at once (docs/operations.md):

    smartpay reconcile [--json]                settle unknown/processing payments, time out orders
    smartpay renew run [--dry-run] [--json]    charge the auto-renew plans that are due (R7)
    smartpay renew plans [--state S] [--json]  list plans (stopped ones need an operator)
    smartpay renew stop PLAN --reason TEXT     turn a plan off
    smartpay notifications [--kind K] [--json] what accounts were told
    smartpay webhooks serve --port N           the webhook endpoint, for development
"""
from __future__ import annotations

import signal
import sys
import threading

import click

from .output import emit_json, say, table
from .runtime import json_option, open_core


@click.command("reconcile")
@json_option
def reconcile(as_json):
    """Ask providers how in-flight payments ended, time out overdue orders, retry open refunds."""
    core = open_core()
    summary = core.reconciler.run()
    if as_json:
        emit_json(summary)
    else:
        say(summary.line())
        for message in summary.error_messages:
            say(f"  provider error: {message}", err=True)


@click.group("renew")
def renew_group():
    """Auto-renew (R7): run the due plans, list them, stop one."""


@renew_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be charged; write nothing, charge nothing.")
@json_option
def renew_run(dry_run, as_json):
    """Charge every auto-renew plan that is due (its items expire within renew_lead_hours, or a retry is due)."""
    core = open_core()
    if dry_run or as_json or not sys.stdout.isatty():
        summary = core.renew_runner.run(dry_run=dry_run)
    else:
        due = len(core.renewals.due_plan_ids())
        with click.progressbar(length=due, label="Renewing") as bar:
            summary = core.renew_runner.run(progress=bar.update)
    if as_json:
        emit_json(summary)
        return
    if dry_run:
        table(["Plan", "Payer", "Method", "Cycle", "Retry", "Items", "Upcoming expiry", "Amount", "Note"],
              [(d.plan_id, d.payer_login, d.method, d.cycle, d.retry, d.items, core.ptime.format(d.upcoming_expiry),
                d.amount.format() if d.amount else None, d.reason) for d in summary.would_charge],
              empty="(nothing is due)")
    say(summary.line())
    for message in summary.error_messages:
        say(f"  error: {message}", err=True)


@renew_group.command("plans")
@click.option("--state", help="active, stopped or ended.")
@json_option
def renew_plans(state, as_json):
    """Auto-renew plans, newest first."""
    core = open_core()
    plans = core.renewals.plans(state=state)
    if as_json:
        emit_json(plans)
        return
    table(["Plan", "Payer", "Method", "Source order", "Items", "Cycles", "Until", "State", "Failures",
           "Next retry", "Upcoming expiry", "Reason"],
          [(p.id, p.payer_login, p.method, p.source_txn, len(p.item_ids),
            f"{p.cycles_done}/{p.cycles_limit}" if p.cycles_limit else p.cycles_done, p.until, p.state, p.failures,
            core.ptime.format(p.next_retry_at) if p.next_retry_at else None, core.ptime.format(p.upcoming_expiry),
            p.stopped_reason) for p in plans], empty="(no plans)")


@renew_group.command("stop")
@click.argument("plan_id", type=int)
@click.option("--reason", required=True, help="Why; the payer is told.")
def renew_stop(plan_id, reason):
    """Turn an auto-renew plan off (the payer gets a notification)."""
    core = open_core()
    plan = core.renewals.stop(plan_id, reason)
    say(f"plan {plan.id}: {plan.state} ({plan.stopped_reason})")


@click.command("notifications")
@click.option("--kind", help="renewal_declined, renewal_stopped, renewal_not_set_up, payment_refunded, refund_failed.")
@click.option("--limit", type=int, default=100, show_default=True)
@json_option
def notifications(kind, limit, as_json):
    """What accounts were told (declined renewals, stopped plans, refunds), newest first."""
    core = open_core()
    rows = core.notifications.recent(limit=limit, kind=kind)
    if as_json:
        emit_json(rows)
        return
    table(["At", "Account", "Kind", "Order", "Plan", "Message"],
          [(core.ptime.format(n.created_at), n.account_login, n.kind, n.order_txn, n.plan_id, n.message)
           for n in rows], empty="(no notifications)")


@click.group("webhooks")
def webhooks_group():
    """Provider notifications (Stripe, PayPal, …): POST /webhooks/<method key>."""


@webhooks_group.command("serve")
@click.option("--port", type=int, required=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
def webhooks_serve(port, host):
    """Serve the webhook endpoint with wsgiref — for development only; in production run
    smartpay.app.webhook_server:create_app() under gunicorn or waitress (docs/operations.md)."""
    from wsgiref.simple_server import make_server

    from smartpay.app.webhook_server import make_app
    core = open_core()
    server = make_server(host, port, make_app(core))
    say(f"Serving webhooks on http://{host}:{server.server_port}/webhooks/<method key> "
               f"(development server; use gunicorn or waitress in production). Ctrl+C stops.")
    # Ctrl+C (or SIGTERM) stops the loop after the request in hand: wsgiref's handler swallows a
    # KeyboardInterrupt raised while it answers, which would leave the server running.
    stopping = lambda signum, frame: threading.Thread(target=server.shutdown, daemon=True).start()  # noqa: E731
    previous = {sig: signal.signal(sig, stopping) for sig in (signal.SIGINT, signal.SIGTERM)} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()

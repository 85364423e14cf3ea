"""The operations commands through click's CliRunner on the test database: `smartpay reconcile`,
`smartpay renew run/plans/stop`, `smartpay notifications`, `smartpay webhooks serve --help`."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from smartpay.app.cli.main import cli
from smartpay.core.db.models import AuditLog, Order, RenewalCycle

from support import GMT8, card_desk, community_order

RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)


@pytest.fixture
def desk(db_url, clock):
    core = card_desk(db_url, clock)
    yield core
    core.close()


@pytest.fixture
def run(db_url):
    def invoke(*args, now=RENEW_AT):
        env = {"SMARTPAY_FAKE_NOW": now.isoformat(), "SMARTPAY_DB": None, "SMARTPAY_CONFIG": None}
        result = CliRunner().invoke(cli, ["--db", db_url, *map(str, args)], env=env, catch_exceptions=False)
        return result
    return invoke


def ok(result):
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def plan_due(desk, clock):
    """A plan set up on 2025-08-31 for an item that expires 2025-09-30 (due on RENEW_AT)."""
    ak = desk.auth.actor("aktest")
    clock.set(dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8))
    item = desk.accounts.add_item(desk.world.community.id, "app", "Auto 1", expires="2025-08-31")
    from smartpay.core.services.quotes import Selection
    order = desk.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                        project_ids=(desk.world.community.id,), item_ids=(item.id,)),
                               accept_terms=True, renew_mode="auto", auto_cycles=3)
    desk.payments.pay(ak, order.txn, "fakecard")
    return item


def test_cli_reconcile_json_and_line(desk, run):
    order = community_order(desk, ("apt101",))  # placed at 2025-09-10 14:00; long overdue by RENEW_AT
    data = json.loads(ok(run("reconcile", "--json")).stdout)
    assert data["timed_out"] == 1 and data["errors"] == 0 and data["checked"] == 0
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    line = ok(run("reconcile")).stdout.strip()
    assert line.startswith("reconcile: 0 checked, 0 paid") and line.endswith("0 errors")


def test_cli_renew_run_dry_run_json_writes_nothing(desk, clock, run):
    plan_due(desk, clock)
    before = (Order.select().count(), AuditLog.select().count())
    data = json.loads(ok(run("renew", "run", "--dry-run", "--json")).stdout)
    assert data["dry_run"] is True and data["due"] == 1 and data["paid"] == 0
    [due] = data["would_charge"]
    assert due["payer_login"] == "aktest" and due["cycle"] == 2 and due["amount"]["amount"] > 0
    assert due["upcoming_expiry"].startswith("2025-09-30T15:59:59")  # 23:59:59 GMT+8, stored as UTC
    assert (Order.select().count(), AuditLog.select().count()) == before
    text = ok(run("renew", "run", "--dry-run")).stdout
    assert "aktest" in text and "renew run (dry run): 1 due" in text


def test_cli_renew_run_summary_line_and_plans(desk, clock, run):
    plan_due(desk, clock)
    # The CLI's own core has no fakecard plugin: the plan cannot be charged and stops, saying why.
    result = ok(run("renew", "run"))
    assert "renew run: 1 due, 0 paid" in result.stdout and "1 stopped" in result.stdout
    assert RenewalCycle.select().count() == 0
    plans = json.loads(ok(run("renew", "plans", "--state", "stopped", "--json")).stdout)
    assert len(plans) == 1 and "no longer installed" in plans[0]["stopped_reason"]
    notes = json.loads(ok(run("notifications", "--json")).stdout)
    assert notes[0]["kind"] == "renewal_stopped" and notes[0]["account_login"] == "aktest"


def test_cli_renew_stop(desk, clock, run):
    plan_due(desk, clock)
    plan_id = desk.renewals.plans()[0].id
    out = ok(run("renew", "stop", plan_id, "--reason", "payer asked")).stdout
    assert out.strip() == f"plan {plan_id}: stopped (payer asked)"
    bad = run("renew", "stop", 999, "--reason", "x")
    assert bad.exit_code == 2 and "no auto-renew plan 999" in bad.stderr


def test_cli_webhooks_serve_help(run):
    out = ok(run("webhooks", "serve", "--help")).stdout
    assert "--port" in out and "--host" in out and "gunicorn" in out

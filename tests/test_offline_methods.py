"""Offline methods, first-class: a method that declares `settled_by_operator` waits its own
payment window (days), shows its instructions to the payer, and is settled by a platform
operator's `smartpay order confirm` / `order reject` (audited, idempotent); reconcile times it
out at its own window. The core keeps the state (attempt row, deadline, audit); the plugin none."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import offline_plugin
from smartpay.app.cli.main import cli
from smartpay.core.db.models import AuditLog, Order, PaymentAttempt
from smartpay.core.errors import InvalidInput, OrderStateError

from support import NOW, PASSWORD, billing, build_world, community_order, open_core


@pytest.fixture
def desk(db_url, clock):
    core = open_core(db_url, clock, extra=[("cash_office_pay", offline_plugin)])
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core
    core.close()


def ops(db_url, *args, now=NOW):
    """A command through the CLI on the test database (its core loads plugins from entry points)."""
    env = {"SMARTPAY_FAKE_NOW": now.isoformat(), "SMARTPAY_DB": None, "SMARTPAY_CONFIG": None,
           "SMARTPAY_PASSWORD": PASSWORD}
    return CliRunner().invoke(cli, ["--db", db_url, *map(str, args)], env=env, catch_exceptions=False)


def test_offline_method_is_offered_only_where_it_says(desk):
    order = community_order(desk, ["apt101"])
    options = {o.key: o for o in desk.payments.options(desk.auth.actor("aktest"), order.txn)}
    assert options["cash_office"].eligible and options["cash_office"].settled_by_operator
    auto = community_order(desk, ["apt102"], mode="auto", auto_cycles=2)
    options = {o.key: o for o in desk.payments.options(desk.auth.actor("aktest"), auto.txn)}
    assert not options["cash_office"].eligible


def test_offline_payment_waits_its_own_window_with_instructions_and_confirm_settles_it_once(desk, clock):
    ak = desk.auth.actor("aktest")
    order = community_order(desk, ["apt101"])
    outcome = desk.payments.pay(ak, order.txn, "cash_office")
    assert outcome.order.state == "processing"
    assert outcome.instructions.startswith("Bring ") and order.txn in outcome.instructions
    row = Order.get(Order.txn == order.txn)
    assert row.deadline_at == NOW + dt.timedelta(days=7)          # its own window, not 15 minutes
    clock.advance(days=3)                                          # past the desk's 15 minutes
    summary = desk.reconciler.run()
    assert summary.still_pending == 1 and Order.get(Order.txn == order.txn).state == "processing"
    assert desk.payment_status.check(ak, order.txn).order.state == "processing"   # the payer's poll
    assert desk.payments.instructions(desk.orders.get(ak, order.txn)) == outcome.instructions
    paid = desk.offline_payments.confirm(order.txn, "BANK-REF-778")
    assert paid.state == "succeeded"
    assert desk.payments.instructions(paid) == ""                  # refreshed: nothing left to do
    again = desk.offline_payments.confirm(order.txn, "BANK-REF-778")   # idempotent
    assert again.state == "succeeded"
    assert AuditLog.select().where(AuditLog.action == "payment.confirmed").count() == 1
    with pytest.raises(OrderStateError, match="BANK-REF-778"):
        desk.offline_payments.confirm(order.txn, "OTHER")
    with pytest.raises(OrderStateError):
        desk.offline_payments.reject(order.txn, "never came")
    attempt = PaymentAttempt.get(PaymentAttempt.order == row.id)
    assert attempt.provider_ref == "BANK-REF-778" and attempt.state == "succeeded"


def test_reject_fails_the_order_with_the_reason_once(desk):
    ak = desk.auth.actor("aktest")
    order = community_order(desk, ["apt101"])
    desk.payments.pay(ak, order.txn, "cash_office")
    failed = desk.offline_payments.reject(order.txn, "payer said they will not come")
    assert failed.state == "failed" and failed.failure_reason == "payer said they will not come"
    assert desk.offline_payments.reject(order.txn, "again").state == "failed"
    assert AuditLog.select().where(AuditLog.action == "payment.rejected").count() == 1
    with pytest.raises(InvalidInput, match="reference"):
        desk.offline_payments.confirm(order.txn, "  ")


def test_reconcile_times_an_offline_payment_out_at_its_own_window(desk, clock):
    order = community_order(desk, ["apt101"])
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "cash_office")
    clock.advance(days=7, minutes=1)
    assert desk.reconciler.run().timed_out == 1
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    with pytest.raises(OrderStateError):
        desk.offline_payments.confirm(order.txn, "LATE")


def test_order_confirm_through_the_cli(desk, db_url, tmp_path, monkeypatch):
    # The CLI's core loads plugins from entry points: install the offline plugin as one.
    site = tmp_path / "site" / "smartpay_cash_office-0.1.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Metadata-Version: 2.1\nName: smartpay-cash-office\nVersion: 0.1\n")
    (site / "entry_points.txt").write_text("[smartpay]\ncash_office_pay = offline_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    ak = desk.auth.actor("aktest")
    order = community_order(desk, ["apt101"])
    desk.payments.pay(ak, order.txn, "cash_office")
    shown = ops(db_url, "order", "show", "--as", "aktest", order.txn)
    assert shown.exit_code == 0 and "How to pay" in shown.stdout and "Bring " in shown.stdout
    done = ops(db_url, "order", "confirm", order.txn, "--reference", "RCPT-1")
    assert done.exit_code == 0, done.output + done.stderr
    assert done.stdout.strip() == f"order {order.txn}: Successful (reference RCPT-1)"
    assert ops(db_url, "order", "confirm", order.txn, "--reference", "RCPT-1").exit_code == 0
    shown = ops(db_url, "order", "show", "--as", "aktest", order.txn, "--json")
    assert json.loads(shown.stdout)["state"] == "succeeded"
    assert "How to pay" not in ops(db_url, "order", "show", "--as", "aktest", order.txn).stdout

"""M8: a plugin that raises in any hook leaves the desk working. The broken plugin
(tests/broken_plugin.py) is installed as a real entry-point distribution, so the CLI's own core
loads it the way it loads any third-party plugin; $BROKEN_PAY_RAISES says which hooks raise."""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from click.testing import CliRunner

import broken_plugin
from smartpay.app.cli.main import cli
from smartpay.core.db.models import Order, PaymentAttempt
from smartpay.core.errors import PluginError
from smartpay.core.plugin_api import ChargeResult, ChargeStatus, Eligibility, Grant, PaymentMethod, WebhookRejected
from smartpay.core.plugin_host import ContainedMethod, PluginHost
from smartpay.core.services.quotes import Selection

from support import GMT8, NOW, PASSWORD, billing, build_world, community_order, open_core

SECRET = "sk_live_should_not_show"
LATER = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)


@pytest.fixture(autouse=True)
def broken_installed(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(broken_plugin.install(tmp_path / "site")))
    monkeypatch.delenv("SMARTPAY_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv(broken_plugin.ENV, "")


@pytest.fixture
def desk(db_url, clock):
    core = open_core(db_url, clock)
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core
    core.close()


@pytest.fixture
def run(db_url):
    def invoke(*args, now=NOW):
        env = {"SMARTPAY_FAKE_NOW": now.isoformat(), "SMARTPAY_DB": None, "SMARTPAY_CONFIG": None,
               "SMARTPAY_PASSWORD": PASSWORD}
        return CliRunner().invoke(cli, ["--db", db_url, *map(str, args)], env=env, catch_exceptions=False)
    return invoke


def calm(result):
    """Exit 0, no traceback and nothing of the exception's text on the terminal."""
    assert result.exit_code == 0, (result.output, result.stderr)
    assert "Traceback" not in result.output + result.stderr
    assert SECRET not in result.output + result.stderr
    return result


def breaking(monkeypatch, *hooks):
    monkeypatch.setenv(broken_plugin.ENV, ",".join(hooks))


def methods_of(run, txn):
    return {m["key"]: m for m in json.loads(calm(run("methods", "--as", "aktest", "--order", txn, "--json")).stdout)}


@pytest.mark.parametrize("hook", ["configured", "check_eligibility"])
def test_m8_methods_greys_only_the_broken_method_when_its_eligibility_raises(desk, run, monkeypatch, caplog, hook):
    order = community_order(desk, ["apt101"])
    breaking(monkeypatch, hook)
    with caplog.at_level(logging.ERROR, logger="smartpay.plugins"):
        methods = methods_of(run, order.txn)
    assert methods["broken"]["eligible"] is False
    assert methods["broken"]["reason"] == "plugin error (broken_pay)" and methods["broken"]["plugin"] == "broken_pay"
    assert methods["coupon"]["reason"] != "plugin error (broken_pay)"   # the others are judged as usual
    # The traceback is in the log (with the exception's text), never on the screen.
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
    text = calm(run("methods", "--as", "aktest", "--order", order.txn)).stdout
    assert "plugin error (broken_pay)" in text


def test_m8_a_raising_veto_forbids_each_method_with_the_plugins_name_and_the_desk_stays_up(desk, run, monkeypatch):
    order = community_order(desk, ["apt101"])
    breaking(monkeypatch, "veto")
    methods = methods_of(run, order.txn)
    # A policy that cannot answer is not bypassed: methods that would be offered are refused,
    # naming the broken policy plugin.
    assert methods["broken"]["eligible"] is False and methods["broken"]["reason"] == "plugin error (broken_pay)"
    refused = run("order", "pay", "--as", "aktest", order.txn, "--method", "broken")
    assert refused.exit_code == 2 and "plugin error (broken_pay)" in refused.stderr
    assert "Traceback" not in refused.output + refused.stderr


def test_m8_order_pay_with_a_raising_charge_is_an_unknown_outcome_for_reconcile(desk, run, monkeypatch):
    order = community_order(desk, ["apt101"])
    breaking(monkeypatch, "charge")
    paid = calm(run("order", "pay", "--as", "aktest", order.txn, "--method", "broken")).stdout
    assert "plugin error (broken_pay)" in paid and "checked again later" in paid
    attempt = PaymentAttempt.get(PaymentAttempt.order == Order.get(Order.txn == order.txn).id)
    assert attempt.state == "unknown" and SECRET not in (attempt.detail or "")
    # reconcile: status() raises too — counted as an error naming the plugin, the run goes on
    breaking(monkeypatch, "status")
    line = calm(run("reconcile")).stdout
    assert "1 errors" in line
    report = json.loads(calm(run("reconcile", "--json")).stdout)
    assert report["errors"] == 1 and "plugin error (broken_pay)" in report["error_messages"][0]
    assert Order.get(Order.txn == order.txn).state == "processing"
    # the plugin is fixed: the next run settles the order
    breaking(monkeypatch)
    assert json.loads(calm(run("reconcile", "--json")).stdout)["paid"] == 1
    assert Order.get(Order.txn == order.txn).state == "succeeded"


def test_m8_reconcile_with_a_raising_expire_leaves_the_overdue_order_for_the_next_run(desk, run, monkeypatch):
    order = community_order(desk, ["apt101"])
    calm(run("order", "pay", "--as", "aktest", order.txn, "--method", "broken"))     # PENDING
    breaking(monkeypatch, "expire")
    report = json.loads(calm(run("reconcile", "--json", now=LATER)).stdout)
    assert report["errors"] == 1 and Order.get(Order.txn == order.txn).state == "processing"
    breaking(monkeypatch)
    report = json.loads(calm(run("reconcile", "--json", now=LATER)).stdout)
    assert report["timed_out"] == 1 and Order.get(Order.txn == order.txn).state == "timed_out"


def test_m8_renew_run_with_a_raising_charge_saved_leaves_the_cycle_unknown(desk, clock, run, monkeypatch):
    ak = desk.auth.actor("aktest")
    clock.set(dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8))
    item = desk.accounts.add_item(desk.world.community.id, "app", "Auto 1", expires="2025-08-31")
    order = desk.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                        project_ids=(desk.world.community.id,), item_ids=(item.id,)),
                               accept_terms=True, renew_mode="auto", auto_cycles=3)
    desk.payments.pay(ak, order.txn, "broken")
    assert desk.reconciler.run().paid == 1           # status() PROCESSED, with the saved method
    breaking(monkeypatch, "charge_saved")
    line = calm(run("renew", "run", now=LATER)).stdout
    assert "renew run: 1 due" in line
    cycle_order = Order.select().where(Order.id != Order.get(Order.txn == order.txn).id).get()
    attempt = PaymentAttempt.get(PaymentAttempt.order == cycle_order.id)
    assert attempt.state == "unknown" and cycle_order.state == "processing"
    assert "plugin error (broken_pay)" in attempt.detail and SECRET not in attempt.detail


def test_m8_a_raising_order_completed_does_not_undo_a_payment_through_the_cli(desk, run, monkeypatch):
    order = community_order(desk, ["apt101"])
    breaking(monkeypatch, "order_completed")
    calm(run("order", "pay", "--as", "aktest", order.txn, "--method", "broken"))
    breaking(monkeypatch, "order_completed")
    assert json.loads(calm(run("reconcile", "--json")).stdout)["paid"] == 1
    assert Order.get(Order.txn == order.txn).state == "succeeded"


def test_m8_plugins_lists_the_broken_plugin_with_its_hooks(run, monkeypatch):
    breaking(monkeypatch, "configured", "check_eligibility", "veto", "describe")
    data = json.loads(calm(run("plugins", "--json")).stdout)
    [broken] = [p for p in data["plugins"] if p["name"] == "broken_pay"]
    assert broken["methods"] == ["broken"]
    assert set(broken["hooks"]) >= {"register_payment_methods", "veto_payment_method", "order_completed"}


# -- in-core methods and the wrapper itself --------------------------------------------------------------
class _RaisingInCore(PaymentMethod):
    key, label, family, settles_in_core = "oops", "Oops Pay", Grant.REGULAR, True

    def charge(self, request):
        raise KeyError(f"bug {SECRET}")


class _InCorePlugin:
    from smartpay.core.plugin_api import hookimpl as _h

    @_h
    def register_payment_methods(self, register):
        register(_RaisingInCore())


def test_m8_a_raising_in_core_charge_rolls_back_and_is_refused_with_plugin_error(db_url, clock):
    core = open_core(db_url, clock, extra=[("oops_pay", _InCorePlugin())])
    try:
        core.world = build_world(core)
        billing(core, core.auth.actor("aktest"))
        order = community_order(core, ["apt101"])
        with pytest.raises(PluginError, match=r"plugin error \(oops_pay\)") as refused:
            core.payments.pay(core.auth.actor("aktest"), order.txn, "oops")
        assert SECRET not in str(refused.value)
        row = Order.get(Order.txn == order.txn)
        assert row.state == "processing"
        assert PaymentAttempt.select().where(PaymentAttempt.order == row.id).count() == 0   # rolled back
    finally:
        core.close()


class _Answers(PaymentMethod):
    key, label = "answers", "Answers"

    def __init__(self, eligibility=None, result=None, exc=None):
        self._eligibility, self._result, self._exc = eligibility, result, exc

    def check_eligibility(self, context):
        if self._exc:
            raise self._exc
        return self._eligibility

    def charge(self, request):
        if self._exc:
            raise self._exc
        return self._result

    def parse_webhook(self, headers, body):
        if self._exc:
            raise self._exc
        return self._result


def test_m8_wrong_answers_are_plugin_errors_too():
    assert ContainedMethod(_Answers(eligibility="yes"), "p").check_eligibility(None) == \
        Eligibility.no("plugin error (p)")
    assert ContainedMethod(_Answers(eligibility=Eligibility(False, "")), "p").check_eligibility(None) == \
        Eligibility.no("plugin error (p)")
    with pytest.raises(PluginError, match="answered charge with dict"):
        ContainedMethod(_Answers(result={"status": "ok"}), "p").charge(None)


def test_m8_webhooks_a_rejection_passes_a_crash_is_a_plugin_error():
    with pytest.raises(WebhookRejected):
        ContainedMethod(_Answers(exc=WebhookRejected("bad signature")), "p").parse_webhook({}, b"")
    with pytest.raises(PluginError, match=r"plugin error \(p\).*ValueError"):
        ContainedMethod(_Answers(exc=ValueError(SECRET)), "p").parse_webhook({}, b"")


def test_m8_the_host_hands_out_contained_methods():
    host = PluginHost(load_entry_points=False, disabled=(), extra_plugins=[("oops_pay", _InCorePlugin())])
    [method] = host.methods()
    assert isinstance(method, ContainedMethod) and method.plugin == "oops_pay"
    assert method.key == "oops" and method.settles_in_core is True and type(method.inner) is _RaisingInCore
    assert isinstance(ChargeResult(ChargeStatus.ERROR, message="x"), ChargeResult)


# -- the small ones ----------------------------------------------------------------------------------------
def test_order_show_json_gives_attempt_detail_as_an_object(desk, run):
    order = community_order(desk, ["apt101"])
    calm(run("order", "pay", "--as", "aktest", order.txn, "--method", "broken"))
    shown = json.loads(calm(run("order", "show", "--as", "aktest", order.txn, "--json")).stdout)
    [attempt] = shown["attempts"]
    assert isinstance(attempt["detail"], dict)


def test_a_refusal_says_the_methods_label_once(desk, run):
    from smartpay.core.payments.eligibility import labelled
    assert labelled("Bank transfer", "Bank transfer is for distributors") == "Bank transfer is for distributors"
    assert labelled("Bank transfer", "distributors only") == "Bank transfer: distributors only"
    order = community_order(desk, ["apt101"])
    refused = run("order", "pay", "--as", "aktest", order.txn, "--method", "credit")
    assert refused.exit_code == 2 and refused.stderr.count("Credit") <= 1, refused.stderr

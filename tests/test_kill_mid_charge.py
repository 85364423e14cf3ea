"""M3 with a real crash: a `smartpay` process is SIGKILLed while the (emulated) Stripe or PayPal
API holds the answer to a call it has already acted on. The database then has an attempt `processing` with
no provider reference; `reconcile` finds the charge by transaction number and the order, the
charge and the expiry agree. Also: two `smartpay renew run` processes at once on one PostgreSQL
database charge each due cycle exactly once.

The emulators run in the test process (their HTTP ports are reachable from the subprocesses); the CLI
runs as a real process with `--db`, a config file whose `[plugins.stripe_pay]` (or
`[plugins.paypal_pay]`) points at the emulator, and SMARTPAY_FAKE_NOW for its clock."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smartpay.core.db.models import Item, Order, PaymentAttempt, RenewalCycle, RenewalPlan
from smartpay.core.services.quotes import Selection
from smartpay.emulators.faults import Fault
from smartpay.emulators.stripe import StripeEmulator

import paypal_support
from paypal_support import approve_on_page, method_config
from stripe_support import TEST_API_KEY, WEBHOOK_SECRET, SUCCESS_URL, pay_on_page, stripe_config
from support import BACKEND, GMT8, NOW, PASSWORD, billing, build_world, community_order, eod, open_core

SMARTPAY = str(Path(sys.executable).parent / "smartpay")
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)    # the auto-renew orders are paid
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)     # their next cycle is due
HOLD = 60.0    # a `timeout` fault holds the answer longer than the test waits: the kill comes first


@pytest.fixture
def emulator(clock):
    with StripeEmulator(webhook_secret=WEBHOOK_SECRET, timeout_hold_seconds=HOLD, clock=clock.now) as emu:
        yield emu


@pytest.fixture
def desk(db_url, clock, emulator):
    core = open_core(db_url, clock, plugins={"stripe_pay": stripe_config(emulator)})
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core
    core.close()


@pytest.fixture
def config_file(tmp_path, emulator):
    """The config a desk machine would have: the Stripe plugin pointed at the emulator, and an
    SDK timeout longer than the fault's hold is not (20 s), so the process is inside the call."""
    path = tmp_path / "smartpay.toml"
    path.write_text("[plugins.stripe_pay]\n"
                    f'api_key = "{TEST_API_KEY}"\n'
                    f'api_base = "{emulator.api_base}"\n'
                    f'webhook_secret = "{WEBHOOK_SECRET}"\n'
                    f'success_url = "{SUCCESS_URL}"\n'
                    "timeout_seconds = 20\n"
                    "max_network_retries = 0\n", encoding="utf-8")
    return path


def cli(db_url: str, config: Path, now: dt.datetime, *args: str) -> subprocess.Popen:
    env = dict(os.environ, SMARTPAY_FAKE_NOW=now.isoformat(), SMARTPAY_PASSWORD=PASSWORD)
    env.pop("SMARTPAY_DB", None)
    return subprocess.Popen([SMARTPAY, "--db", db_url, "--config", str(config), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(condition, what: str, timeout: float = 20.0, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {process.communicate()}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL


def attempts_of(txn: str) -> list[PaymentAttempt]:
    return list(PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id))


def expiry(item_id: int):
    return Item.get_by_id(item_id).expires_at


# -- (a) `smartpay order pay` killed while Stripe holds the answer to the create call ----------------
def test_m3_pay_killed_mid_create_is_recovered_by_reconcile(desk, emulator, config_file, db_url, clock):
    order = community_order(desk, ["apt101"], renew_to="2025-10-30")
    apt101 = desk.world.items["apt101"].id
    before = expiry(apt101)
    emulator.arm(Fault.TIMEOUT, "create_session")   # Stripe creates the page, then the answer hangs
    process = cli(db_url, config_file, NOW, "order", "pay", order.txn, "--as", "aktest", "--method", "stripe")
    wait_until(lambda: emulator.sessions_for(order.txn), "Stripe to receive the create call", process=process)
    kill(process)

    [attempt] = attempts_of(order.txn)
    assert (attempt.state, attempt.provider_ref) == ("processing", None)   # M3: committed before the call
    assert Order.get(Order.txn == order.txn).state == "processing" and expiry(apt101) == before

    # The janitor finds the page by txn; the desk now knows it (and its URL), the payer pays there.
    summary = desk.reconciler.run()
    assert (summary.checked, summary.still_pending, summary.errors) == (1, 1, 0)
    [attempt] = attempts_of(order.txn)
    [session] = emulator.sessions_for(order.txn)
    assert attempt.provider_ref == session["id"] and attempt.redirect_url
    pay_on_page(attempt.redirect_url)
    assert desk.reconciler.run().paid == 1

    assert Order.get(Order.txn == order.txn).state == "succeeded"
    assert [a.state for a in attempts_of(order.txn)] == ["succeeded"]
    assert emulator.charges_for(order.txn) == 1
    assert expiry(apt101) == eod(2025, 10, 30)
    assert desk.reconciler.run().checked == 0   # nothing left in flight


def test_m3_pay_killed_mid_create_then_window_lapses_times_out_uncharged(desk, emulator, config_file, db_url,
                                                                          clock):
    order = community_order(desk, ["apt101"], renew_to="2025-10-30")
    apt101 = desk.world.items["apt101"].id
    before = expiry(apt101)
    emulator.arm(Fault.TIMEOUT, "create_session")
    process = cli(db_url, config_file, NOW, "order", "pay", order.txn, "--as", "aktest", "--method", "stripe")
    wait_until(lambda: emulator.sessions_for(order.txn), "Stripe to receive the create call", process=process)
    kill(process)

    clock.advance(minutes=16)   # nobody ran reconcile inside the window; the payer never saw the page
    assert desk.reconciler.run().timed_out == 1
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    [session] = emulator.sessions_for(order.txn)
    assert session["status"] == "expired"        # the page can no longer be paid
    assert [a.state for a in attempts_of(order.txn)] == ["cancelled"]
    assert emulator.charges_for(order.txn) == 0 and expiry(apt101) == before


# -- (b) `smartpay renew run` killed in an off-session charge Stripe already made ----------------------
def auto_plans(core, clock, n: int, key: str = "stripe", payer_acts=pay_on_page) -> list[int]:
    """`n` items on auto-renew, each by its own auto-renew order paid on the provider's page (the
    card / account is saved); returns the item ids. The clock is left at RENEW_AT, when every plan
    is due."""
    ak = core.auth.actor("aktest")
    method = core.plugins.method(key)
    clock.set(SET_UP_AT)
    items = []
    for k in range(n):
        item = core.accounts.add_item(core.world.community.id, "app", f"Auto {k + 1}", expires="2025-08-31")
        order = core.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                            project_ids=(core.world.community.id,),
                                                            item_ids=(item.id,)),
                                   accept_terms=True, renew_mode="auto", auto_cycles=3)
        outcome = core.payments.pay(ak, order.txn, key)
        payer_acts(outcome.redirect_url)
        [attempt] = attempts_of(order.txn)
        paid = core.payments.record_result(None, order.txn, attempt.id, method.status(order.txn, attempt.provider_ref))
        assert paid.order.state == "succeeded"
        items.append(item.id)
    assert RenewalPlan.select().count() == n
    assert all(expiry(i) == eod(2025, 9, 30) for i in items)
    clock.set(RENEW_AT)
    return items


@pytest.fixture
def desk_paypal(db_url, clock):
    paypal = paypal_support.start_emulator(timeout_hold_seconds=HOLD)
    core = open_core(db_url, clock, plugins={"paypal_pay": method_config(paypal)})
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core, paypal
    core.close()
    paypal.stop()


def vault_captures(paypal) -> list[str]:
    """Transactions of captures made from a saved PayPal account (auto-renew cycles)."""
    state = paypal.app.state
    with state.lock:
        return [state.captures[c].custom_id for o in state.orders.values() if o.vault_id and o.capture_ids
                and o.payer_approved and not o.vault_requested for c in o.capture_ids]


def off_session_txns(emulator) -> list[str]:
    store = emulator.store
    with store.lock:
        return [i["metadata"]["txn"] for i in store.intents.values()
                if i["metadata"].get("flow") == "off_session" and i["status"] == "succeeded"]


def test_m3_r7_renew_run_killed_after_the_charge_is_settled_once_by_reconcile(desk, emulator, config_file,
                                                                               db_url, clock):
    [item] = auto_plans(desk, clock, 1)
    emulator.arm(Fault.TIMEOUT, "create_payment_intent")   # the card is charged, the answer hangs
    process = cli(db_url, config_file, RENEW_AT, "renew", "run", "--json")
    [txn] = wait_until(lambda: off_session_txns(emulator), "Stripe to charge the saved card", process=process)
    kill(process)

    [attempt] = attempts_of(txn)
    assert (attempt.state, attempt.provider_ref) == ("processing", None)
    assert expiry(item) == eod(2025, 9, 30)                 # nothing applied yet
    assert desk.renewals.due_plan_ids() == []               # the open cycle order holds the plan

    assert desk.reconciler.run().paid == 1
    assert Order.get(Order.txn == txn).state == "succeeded"
    assert [a.state for a in attempts_of(txn)] == ["succeeded"]
    assert emulator.charges_for(txn) == 1
    assert expiry(item) == eod(2025, 10, 30)                # moved exactly once
    plan = RenewalPlan.get()
    assert (plan.state, plan.cycles_done, plan.failures) == ("active", 2, 0)
    assert RenewalCycle.select().count() == 1

    # Running everything again charges nothing more: the next cycle is a month away.
    assert desk.renew_runner.run().due == 0 and desk.reconciler.run().checked == 0
    assert off_session_txns(emulator) == [txn] and expiry(item) == eod(2025, 10, 30)


def test_m3_r7_paypal_renew_run_killed_after_the_capture_is_settled_once_by_another_process(
        desk_paypal, tmp_path, db_url, clock):
    """The same crash with PayPal, whose lost create answer can only be learned by re-sending the
    create under its PayPal-Request-Id: the reconciling process never sent it, so it must rebuild
    the request from the database (the plugin's memory died with the killed process)."""
    core, paypal = desk_paypal
    [item] = auto_plans(core, clock, 1, "paypal", lambda url: approve_on_page(url))
    config = tmp_path / "paypal.toml"
    table = method_config(paypal, timeout_seconds=20)
    config.write_text("[plugins.paypal_pay]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items()),
                      encoding="utf-8")
    paypal.arm(Fault.TIMEOUT, "vault_charge")     # the saved account is charged, the answer hangs
    process = cli(db_url, config, RENEW_AT, "renew", "run", "--json")
    [txn] = wait_until(lambda: vault_captures(paypal), "PayPal to charge the saved account", process=process)
    kill(process)

    [attempt] = attempts_of(txn)
    assert (attempt.state, attempt.provider_ref) == ("processing", None)
    core.reconciler.run()
    assert Order.get(Order.txn == txn).state == "succeeded", [a.detail for a in attempts_of(txn)]
    assert [a.state for a in attempts_of(txn)] == ["succeeded"]
    assert paypal.captures_for(txn) == 1
    assert expiry(item) == eod(2025, 10, 30)
    assert RenewalPlan.get().cycles_done == 2
    assert core.reconciler.run().checked == 0 and paypal.captures_for(txn) == 1


# -- two runners at once on PostgreSQL ----------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.skipif(BACKEND != "postgres", reason="two processes competing for plans need PostgreSQL's row locks")
def test_r7_two_renew_run_processes_on_postgres_charge_each_cycle_once(desk, emulator, config_file, db_url, clock):
    n = 40   # more than one claim batch (32), so the two runs meet on more than the first batch
    items = auto_plans(desk, clock, n)
    emulator.server.latency_seconds = 0.05   # every call takes a while, so the two runs overlap
    runs = [cli(db_url, config_file, RENEW_AT, "renew", "run", "--json") for _ in range(2)]
    results = []
    for process in runs:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    emulator.server.latency_seconds = 0.0

    cycle_orders = list(Order.select().join(RenewalCycle, on=(RenewalCycle.order == Order.id)))
    txns = [o.txn for o in cycle_orders]
    assert len(txns) == n and all(o.state == "succeeded" for o in cycle_orders)
    assert all(emulator.charges_for(t) == 1 for t in txns)
    assert sorted(off_session_txns(emulator)) == sorted(txns)           # no other charge at all
    assert RenewalCycle.select().count() == n
    assert all(expiry(i) == eod(2025, 10, 30) for i in items)
    assert all(p.cycles_done == 2 for p in RenewalPlan.select())
    assert sum(r["paid"] for r in results) == n
    assert all(r["declined"] == r["unknown"] == r["errors"] == 0 for r in results)
    # Each run saw the due plans it did not charge as another runner's (or no longer due).
    assert all(r["paid"] + r["skipped"] == r["due"] for r in results)

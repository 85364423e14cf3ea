"""M8 in the desk: a plugin that raises leaves the app up. Pilot: the Pending Order screen lists
every method with the broken one greyed "plugin error (broken_pay)", and paying with a method
whose charge raises ends on the result screen (an unknown outcome), not in a crash. tmux: the
same through the real `smartpay` at 80×24, keyboard only."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import broken_plugin
from smartpay.app import demo
from smartpay.tui.screens.payment_result import PaymentResultScreen
from smartpay.tui.screens.pending_order import PendingOrderScreen

from pane_harness import desk_app, settle, until
from pay_support import sunrise_renewal

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def broken_installed(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(broken_plugin.install(tmp_path / "site")))
    monkeypatch.delenv("SMARTPAY_DISABLE_PLUGINS", raising=False)


async def open_pending(pilot, session, txn):
    screen = PendingOrderScreen(session, txn, poll_interval=0.1)
    await settle(pilot)
    pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.choice is not None and screen.choice.is_mounted, what="the methods")
    await pilot.pause()
    return screen


@pytest.mark.asyncio
async def test_m8_pending_order_greys_the_broken_method_and_the_desk_stays_up(demo_core, session_for, monkeypatch):
    monkeypatch.setenv(broken_plugin.ENV, "check_eligibility,configured")
    order = sunrise_renewal(demo_core)
    session = session_for("aktest")
    app = desk_app(session)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_pending(pilot, session, order.txn)
        options = {o.key: o for o in screen.choice.options}
        assert options["broken"].reason == "plugin error (broken_pay)" and not options["broken"].eligible
        greyed = str(screen.query_one("#methods-greyed").render())   # unusable methods, said once
        assert "Broken Pay" in greyed and "plugin error (broken_pay)" in greyed
        assert "coupon" in options and app.is_running


@pytest.mark.asyncio
async def test_m8_a_raising_charge_is_an_unknown_outcome_and_the_desk_stays_up(demo_core, session_for, monkeypatch):
    # status() breaks too: the Pending Order screen follows an unknown payment by asking the
    # provider, which would otherwise answer "paid" and settle it before the test looks.
    monkeypatch.setenv(broken_plugin.ENV, "charge,status")
    order = sunrise_renewal(demo_core)
    session = session_for("aktest")
    app = desk_app(session)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_pending(pilot, session, order.txn)
        screen.choice.choose("broken")
        await settle(pilot)
        assert screen.choice.method == "broken"
        await pilot.click("#pending-pay")

        def recorded():
            attempts = demo_core.orders.get(session.actor, order.txn).attempts
            return attempts and attempts[-1].state == "unknown"
        await until(pilot, recorded, what="the raising charge recorded as unknown")
        await settle(pilot)
        assert app.is_running
        attempts = demo_core.orders.get(session.actor, order.txn).attempts
        assert attempts[-1].state == "unknown", [(a.method, a.state) for a in attempts]


# -- the real smartpay in tmux ------------------------------------------------------------------------
SMARTPAY = str(Path(sys.executable).with_name("smartpay"))
FAKE_NOW = "2025-09-10T14:00:00"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_m8_the_real_desk_shows_plugin_error_and_stays_up_in_tmux(tmp_path):
    from test_credit_logs_tmux import Terminal
    site = broken_plugin.install(tmp_path / "site")
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    log = tmp_path / "smartpay.log"
    env = {**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW, "PYTHONPATH": f"{site}{os.pathsep}{TESTS}",
           broken_plugin.ENV: "check_eligibility", "SMARTPAY_LOG": str(log),
           "SMARTPAY_PASSWORD": demo.DEMO_PASSWORD}
    env.pop("SMARTPAY_DISABLE_PLUGINS", None)
    seeded = subprocess.run([SMARTPAY, "--db", db, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    placed = subprocess.run([SMARTPAY, "--db", db, "order", "create", "renew", "--as", "aktest", "--type",
                             "community", "--project", "Sunrise Community", "--renew-to", "2025-10-30",
                             "--accept-terms", "--quiet"], env=env, capture_output=True, text=True, timeout=120)
    assert placed.returncode == 0, placed.stderr
    txn = placed.stdout.strip()
    name = f"smartpay-m8-{uuid.uuid4().hex[:8]}"
    command = " ".join(["TERM=xterm-256color", SMARTPAY, "--db", db, "--as", "aktest"])
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True,
                   env=env, cwd=tmp_path)
    t = Terminal(name)
    try:
        t.wait_for("Password")
        t.keys(demo.DEMO_PASSWORD, literal=True)
        t.keys("Enter")
        t.wait_for("Subscription", "Orders")
        t.keys("4")                                   # Orders: the fourth section
        t.wait_for(txn[:12])
        t.keys("p")                                   # Pay / Resume the processing order
        # The order's number, not the page title: the page may scroll its title away to show the
        # focused method list at 80x24.
        screen = t.wait_for(f"Transaction Number: {txn}", "plugin error (broken_pay)")
        assert "Traceback" not in screen and "sk_live" not in screen
        t.keys("Escape")                              # Back: the desk is still there
        t.wait_for("Orders")
        assert "deliberately broke check_eligibility" in log.read_text()   # the traceback went to the log
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


# -- offline methods on the Pending Order screen -------------------------------------------------------
@pytest.fixture
def cash_office_installed(tmp_path, monkeypatch):
    """The offline plugin as an installed distribution — before the demo world is seeded, since
    seeding already asks the plugins (whether Credit may be granted) and they load once."""
    info = tmp_path / "site2" / "smartpay_cash_office-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: smartpay-cash-office\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[smartpay]\ncash_office_pay = offline_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site2"))


@pytest.mark.asyncio
async def test_pending_order_shows_offline_instructions_and_ends_when_the_operator_confirms(
        cash_office_installed, demo_core, session_for):
    order = sunrise_renewal(demo_core)
    session = session_for("aktest")
    app = desk_app(session)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_pending(pilot, session, order.txn)
        screen.choice.choose("cash_office")
        await pilot.pause()
        await pilot.click("#pending-pay")
        await until(pilot, lambda: "Bring " in str(screen.query_one("#pending-instructions").render()),
                    what="the instructions")
        assert order.txn in str(screen.query_one("#pending-instructions").render())
        demo_core.offline_payments.confirm(order.txn, "RCPT-9")    # the operator, elsewhere
        await until(pilot, lambda: isinstance(app.screen, PaymentResultScreen), what="the result")
        assert demo_core.orders.get(session.actor, order.txn).state == "succeeded"

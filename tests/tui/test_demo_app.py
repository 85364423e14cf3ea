"""`smartpay demo --open` (what `make demo` runs): a fresh demo database, the Stripe and PayPal
emulators in this process with the core's plugins pointed at them, and the login screen's demo
panel — so a newcomer pays with every method without an account or a network."""
from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from smartpay.app import demo, demo_app
from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.domain import OrderState
from smartpay.tui.app import SmartpayApp
from smartpay.tui.screens.hosted_payment import offline_pay_command

from pane_harness import settle
from pay_support import sunrise_renewal
from support import CHEAP_PASSWORDS, NOW

SMARTPAY = str(Path(sys.executable).with_name("smartpay"))


@pytest.fixture
def demo_run(tmp_path):
    with demo_app.DemoPayments() as payments:
        core = demo_app.prepare(Settings(db_url=f"sqlite:///{tmp_path / 'demo.db'}"), FixedClock(NOW), payments)
        yield core, payments
        core.close()


def test_the_demo_configures_every_payment_method_against_the_local_emulators(demo_run):
    core, payments = demo_run
    assert {m.key: m.configured().eligible for m in core.plugins.methods()} == {
        "coupon": True, "credit": True, "paypal": True, "stripe": True}
    assert payments.stripe.url.startswith("http://127.0.0.1:") and payments.paypal.url.startswith("http://127.0.0.1:")
    assert demo.is_demo(core)


@pytest.mark.parametrize("method", ["stripe", "paypal"])
def test_a_newcomer_pays_with_the_printed_curl_command(demo_run, method):
    core, payments = demo_run
    ak = core.auth.actor("aktest")
    order = sunrise_renewal(core)
    started = core.payments.pay(ak, order.txn, method)
    command = offline_pay_command(started.redirect_url)
    assert command.startswith('curl -X POST "http://127.0.0.1:')
    url = command.split('"')[1]
    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=5) as answer:
        assert answer.status == 200  # what curl does
    assert core.payment_status.check(ak, order.txn).order.state == OrderState.SUCCEEDED


def test_the_demo_database_is_fresh_each_time(tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'demo.db'}")
    with demo_app.DemoPayments() as payments:
        core = demo_app.prepare(settings, FixedClock(NOW), payments)
        sunrise_renewal(core)
        assert len(core.orders.list(core.auth.actor("aktest"))) == 1
        core.close()
    with demo_app.DemoPayments() as payments:
        core = demo_app.prepare(settings, FixedClock(NOW), payments)
        assert core.orders.list(core.auth.actor("aktest")) == []
        core.close()


def test_the_demo_never_wipes_a_database_that_is_not_the_demos(tmp_path):
    from smartpay.core.context import Smartpay
    from smartpay.core.errors import ConfigError
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'real.db'}")
    real = Smartpay.open(settings, FixedClock(NOW), upgrade=True, passwords=CHEAP_PASSWORDS)
    real.accounts.create_account("distributor", "real_dist", "A Real Distributor", "correct-horse-1")
    with demo_app.DemoPayments() as payments:
        with pytest.raises(ConfigError):
            demo_app.prepare(settings, FixedClock(NOW), payments)
    assert real.auth.actor("real_dist").login == "real_dist"
    real.close()


@pytest.mark.asyncio
async def test_the_login_screen_lists_the_demo_logins_only_in_demo_mode(demo_run):
    core, payments = demo_run
    async with SmartpayApp(core, demo=demo_app.demo_info(payments)).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = str(pilot.app.screen.query_one("#demo-panel").render())
        assert demo.DEMO_PASSWORD in panel
        assert all(login in panel for _, login, _, _ in demo.ACCOUNTS)
    async with SmartpayApp(core).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not pilot.app.screen.query("#demo-panel")


def test_snapshot_login_with_the_demo_panel(snap_compare, demo_run):
    core, payments = demo_run
    assert snap_compare(SmartpayApp(core, demo=demo_app.demo_info(payments)), terminal_size=(80, 24),
                        run_before=settle)


def test_smartpay_demo_still_prints_for_scripts_and_offers_open(tmp_path):
    env_db = f"sqlite:///{tmp_path / 'printed.db'}"
    printed = subprocess.run([SMARTPAY, "demo", "--db", env_db], capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin"})
    assert printed.returncode == 0, printed.stderr
    assert "Demo logins" in printed.stdout and demo.DEMO_PASSWORD in printed.stdout
    helped = subprocess.run([SMARTPAY, "demo", "--help"], capture_output=True, text=True, timeout=60)
    assert "--open" in helped.stdout

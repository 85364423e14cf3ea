"""Paying in the terminal app, for tests: the demo world on a core whose Stripe and PayPal
plugins talk to local emulators started by the fixture, and the orders the tests pay (money and
credit), placed through the core.

    from pay_support import pay_core, pay_session, emulators   # noqa: F401 (fixtures)

Ports vary from run to run; nothing that shows them goes into a snapshot (the QR screen's
snapshot renders a fixed URL)."""
from __future__ import annotations

import pytest

from smartpay.app import demo
from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.ids import SeededIds
from smartpay.core.services.quotes import Selection
from smartpay.core.views import OrderView

from paypal_support import method_config, start_emulator
from stripe_support import FAULT_HOLD, WEBHOOK_SECRET, stripe_config
from smartpay.emulators.stripe import StripeEmulator
from support import CHEAP_PASSWORDS, NOW


class Emulators:
    def __init__(self, stripe: StripeEmulator, paypal):
        self.stripe, self.paypal = stripe, paypal

    def plugins(self) -> dict:
        return {"stripe_pay": stripe_config(self.stripe), "paypal_pay": method_config(self.paypal)}


@pytest.fixture
def emulators():
    stripe = StripeEmulator(webhook_secret=WEBHOOK_SECRET, timeout_hold_seconds=FAULT_HOLD, slow_seconds=0.2).start()
    paypal = start_emulator()
    yield Emulators(stripe, paypal)
    stripe.stop()
    paypal.stop()


@pytest.fixture
def pay_core(tmp_path, emulators):
    """The demo world (app/demo.py) at the fixed NOW, with Stripe and PayPal configured against
    the fixture's emulators; `pay_core.emulators` reaches them."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'pay.db'}", plugins=emulators.plugins())
    clock = FixedClock(NOW)
    emulators.stripe.follow_clock(clock.now)   # "Stripe" and the desk agree on the date (expires_at)
    core = Smartpay.open(settings, clock, upgrade=True, ids=SeededIds(7), passwords=CHEAP_PASSWORDS)
    demo.seed(core)
    core.emulators = emulators
    yield core
    core.close()


@pytest.fixture
def pay_session(pay_core):
    from smartpay.tui.session import Session

    def make(login: str) -> Session:
        return Session(pay_core, pay_core.auth.login(login, demo.DEMO_PASSWORD))

    return make


def project_id(core, name: str) -> int:
    from smartpay.core.db.models import Project
    return Project.get(Project.name == name).id


def item_id(core, name: str) -> int:
    from smartpay.core.db.models import Item
    return Item.get(Item.subject_name == name).id


def sunrise_renewal(core, login: str = "aktest", items=("Apt 101",), renew_to="2025-10-30",
                    mode: str = "manual", **auto) -> OrderView:
    """A money order: renew Sunrise Community items (community, installer inst_regular)."""
    actor = core.auth.actor(login)
    selection = Selection("community", installer="inst_regular" if login == "aktest" else None,
                          project_ids=(project_id(core, "Sunrise Community"),),
                          item_ids=tuple(item_id(core, n) for n in items))
    extra = dict(renew_to=renew_to) if mode == "manual" else auto
    return core.orders.create(actor, "renewal", selection, accept_terms=True, renew_mode=mode, **extra)


def renewal_of_test1_in_credits(core, login: str = "aktest", renew_to="2025-10-30") -> OrderView:
    """A credit order: renew "Test 1" of New Commercial (created after 2025-06-01) in credits."""
    actor = core.auth.actor(login)
    selection = Selection("commercial", installer="inst_credit" if login == "aktest" else None,
                          project_ids=(project_id(core, "New Commercial"),), item_ids=(item_id(core, "Test 1"),))
    return core.orders.create(actor, "renewal", selection, accept_terms=True, pay_in="credit",
                              renew_mode="manual", renew_to=renew_to)


"""The two real providers side by side for tests that run the same flow through either: each
`Side` holds its emulator and says what its payer does and what it charged; `sides` starts one
emulator per provider for a test process, and `world_of(provider)` opens a desk with that
provider's real plugin on the seed world (the emulator reset first)."""
from __future__ import annotations

import datetime as dt

import pytest

from smartpay.core.db.models import Order, PaymentAttempt, Refund, RenewalPlan
from smartpay.core.services.quotes import Selection

from smartpay.emulators.faults import Fault
from smartpay.emulators.stripe import StripeEmulator

import paypal_support
from paypal_support import approve_on_page, method_config as paypal_config
from stripe_support import WEBHOOK_SECRET, pay_on_page, stripe_config
from support import GMT8, billing, build_world, open_core

HOLD = 1.0  # a `timeout` fault holds its answer this long (the clients wait 0.5 s)
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)    # an auto-renew order is paid
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)     # its next cycle is due


# -- the emulators: one per provider for the module, reset per test ----------------------------------
class StripeSide:
    key = "stripe"

    def __init__(self):
        self.emulator = StripeEmulator(webhook_secret=WEBHOOK_SECRET, timeout_hold_seconds=HOLD,
                                       slow_seconds=0.1).start()

    def config(self):
        return {"stripe_pay": stripe_config(self.emulator)}

    def follow(self, clock) -> None:
        """The emulated account reads the test's clock (the desk sends expires_at from it)."""
        self.emulator.follow_clock(clock.now)

    def payer_acts(self, url: str) -> None:
        pay_on_page(url)

    def hold_payment_pending(self) -> None:
        self.emulator.arm(Fault.PENDING, "pay_session")

    def charges(self, txn: str) -> int:
        return self.emulator.charges_for(txn)

    def refunds(self, txn: str) -> int:
        store = self.emulator.store
        with store.lock:
            return sum(1 for r in store.refunds.values()
                       if r["status"] == "succeeded" and r["metadata"].get("txn") == txn)

    def settle_all(self) -> int:
        """The provider decides everything it left processing: payments and refunds succeed."""
        store, settled = self.emulator.store, 0
        with store.lock:
            intents = [i["id"] for i in store.intents.values() if i["status"] == "processing"]
            refunds = [r["id"] for r in store.refunds.values() if r["status"] == "pending"]
        for ident in intents + refunds:
            self.emulator.settle(ident)
            settled += 1
        return settled

    def stop(self):
        self.emulator.stop()


class PayPalSide:
    key = "paypal"

    def __init__(self):
        self.emulator = paypal_support.start_emulator(timeout_hold_seconds=HOLD, slow_seconds=0.1)

    def config(self):
        return {"paypal_pay": paypal_config(self.emulator)}

    def follow(self, clock) -> None:
        """The PayPal emulator keeps no time a test needs to move."""

    def payer_acts(self, url: str) -> None:
        approve_on_page(url)

    def hold_payment_pending(self) -> None:
        self.emulator.hold_next_capture_pending()

    def charges(self, txn: str) -> int:
        return self.emulator.captures_for(txn)

    def refunds(self, txn: str) -> int:
        state = self.emulator.app.state
        with state.lock:
            captures = {c.id for c in state.captures.values() if c.custom_id == txn}
            return sum(1 for r in state.refunds.values()
                       if r["capture_id"] in captures and r["status"] == "COMPLETED")

    def settle_all(self) -> int:
        state, settled = self.emulator.app.state, 0
        with state.lock:
            pending = [c.id for c in state.captures.values() if c.status == "PENDING"]
        for capture_id in pending:
            self.emulator.settle_capture(capture_id)
            settled += 1
        return settled

    def stop(self):
        self.emulator.stop()


# Session scope: started once per test process (world_of resets them for each test), not again
# each time an xdist worker comes back to a module that uses them.
@pytest.fixture(scope="session")
def sides():
    made = {"stripe": StripeSide(), "paypal": PayPalSide()}
    yield made
    for side in made.values():
        side.stop()


@pytest.fixture
def world_of(db_url, clock, sides):
    """world_of(provider) → (core, side): a desk with that provider's real plugin, the seed world."""
    opened = []

    def make(provider: str):
        side = sides[provider]
        side.emulator.reset()
        side.follow(clock)
        core = open_core(db_url, clock, plugins=side.config())
        opened.append(core)
        core.world = build_world(core)
        billing(core, core.auth.actor("aktest"))
        return core, side

    yield make
    for core in opened:
        core.close()


# -- what the tests ask of the desk ------------------------------------------------------------------
def attempts_of(txn):
    return list(PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id))


def poll(core, txn):
    attempt = attempts_of(txn)[-1]
    result = core.plugins.method(attempt.method).status(txn, attempt.provider_ref)
    return core.payments.record_result(None, txn, attempt.id, result)


def auto_item_selection(core):
    item = core.accounts.add_item(core.world.community.id, "app", "Auto 1", expires="2025-08-31")
    return Selection("community", installer="inst_regular", project_ids=(core.world.community.id,),
                     item_ids=(item.id,))


def set_up_plan(core, side, clock):
    """An auto-renew order paid on the hosted page (the plan's source); the clock then moves to
    the next cycle's due time. Returns the source order's txn."""
    ak = core.auth.actor("aktest")
    clock.set(SET_UP_AT)
    order = core.orders.create(ak, "renewal", auto_item_selection(core), accept_terms=True, renew_mode="auto",
                               auto_cycles=3)
    out = core.payments.pay(ak, order.txn, side.key)
    side.payer_acts(out.redirect_url)
    assert poll(core, order.txn).order.state == "succeeded"
    assert RenewalPlan.select().count() == 1
    clock.set(RENEW_AT)
    return order.txn


def refunds_of(txn):
    return [r.state for r in Refund.select().join(PaymentAttempt).join(Order).where(Order.txn == txn)]

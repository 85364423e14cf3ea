"""The Stripe method where it lives: it passes the plugin authors' conformance kit configured
against the emulator, and a desk (SQLite or PostgreSQL) pays a real order through it — the hosted
page, the payer, the poll or the signed webhook — with the attempt's idempotency key sent to
Stripe (M1)."""
from __future__ import annotations

import pytest

from smartpay.core.db.models import Item, Order, PaymentAttempt
from smartpay.core.plugin_host import ChargeStatus
from smartpay.core.testing import KIT_TXN, PaymentMethodContract, make_context
from smartpay.app.webhook_server import make_app
from smartpay.emulators.server import EmulatorServer
from smartpay.emulators.stripe import StripeEmulator
from smartpay.plugins import stripe_pay
from smartpay.plugins.stripe_pay import StripeMethod

from stripe_support import (TEST_API_KEY, WEBHOOK_SECRET, decline_on_page, pay_on_page,  # noqa: F401 (fixture)
                            stripe_config, stripe_emulator, stripe_settings)
from support import billing, build_world, community_order, eod, open_core


class TestStripeMethodContract(PaymentMethodContract):
    """The kit, with charge() really reaching (emulated) Stripe."""

    @pytest.fixture
    def method(self, stripe_emulator):
        return StripeMethod(stripe_settings(stripe_emulator))

    @pytest.fixture
    def plugin(self):
        return stripe_pay

    @pytest.fixture
    def plugin_config(self, stripe_emulator):
        return {"stripe_pay": stripe_config(stripe_emulator)}


def test_the_kit_charges_through_the_emulator(stripe_emulator):
    method = StripeMethod(stripe_settings(stripe_emulator))
    result = method.charge(PaymentMethodContract.charge_request(method, make_context()))
    assert result.status == ChargeStatus.PENDING
    assert [s["id"] for s in stripe_emulator.sessions_for(KIT_TXN)] == [result.provider_ref]


# -- a desk paying an order ---------------------------------------------------------------------------------
@pytest.fixture
def desk(db_url, clock, stripe_emulator):
    core = open_core(db_url, clock, plugins={"stripe_pay": stripe_config(stripe_emulator)})
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core
    core.close()


def attempt_of(txn):
    return PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id.desc()).first()


def test_m1_a_desk_pays_an_order_on_the_hosted_page(desk, stripe_emulator):
    order = community_order(desk, ["apt101"], renew_to="2025-10-30")
    outcome = desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    attempt = attempt_of(order.txn)
    assert outcome.order.state == "processing" and outcome.redirect_url.startswith(stripe_emulator.url)
    assert attempt.state == "processing" and attempt.provider_ref.startswith("cs_test_")
    # M1: the attempt's key is the one Stripe stored the create under.
    assert (TEST_API_KEY, attempt.idempotency_key) in stripe_emulator.store.idempotency
    session = stripe_emulator.session(attempt.provider_ref)
    assert session["amount_total"] == order.total.amount and session["currency"] == order.total.currency.lower()
    assert session["metadata"]["txn"] == order.txn

    pay_on_page(outcome.redirect_url)
    method = desk.plugins.method("stripe")
    result = method.status(order.txn, attempt.provider_ref)
    paid = desk.payments.record_result(None, order.txn, attempt.id, result)
    assert paid.order.state == "succeeded"
    assert Item.get_by_id(desk.world.items["apt101"].id).expires_at == eod(2025, 10, 30)
    assert stripe_emulator.charges_for(order.txn) == 1
    assert TEST_API_KEY not in attempt_of(order.txn).detail


def test_a_declined_card_leaves_the_order_payable_on_the_same_page(desk, stripe_emulator):
    order = community_order(desk, ["apt101"], renew_to="2025-10-30")
    outcome = desk.payments.pay(desk.auth.actor("aktest"), order.txn, "stripe")
    decline_on_page(outcome.redirect_url)
    attempt = attempt_of(order.txn)
    result = desk.plugins.method("stripe").status(order.txn, attempt.provider_ref)
    after = desk.payments.record_result(None, order.txn, attempt.id, result)
    assert after.order.state == "processing" and "declined" in after.message
    assert stripe_emulator.charges_for(order.txn) == 0


def test_m5_the_emulators_signed_webhook_pays_the_order_through_the_desks_endpoint(db_url, clock):
    """End to end: the payer pays on the hosted page, the emulator POSTs the signed events to the
    desk's webhook endpoint (app/webhook_server.py), and the order completes without any polling."""
    endpoint: dict = {}
    hooks = EmulatorServer(lambda environ, start_response: endpoint["app"](environ, start_response)).start()
    emulator = StripeEmulator(webhook_url=f"{hooks.url}/webhooks/stripe", webhook_secret=WEBHOOK_SECRET,
                              clock=clock.now).start()
    core = open_core(db_url, clock, plugins={"stripe_pay": stripe_config(emulator)})
    try:
        endpoint["app"] = make_app(core)
        core.world = build_world(core)
        billing(core, core.auth.actor("aktest"))
        order = community_order(core, ["apt101"], renew_to="2025-10-30")
        outcome = core.payments.pay(core.auth.actor("aktest"), order.txn, "stripe")
        pay_on_page(outcome.redirect_url)
        assert emulator.wait_for_webhooks(10)
        assert [d["outcome"] for d in emulator.deliveries()] == [200, 200]
        assert Order.get(Order.txn == order.txn).state == "succeeded"
        assert Item.get_by_id(core.world.items["apt101"].id).expires_at == eod(2025, 10, 30)
        assert emulator.charges_for(order.txn) == 1
    finally:
        emulator.stop()
        hooks.stop()
        core.close()

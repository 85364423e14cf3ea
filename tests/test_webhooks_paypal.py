"""M5 with PayPal end to end: the payer approves on the (emulated) PayPal page, the emulator
really sends CHECKOUT.ORDER.APPROVED to the desk's webhook endpoint (app/webhook_server.py), and the
inbox settles it at once — it asks the PayPal method's status() for that attempt, which captures —
so the order completes without any polling or reconcile run. The capture's own webhook that
follows changes nothing."""
from __future__ import annotations

import time

import pytest

from smartpay.core.db.models import Item, Order, PaymentAttempt, WebhookInbox
from smartpay.app.webhook_server import make_app
from smartpay.emulators.faults import Fault
from smartpay.emulators.server import EmulatorServer

import paypal_support
from paypal_support import approve_on_page, method_config
from support import billing, build_world, community_order, eod, open_core


@pytest.fixture
def wired(db_url, clock):
    """(core, emulator): a desk with the PayPal plugin, whose webhook endpoint the emulator posts to."""
    endpoint: dict = {}
    hooks = EmulatorServer(lambda environ, start_response: endpoint["app"](environ, start_response)).start()
    emulator = paypal_support.start_emulator(webhook_url=f"{hooks.url}/webhooks/paypal")
    core = open_core(db_url, clock, plugins={"paypal_pay": method_config(emulator)})
    endpoint["app"] = make_app(core)
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core, emulator
    emulator.stop()
    hooks.stop()
    core.close()


def delivered(emulator, n: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        emulator.wait_for_webhooks(timeout)
        if len(emulator.deliveries) >= n:
            return emulator.deliveries
        time.sleep(0.02)
    raise AssertionError(f"expected {n} deliveries, got {emulator.deliveries}")


def attempt_of(txn):
    return PaymentAttempt.select().join(Order).where(Order.txn == txn).get()


def test_m5_paypal_approved_webhook_captures_and_completes_the_order_at_once(wired):
    core, emulator = wired
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    outcome = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    assert outcome.order.state == "processing"

    approve_on_page(outcome.redirect_url)   # the emulator sends CHECKOUT.ORDER.APPROVED
    deliveries = delivered(emulator, 2)
    assert [(d["event_type"], d["status"]) for d in deliveries] == [
        ("CHECKOUT.ORDER.APPROVED", 200), ("PAYMENT.CAPTURE.COMPLETED", 200)]

    assert Order.get(Order.txn == order.txn).state == "succeeded"
    assert attempt_of(order.txn).state == "succeeded"
    assert Item.get_by_id(core.world.items["apt101"].id).expires_at == eod(2025, 10, 30)
    assert emulator.captures_for(order.txn) == 1
    rows = {r.type: r for r in WebhookInbox.select()}
    assert rows["CHECKOUT.ORDER.APPROVED"].state == "applied"
    assert "asking the provider" in rows["CHECKOUT.ORDER.APPROVED"].note
    assert rows["PAYMENT.CAPTURE.COMPLETED"].state == "applied"   # recorded, changed nothing
    assert core.reconciler.run().checked == 0


def test_m5_paypal_approved_webhook_whose_capture_answer_is_lost_is_settled_by_the_capture_webhook(wired):
    core, emulator = wired
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    outcome = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    emulator.arm(Fault.RESET, "capture_order")   # PayPal captures; the desk never hears the answer
    approve_on_page(outcome.redirect_url)
    delivered(emulator, 2)

    rows = {r.type: r for r in WebhookInbox.select()}
    assert "undefined" in rows["CHECKOUT.ORDER.APPROVED"].note   # M3: the capture's answer was unknown…
    assert Order.get(Order.txn == order.txn).state == "succeeded"  # …until PayPal's capture event said
    assert attempt_of(order.txn).state == "succeeded"
    assert emulator.captures_for(order.txn) == 1
    assert Item.get_by_id(core.world.items["apt101"].id).expires_at == eod(2025, 10, 30)
    assert core.reconciler.run().checked == 0


def test_m5_an_approved_webhook_for_a_settled_attempt_stays_informational(wired):
    core, emulator = wired
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    outcome = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    emulator.webhook_url = None             # nothing is sent while the desk polls instead
    approve_on_page(outcome.redirect_url)
    attempt = attempt_of(order.txn)
    result = core.plugins.method("paypal").status(order.txn, attempt.provider_ref)
    assert core.payments.record_result(None, order.txn, attempt.id, result).order.state == "succeeded"

    headers, body = emulator.event_for_order("CHECKOUT.ORDER.APPROVED", attempt.provider_ref)
    event = core.plugins.method("paypal").parse_webhook({k.lower(): v for k, v in headers.items()}, body)
    receipt = core.webhook_inbox.receive("paypal", event)
    assert receipt.outcome == "ignored" and "informational" in receipt.message
    assert emulator.captures_for(order.txn) == 1

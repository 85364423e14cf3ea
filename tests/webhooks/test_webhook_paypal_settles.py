"""M5 with PayPal end to end: the payer approves on the (emulated) PayPal page, the emulator
really sends CHECKOUT.ORDER.APPROVED to the desk's webhook endpoint (app/webhook_server.py), and the
inbox settles it at once — it asks the PayPal method's status() for that attempt, which captures —
so the order completes without any polling or reconcile run. The capture's own webhook that
follows changes nothing; when it arrives first, it still carries the saved account an auto-renew
plan needs (R7)."""
from __future__ import annotations

import time

import pytest

from smartpay.app.webhook_server import make_app
from smartpay.core.db.models import Item, Notification, Order, PaymentAttempt, RenewalPlan, WebhookInbox
from smartpay.core.plugin_host import ChargeStatus
from smartpay.emulators.faults import Fault
from smartpay.emulators.server import EmulatorServer
from smartpay.plugins.paypal_pay.webhooks import _event

import paypal_support
from paypal_support import approve_on_page, method_config
from provider_sides import SET_UP_AT, attempts_of, auto_item_selection, sides, world_of  # noqa: F401 — fixtures
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


# -- a capture webhook that arrives first carries the saved account (R7) ---------------------------------
def test_r7_paypal_capture_webhook_first_still_sets_up_the_plan(world_of, clock):
    core, side = world_of("paypal")
    ak = core.auth.actor("aktest")
    clock.set(SET_UP_AT)
    order = core.orders.create(ak, "renewal", auto_item_selection(core), accept_terms=True, renew_mode="auto",
                               auto_cycles=3)
    out = core.payments.pay(ak, order.txn, "paypal")
    approve_on_page(out.redirect_url)
    attempt = attempts_of(order.txn)[-1]
    side.emulator.arm(Fault.TIMEOUT, "capture_order")            # the capture's answer is lost
    lost = core.plugins.method("paypal").status(order.txn, attempt.provider_ref)
    core.payments.record_result(None, order.txn, attempt.id, lost)
    state = side.emulator.app.state
    [capture] = list(state.captures.values())
    event = side.emulator.app.signer.event("PAYMENT.CAPTURE.COMPLETED", capture.as_json(state.base_url))
    parsed = _event(event, core.plugins.method("paypal")._gateway.get_order)
    assert parsed.result.status == ChargeStatus.PROCESSED and parsed.result.saved_method
    core.webhook_inbox.receive("paypal", parsed)
    assert Order.get(Order.txn == order.txn).state == "succeeded"
    assert RenewalPlan.get().saved_method == parsed.result.saved_method
    assert Notification.select().where(Notification.kind == "renewal_not_set_up").count() == 0

"""Refunds with the REAL Stripe and PayPal plugins against their emulators (M2, M3): a payment
approved after its attempt was cancelled is refunded, not kept; a pending refund is looked up by its
id, never posted again; a refund whose first step gets no answer stays open for reconcile."""
from __future__ import annotations

import datetime as dt

import pytest

from smartpay.core.db.models import Notification, Order, PaymentAttempt, Refund
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus, RefundRequest
from smartpay.emulators.faults import Fault

from paypal_support import approve_on_page
from provider_sides import attempts_of, poll, refunds_of, sides, world_of  # noqa: F401 — fixtures
from support import community_order


def test_m2_paid_answer_for_a_cancelled_attempt_is_refunded_not_kept(world_of, clock):
    core, side = world_of("paypal")
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, "paypal")
    attempt = attempts_of(order.txn)[-1]
    clock.advance(minutes=16)
    core.reconciler.run()                        # never approved: CANCELED, the order times out
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    approve_on_page(out.redirect_url)            # the payer approves the old page anyway
    fresh = type(core.plugins.method("paypal").inner).from_config(side.config()["paypal_pay"])   # another process
    late = fresh.status(order.txn, attempt.provider_ref)
    assert late.status == ChargeStatus.PROCESSED and side.charges(order.txn) == 1
    core.payments.record_result(None, order.txn, attempt.id, late)
    assert refunds_of(order.txn) == ["succeeded"]
    assert PaymentAttempt.get_by_id(attempt.id).state == "refunded"
    assert Order.get(Order.txn == order.txn).state == "timed_out"
    assert Notification.select().where(Notification.kind == "payment_refunded").count() == 1


@pytest.mark.parametrize("provider", ["stripe", "paypal"])
def test_m3_pending_refund_is_looked_up_by_its_id(world_of, clock, provider):
    core, side = world_of(provider)
    order = community_order(core, ["apt101"], renew_to="2025-10-30")
    out = core.payments.pay(core.auth.actor("aktest"), order.txn, provider)
    side.payer_acts(out.redirect_url)
    attempt = attempts_of(order.txn)[-1]
    paid = core.plugins.method(provider).status(order.txn, attempt.provider_ref)
    with core.payments.write():                 # the item moved meanwhile: the payment is refunded
        from smartpay.core.db.models import Item, OrderItem
        line = OrderItem.get(OrderItem.order == Order.get(Order.txn == order.txn).id)
        Item.update(expires_at=line.expires_before + dt.timedelta(days=1)).where(Item.id == line.item_id).execute()
    if provider == "stripe":
        side.emulator.arm(Fault.PENDING, "create_refund")
    else:
        side.emulator.arm(Fault.PENDING, "refund_capture")
    core.payments.record_result(None, order.txn, attempt.id, paid)
    refund = Refund.get()
    assert refund.state == "unknown" and refund.provider_ref
    if provider == "stripe":
        side.emulator.settle(refund.provider_ref)
        refunds_at_provider = lambda: len(side.emulator.store.refunds)  # noqa: E731
    else:
        side.emulator.complete_refund(refund.provider_ref)
        refunds_at_provider = lambda: len(side.emulator.app.state.refunds)  # noqa: E731
    assert core.reconciler.run().refunded == 1
    assert Refund.get().state == "succeeded" and refunds_at_provider() == 1


def test_m3_refund_status_default_asks_refund_again(world_of):
    from smartpay.core.plugin_host import PaymentMethod, ChargeResult

    class Old(PaymentMethod):
        key = "old"

        def charge(self, request):   # the one abstract method
            raise AssertionError("not called")

        def refund(self, request):
            return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref="r1")

    request = RefundRequest("20250910140000001", "x", Money(100, "USD"), "k")
    assert Old().refund_status(request, "r1").status == ChargeStatus.PROCESSED


def test_m3_stripe_refund_whose_lookup_times_out_is_asked_again_not_failed(world_of, clock):
    """A payment that can no longer be applied is refunded; when Stripe does not answer the
    refund's first step (reading the session), the refund stays open and reconcile completes it."""
    core, side = world_of("stripe")
    ak = core.auth.actor("aktest")
    first = community_order(core, ["apt101"], renew_to="2025-10-30")
    second = community_order(core, ["apt101"], renew_to="2025-11-15")
    opened_first = core.payments.pay(ak, first.txn, "stripe")
    side.payer_acts(core.payments.pay(ak, second.txn, "stripe").redirect_url)
    assert poll(core, second.txn).order.state == "succeeded"
    side.payer_acts(opened_first.redirect_url)    # paid too, but its item moved: it must be refunded
    attempt = attempts_of(first.txn)[-1]
    paid = core.plugins.method("stripe").status(first.txn, attempt.provider_ref)
    side.emulator.arm(Fault.TIMEOUT, "retrieve_session")   # the refund's first step gets no answer
    assert core.payments.record_result(None, first.txn, attempt.id, paid).order.state == "failed"
    assert refunds_of(first.txn) == ["unknown"]   # not "failed": nothing said the refund was refused
    summary = core.reconciler.run()
    assert summary.refunded == 1 and refunds_of(first.txn) == ["succeeded"]
    assert [r["status"] for r in side.emulator.store.refunds.values()] == ["succeeded"]

"""core.payment_status: the pending-order screen's poll and cancel, against the real Stripe and
PayPal SDKs talking to the local emulators (SQLite and PostgreSQL). Every answer goes through
the recording path reconcile uses (M2, M3); past the window the page is closed and the order
times out (R8); only the payer may ask or cancel."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from smartpay.core.db.models import Item, PaymentAttempt
from smartpay.core.errors import OrderStateError, PaymentInProgress, PermissionDenied
from smartpay.emulators.faults import Fault

from paypal_support import approve_on_page, cancel_on_page, method_config, paypal  # noqa: F401 (fixture)
from stripe_support import pay_on_page, stripe_config, stripe_emulator  # noqa: F401 (fixture)
from support import billing, build_world, community_order, eod, open_core


@pytest.fixture
def desk(db_url, clock, stripe_emulator, paypal):
    core = open_core(db_url, clock, plugins={"stripe_pay": stripe_config(stripe_emulator),
                                             "paypal_pay": method_config(paypal)})
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    yield core
    core.close()


def post_pay(page_url: str) -> int:
    """POST the hosted page's Pay form (what `curl -X POST <url>/pay` does); the HTTP status."""
    try:
        with urllib.request.urlopen(urllib.request.Request(page_url + "/pay", data=b"", method="POST"),
                                    timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def ak(desk):
    return desk.auth.actor("aktest")


def attempts(txn):
    from smartpay.core.db.models import Order
    return list(PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id))


def test_m3_check_records_a_stripe_payment_made_on_the_hosted_page(desk, stripe_emulator):
    order = community_order(desk, ["apt101"], renew_to="2025-10-30")
    started = desk.payments.pay(ak(desk), order.txn, "stripe")
    waiting = desk.payment_status.check(ak(desk), order.txn)
    assert waiting.order.state == "processing" and waiting.redirect_url == started.redirect_url

    pay_on_page(started.redirect_url)
    paid = desk.payment_status.check(ak(desk), order.txn)
    assert paid.order.state == "succeeded"
    assert Item.get_by_id(desk.world.items["apt101"].id).expires_at == eod(2025, 10, 30)
    again = desk.payment_status.check(ak(desk), order.txn)  # nothing in flight: only reads
    assert again.order.state == "succeeded" and again.message == ""
    assert stripe_emulator.charges_for(order.txn) == 1


def test_m3_check_after_a_lost_status_answer_asks_again(desk, stripe_emulator):
    order = community_order(desk, ["apt101"])
    started = desk.payments.pay(ak(desk), order.txn, "stripe")
    pay_on_page(started.redirect_url)
    stripe_emulator.arm(Fault.HTTP_500, "retrieve_session")
    unsure = desk.payment_status.check(ak(desk), order.txn)
    assert unsure.order.state == "processing"
    assert attempts(order.txn)[-1].state == "unknown"
    assert desk.payment_status.check(ak(desk), order.txn).order.state == "succeeded"
    assert stripe_emulator.charges_for(order.txn) == 1


def test_check_captures_an_approved_paypal_order_once(desk, paypal):
    order = community_order(desk, ["apt102"], renew_to="2025-11-30")
    started = desk.payments.pay(ak(desk), order.txn, "paypal")
    approve_on_page(started.redirect_url)
    assert desk.payment_status.check(ak(desk), order.txn).order.state == "succeeded"
    assert desk.payment_status.check(ak(desk), order.txn).order.state == "succeeded"
    assert paypal.captures_for(order.txn) == 1


def test_check_ends_the_order_failed_when_the_payer_cancels_on_paypal(desk, paypal):
    order = community_order(desk, ["apt101"])
    started = desk.payments.pay(ak(desk), order.txn, "paypal")
    cancel_on_page(started.redirect_url)
    ended = desk.payment_status.check(ak(desk), order.txn)
    assert ended.order.state == "failed" and ended.order.failure_reason
    assert paypal.captures_for(order.txn) == 0


def test_r8_check_past_the_window_closes_the_page_and_times_the_order_out(desk, clock, stripe_emulator):
    order = community_order(desk, ["apt101"])
    started = desk.payments.pay(ak(desk), order.txn, "stripe")
    clock.advance(minutes=desk.settings.order_window_minutes, seconds=1)
    ended = desk.payment_status.check(ak(desk), order.txn)
    assert ended.order.state == "timed_out"
    assert post_pay(started.redirect_url) == 409  # the hosted page can no longer be paid
    assert stripe_emulator.charges_for(order.txn) == 0


def test_r8_check_times_out_an_overdue_order_with_nothing_in_flight(desk, clock):
    order = community_order(desk, ["apt101"])
    clock.advance(minutes=desk.settings.order_window_minutes + 1)
    assert desk.payment_status.check(ak(desk), order.txn).order.state == "timed_out"


def test_only_the_payer_may_check_cancel_or_resume(desk):
    inst = desk.auth.actor("inst_regular")
    from smartpay.core.services.quotes import Selection
    selection = Selection("community", project_ids=(desk.world.community.id,),
                          item_ids=(desk.world.items["apt101"].id,))
    billing(desk, inst)
    order = desk.orders.create(inst, "renewal", selection, accept_terms=True, renew_mode="manual",
                               renew_to="2025-10-30")
    with pytest.raises(PermissionDenied):  # aktest sees the order (downline) but does not pay it
        desk.payment_status.check(ak(desk), order.txn)
    with pytest.raises(PermissionDenied):
        desk.payment_status.cancel(ak(desk), order.txn)
    with pytest.raises(PermissionDenied):
        desk.payment_status.resumable(ak(desk), order.txn)


def test_cancel_closes_the_hosted_page_then_cancels_the_order(desk, stripe_emulator):
    order = community_order(desk, ["apt101"])
    started = desk.payments.pay(ak(desk), order.txn, "stripe")
    cancelled = desk.payment_status.cancel(ak(desk), order.txn)
    assert cancelled.state == "cancelled"
    assert attempts(order.txn)[-1].state == "cancelled"
    assert post_pay(started.redirect_url) == 409
    assert stripe_emulator.charges_for(order.txn) == 0


def test_cancel_after_the_payer_paid_keeps_the_payment(desk, stripe_emulator):
    order = community_order(desk, ["apt101"])
    started = desk.payments.pay(ak(desk), order.txn, "stripe")
    pay_on_page(started.redirect_url)
    assert desk.payment_status.cancel(ak(desk), order.txn).state == "succeeded"
    assert stripe_emulator.charges_for(order.txn) == 1


def test_cancel_is_refused_while_the_provider_cannot_say(desk, stripe_emulator):
    order = community_order(desk, ["apt101"])
    desk.payments.pay(ak(desk), order.txn, "stripe")
    stripe_emulator.arm(Fault.HTTP_500, times=3)  # expire, then the status it falls back on
    with pytest.raises(PaymentInProgress):
        desk.payment_status.cancel(ak(desk), order.txn)
    assert desk.orders.get(ak(desk), order.txn).state == "processing"


def test_resumable_while_processing_even_with_a_page_open(desk):
    order = community_order(desk, ["apt101"])
    assert desk.payment_status.resumable(ak(desk), order.txn).txn == order.txn
    desk.payments.pay(ak(desk), order.txn, "stripe")
    assert desk.payment_status.resumable(ak(desk), order.txn).state == "processing"


def test_r8_a_timed_out_order_is_not_resumable(desk, clock):
    from smartpay.core.errors import OrderTimedOut
    order = community_order(desk, ["apt101"])
    clock.advance(minutes=desk.settings.order_window_minutes, seconds=1)
    with pytest.raises(OrderTimedOut):
        desk.payment_status.resumable(ak(desk), order.txn)
    assert desk.orders.get(ak(desk), order.txn).state == "timed_out"
    with pytest.raises(OrderStateError):  # and stays so
        desk.payment_status.resumable(ak(desk), order.txn)


def test_a_paid_order_is_not_resumable(desk, stripe_emulator):
    order = community_order(desk, ["apt101"])
    started = desk.payments.pay(ak(desk), order.txn, "stripe")
    pay_on_page(started.redirect_url)
    desk.payment_status.check(ak(desk), order.txn)
    with pytest.raises(OrderStateError):
        desk.payment_status.resumable(ak(desk), order.txn)

"""Snapshots of paying: the pending-order screen (a money order with the coupon checklist and a
greyed method with its reason; a credit order with the available credit; coupons checked with
the remainder line), the countdown at the guide's "14:57" (the clock is fixed), the hosted-page
screen with its QR code, and each final state (successful, failed, timed out, cancelled).

Emulator ports vary from run to run, so no snapshot shows one: the QR screen is drawn for a
fixed URL (as the Stripe emulator's page would look on port 12111) and never polls. Update with
`--snapshot-update`, then look at the SVGs before keeping them."""
from __future__ import annotations

from smartpay.tui.screens.hosted_payment import HostedPaymentScreen
from smartpay.tui.screens.payment_result import PaymentResultScreen
from smartpay.tui.screens.pending_order import PendingOrderScreen

from pane_harness import desk_app, settle, steady
from pay_support import (emulators, pay_core, pay_session, renewal_of_test1_in_credits,  # noqa: F401 (fixtures)
                         sunrise_renewal)
from paypal_support import cancel_on_page

SIZE = (100, 36)
SMALL = (80, 24)
FIXED_PAGE = "http://127.0.0.1:12111/c/pay/cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"


def showing(make_screen, then=None):
    """run_before: push the screen `make_screen(app)` builds, wait for its data, then `then(screen)`."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        screen = make_screen(pilot.app)
        pilot.app.push_screen(screen)
        await settle(pilot)
        if then is not None:
            then(screen)
            await settle(pilot)
        await steady(pilot)
    return run_before


def test_snapshot_pending_money_order(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core, items=("Apt 101", "Apt 102"), renew_to="2025-10-30")
    assert snap_compare(desk_app(session), terminal_size=SIZE,
                        run_before=showing(lambda app: PendingOrderScreen(session, order.txn)))


def test_snapshot_pending_money_order_small_terminal(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    assert snap_compare(desk_app(session), terminal_size=SMALL,
                        run_before=showing(lambda app: PendingOrderScreen(session, order.txn)))


def test_snapshot_pending_coupons_checked_with_the_remainder(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    small = pay_core.coupons.issue("aktest", "0.50", "USD", "2026-01-31")

    def check(screen):
        screen.choice.choose("stripe")
        screen.choice.check_coupons(small.code)
    assert snap_compare(desk_app(session), terminal_size=SIZE,
                        run_before=showing(lambda app: PendingOrderScreen(session, order.txn), check))


def test_snapshot_pending_credit_order(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = renewal_of_test1_in_credits(pay_core)
    assert snap_compare(desk_app(session), terminal_size=SIZE,
                        run_before=showing(lambda app: PendingOrderScreen(session, order.txn)))


def test_snapshot_pending_auto_renew_greys_coupons(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core, mode="auto", auto_cycles=2)
    assert snap_compare(desk_app(session), terminal_size=SIZE,
                        run_before=showing(lambda app: PendingOrderScreen(session, order.txn)))


def test_snapshot_countdown_at_14_57(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = renewal_of_test1_in_credits(pay_core)
    pay_core.clock.advance(seconds=3)  # the guide's "Please complete the payment in 14:57"
    assert snap_compare(desk_app(session), terminal_size=SMALL,
                        run_before=showing(lambda app: PendingOrderScreen(session, order.txn)))


def test_snapshot_hosted_page_with_qr_code(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    pay_core.clock.advance(minutes=1, seconds=30)
    assert snap_compare(desk_app(session), terminal_size=(110, 40), run_before=showing(
        lambda app: HostedPaymentScreen(session, order, FIXED_PAGE, "Stripe", poll_interval=3600)))


# -- final states -------------------------------------------------------------------------------------
def test_snapshot_result_successful(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = renewal_of_test1_in_credits(pay_core, renew_to="2025-10-30")
    paid = pay_core.payments.pay(session.actor, order.txn, "credit").order
    assert paid.state == "succeeded"
    assert snap_compare(desk_app(session), terminal_size=SMALL,
                        run_before=showing(lambda app: PaymentResultScreen(session, paid)))


def test_snapshot_result_failed(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    started = pay_core.payments.pay(session.actor, order.txn, "paypal")
    cancel_on_page(started.redirect_url)  # the payer cancels on PayPal's page
    failed = pay_core.payment_status.check(session.actor, order.txn).order
    assert failed.state == "failed"
    assert snap_compare(desk_app(session), terminal_size=SMALL,
                        run_before=showing(lambda app: PaymentResultScreen(session, failed)))


def test_snapshot_result_timed_out(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    pay_core.clock.advance(minutes=16)
    ended = pay_core.payment_status.check(session.actor, order.txn).order
    assert ended.state == "timed_out"
    assert snap_compare(desk_app(session), terminal_size=SMALL,
                        run_before=showing(lambda app: PaymentResultScreen(session, ended)))


def test_snapshot_result_cancelled(snap_compare, pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    cancelled = pay_core.payment_status.cancel(session.actor, order.txn)
    assert cancelled.state == "cancelled"
    assert snap_compare(desk_app(session), terminal_size=SMALL,
                        run_before=showing(lambda app: PaymentResultScreen(session, cancelled)))

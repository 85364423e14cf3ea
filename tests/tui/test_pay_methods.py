"""Paying in the desk, end to end against the local emulators (real SDKs over real HTTP): Stripe
(the payer presses Pay on the emulator's hosted page over HTTP from the test), PayPal (Approve),
coupons, credits, coupons with a Stripe remainder, and a credit purchase whose ledger shows it.
The pending-order screen's status updates by itself (a worker polls core.payment_status) and
each payment ends on its result screen; the order list then shows the result."""
from __future__ import annotations

import pytest

from smartpay.core.db.models import Item
from smartpay.core.domain import OrderState
from smartpay.tui.screens.hosted_payment import HostedPaymentScreen, offline_pay_command
from smartpay.tui.screens.payment_result import PaymentResultScreen
from smartpay.tui.screens.pending_order import PendingOrderScreen
from smartpay.tui.widgets.qr_code import QRCode

from pane_harness import desk_app, settle, until
from pay_support import (emulators, item_id, pay_core, pay_session, sunrise_renewal,  # noqa: F401 (fixtures)
                         renewal_of_test1_in_credits)
from paypal_support import approve_on_page, cancel_on_page
from stripe_support import pay_on_page

POLL = 0.1  # seconds between the hosted-payment screen's checks in these tests


async def open_pending(pilot, session, txn: str) -> PendingOrderScreen:
    screen = PendingOrderScreen(session, txn, poll_interval=POLL)
    await settle(pilot)
    pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.choice is not None and screen.choice.is_mounted, what="the methods")
    await pilot.pause()
    return screen


async def pay_with(pilot, screen: PendingOrderScreen, method: str | None, *coupons: str) -> None:
    if method:
        screen.choice.choose(method)
    if coupons:
        screen.choice.check_coupons(*coupons)
    await pilot.pause()
    await pilot.click("#pending-pay")


async def hosted(pilot) -> HostedPaymentScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, HostedPaymentScreen), what="the hosted payment page")
    await pilot.pause()  # laid out: its buttons can be clicked
    return pilot.app.screen


async def result(pilot) -> PaymentResultScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, PaymentResultScreen), what="the result screen")
    await pilot.pause()
    return pilot.app.screen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


@pytest.mark.asyncio
async def test_pay_with_stripe_on_the_hosted_page(pay_core, pay_session):
    order = sunrise_renewal(pay_core, renew_to="2025-10-30")
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        await pay_with(pilot, pending, "stripe")
        page = await hosted(pilot)
        assert page.query_one(QRCode) is not None
        assert page.url.startswith(pay_core.emulators.stripe.url + "/c/pay/cs_test_")
        assert page.url in text_of(page, "#hosted-url")
        assert text_of(page, "#hosted-offline") == offline_pay_command(page.url)
        await until(pilot, lambda: page.checks >= 1, what="a first status check")
        assert isinstance(pilot.app.screen, HostedPaymentScreen)  # nothing paid yet: still waiting

        pay_on_page(page.url)  # the payer, on a phone
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
        assert "Apt 101" in text_of(done, "#result-expiries") and "2025-10-30 23:59:59" in text_of(done, "#result-expiries")
        await pilot.click("#result-done")
        await until(pilot, lambda: not isinstance(pilot.app.screen, (PaymentResultScreen, PendingOrderScreen)))
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.SUCCEEDED
    assert pay_core.emulators.stripe.charges_for(order.txn) == 1


@pytest.mark.asyncio
async def test_pay_with_paypal_after_the_payer_approves(pay_core, pay_session):
    order = sunrise_renewal(pay_core, items=("Apt 102",), renew_to="2025-11-30")
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        await pay_with(pilot, pending, "paypal")
        page = await hosted(pilot)
        assert "/checkoutnow?token=" in page.url
        approve_on_page(page.url)
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
    assert pay_core.emulators.paypal.captures_for(order.txn) == 1
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.SUCCEEDED


@pytest.mark.asyncio
async def test_paypal_cancelled_by_the_payer_ends_on_the_failure_screen(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        await pay_with(pilot, pending, "paypal")
        page = await hosted(pilot)
        cancel_on_page(page.url)
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Failed"
        assert "Reason" in text_of(done, "#result-summary")
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.FAILED


@pytest.mark.asyncio
async def test_r4_pay_with_coupons_alone(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    big = next(c for c in pay_core.coupons.mine(session.actor, usable_only=True) if c.face_value.amount == 5000)
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        await pay_with(pilot, pending, None, big.code)
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
    after = next(c for c in pay_core.coupons.mine(session.actor) if c.code == big.code)
    assert after.remaining.amount == big.remaining.amount - order.total.amount


@pytest.mark.asyncio
async def test_r4_coupon_with_the_remainder_paid_by_stripe(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    small = pay_core.coupons.issue("aktest", "0.50", "USD")
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        pending.choice.choose("stripe")
        pending.choice.check_coupons(small.code)
        await pilot.pause()
        rest = order.total.amount - 50
        assert (f"the remaining {rest // 100}.{rest % 100:02d} USD is paid by Stripe"
                in text_of(pending, "#method-remainder"))
        await pilot.click("#pending-pay")
        page = await hosted(pilot)
        sessions = pay_core.emulators.stripe.sessions_for(order.txn)
        assert [s["amount_total"] for s in sessions] == [rest]  # Stripe is asked for the remainder only
        pay_on_page(page.url)
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
    assert pay_core.coupons.mine(session.actor) and all(
        c.remaining.amount == 0 for c in pay_core.coupons.mine(session.actor) if c.code == small.code)


@pytest.mark.asyncio
async def test_r3_pay_a_credit_order_with_credits(pay_core, pay_session):
    order = renewal_of_test1_in_credits(pay_core, renew_to="2025-10-30")
    session = pay_session("aktest")
    before = pay_core.credits.my_balance(session.actor)
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        assert text_of(pending, "#pending-credit") == f"Available Credit: {before:,}"
        assert text_of(pending, "#pending-amount") == f"Amount Credit: {order.total.amount:,}"
        assert pending.choice.method == "credit"  # the only eligible method, chosen already
        await pilot.click("#pending-pay")
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
        assert "Test 1" in text_of(done, "#result-expiries")
    assert pay_core.credits.my_balance(session.actor) == before - order.total.amount
    assert Item.get_by_id(item_id(pay_core, "Test 1")).expires_at == order.lines[0].expires_after


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["stripe", "paypal", "coupon"])
async def test_credit_purchase_paid_then_shown_in_the_ledger(pay_core, pay_session, method):
    session = pay_session("aktest")
    order = pay_core.orders.create_credit_purchase(session.actor, 25, accept_terms=True)
    before = pay_core.credits.my_balance(session.actor)
    coupon = next(c for c in pay_core.coupons.mine(session.actor, usable_only=True) if c.face_value.amount == 5000)
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        assert "Transaction Type: Credit Purchase" in text_of(pending, "#pending-summary")
        if method == "coupon":
            await pay_with(pilot, pending, None, coupon.code)
        else:
            await pay_with(pilot, pending, method)
            page = await hosted(pilot)
            (pay_on_page if method == "stripe" else approve_on_page)(page.url)
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
    assert pay_core.credits.my_balance(session.actor) == before + 25
    purchase = pay_core.credits.log(session.actor, kind="purchase")[0]
    assert purchase.amount == 25 and purchase.order_txn == order.txn

"""The pending-order screen: what it shows (the guide's texts, every method with the greyed ones'
reasons, the coupon checklist), refusals that keep the operator's choice (not eligible, timed
out), cancelling, the hosted page timing out, and resuming a processing order from Orders — a
timed-out one cannot be paid."""
from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable, RadioButton

from smartpay.core.domain import OrderState
from smartpay.tui.screens.pending_order import PendingOrderScreen

from pane_harness import desk_app, open_section, settle, until
from pay_support import (emulators, pay_core, pay_session, renewal_of_test1_in_credits,  # noqa: F401 (fixtures)
                         sunrise_renewal)
from stripe_support import pay_on_page
from test_pay_methods import hosted, open_pending, result, text_of


@pytest.mark.asyncio
async def test_pending_order_shows_the_guides_texts_and_every_method(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        summary = text_of(pending, "#pending-summary")
        assert "Transaction Type: Monthly Fee" in summary and f"Transaction Number: {order.txn}" in summary
        assert f"Total Price: {order.total.format()}" in summary
        assert text_of(pending, "#pending-countdown") == "Please complete the payment in 15:00"  # the clock is fixed
        assert "SMART-PLUS PTE. LTD" in text_of(pending, "#pending-payee")
        assert [b.name for b in pending.query(RadioButton)] == ["paypal", "stripe"]  # the eligible ones
        assert pending.choice.method == "paypal"
        assert text_of(pending, "#methods-greyed") == (  # said once, with the plugin's reason
            "Not for this order: Credit — Credit payment is only for commercial projects created after June 1, 2025")
        coupons = pending.query_one("#coupon-list")
        assert coupons.option_count == len(pay_core.coupons.mine(session.actor, usable_only=True))
        assert "50.00 USD left of 50.00 USD · expires 2026-09-10" in str(coupons.get_option_at_index(1).prompt)


@pytest.mark.asyncio
async def test_r7_coupons_are_greyed_for_an_auto_renew_order(pay_core, pay_session):
    order = sunrise_renewal(pay_core, mode="auto", auto_cycles=1)
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        assert "Coupons are not supported for auto-renewal" in text_of(pending, "#methods-greyed")
        assert not pending.query("#coupon-list")


@pytest.mark.asyncio
async def test_r8_paying_after_the_window_is_refused_and_keeps_the_choice(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    coupon = pay_core.coupons.issue("aktest", "0.50", "USD")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        pending.choice.choose("stripe")
        pending.choice.check_coupons(coupon.code)
        await pilot.pause()
        pay_core.clock.advance(minutes=pay_core.settings.order_window_minutes, seconds=1)
        await pilot.click("#pending-pay")
        await until(pilot, lambda: "payment window closed" in text_of(pending, "#pending-message"),
                    what="the refusal")
        assert isinstance(pilot.app.screen, PendingOrderScreen)
        assert pending.choice.method == "stripe" and pending.choice.coupon_codes == (coupon.code,)
        assert pending.query_one("#pending-pay", Button).disabled  # a timed-out order cannot be paid
        assert "Timeout" in text_of(pending, "#pending-message")
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.TIMED_OUT
    assert pay_core.emulators.stripe.sessions_for(order.txn) == []


@pytest.mark.asyncio
async def test_a_method_no_longer_eligible_is_refused_and_keeps_the_choice(pay_core, pay_session):
    session = pay_session("inst_regular")
    pay_core.billing.save(session.actor, "Regular Installs", "Rae Ong", "2 Bay Road, Singapore", "+65 6345 6789")
    order = sunrise_renewal(pay_core, login="inst_regular")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        pending.choice.choose("paypal")
        await pilot.pause()
        # The distributor changes the installer's permission while the order is open.
        pay_core.grants.set_pay_by_installer(pay_core.auth.actor("aktest"), "inst_regular", "credit")
        await pilot.click("#pending-pay")
        await until(pilot, lambda: "PayPal" in text_of(pending, "#pending-message"), what="the refusal")
        assert "Your payment permission is" in text_of(pending, "#pending-message")
        assert pending.choice.method == "paypal"
        assert not pending.query_one("#pending-pay", Button).disabled  # the order is still open
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.PROCESSING


@pytest.mark.asyncio
async def test_r4_the_remainder_line_follows_the_checked_coupons_and_the_method(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    small = pay_core.coupons.issue("aktest", "0.50", "USD")
    big = next(c for c in pay_core.coupons.mine(session.actor, usable_only=True) if c.face_value.amount == 5000)
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        assert text_of(pending, "#method-remainder") == ""
        pending.choice.choose("paypal")
        pending.choice.check_coupons(small.code)
        await pilot.pause()
        rest = order.total.amount - 50
        assert text_of(pending, "#method-remainder") == (
            f"Coupons cover 0.50 USD; the remaining {rest // 100}.{rest % 100:02d} USD is paid by PayPal")
        pending.choice.choose("stripe")
        await pilot.pause()
        assert text_of(pending, "#method-remainder").endswith("is paid by Stripe")
        pending.choice.check_coupons(big.code)
        await pilot.pause()
        assert text_of(pending, "#method-remainder") == f"Coupons cover the whole order ({order.total.format()})"


@pytest.mark.asyncio
async def test_cancelling_on_the_hosted_page_closes_it_and_cancels_the_order(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        pending.choice.choose("stripe")
        await pilot.click("#pending-pay")
        page = await hosted(pilot)
        await pilot.click("#hosted-cancel")
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Order Cancelled"
        url = page.url
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.CANCELLED
    with pytest.raises(AssertionError):  # the hosted page says it can no longer be paid
        pay_on_page(url)


@pytest.mark.asyncio
async def test_r8_the_hosted_page_times_out_on_a_clear_screen(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        pending.choice.choose("stripe")
        await pilot.click("#pending-pay")
        page = await hosted(pilot)
        pay_core.clock.advance(minutes=pay_core.settings.order_window_minutes, seconds=1)
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Timed Out"
        assert "can no longer be paid" in text_of(done, "#result-explanation")
        assert page.closed
    assert pay_core.orders.get(session.actor, order.txn).state == OrderState.TIMED_OUT
    assert pay_core.emulators.stripe.charges_for(order.txn) == 0


async def _orders_pane_on(pilot, txn: str):
    pane = await open_section(pilot, "orders")
    table = pane.query_one("#orders-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(txn))
    await pilot.pause()
    return pane


def _state_in_list(pane, txn: str) -> str:
    table = pane.query_one("#orders-table", DataTable)
    return str(table.get_row(txn)[1])  # State is the second column (identifies the order at 80 columns)


@pytest.mark.asyncio
async def test_resume_an_order_whose_stripe_page_is_open_from_orders(pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    started = pay_core.payments.pay(session.actor, order.txn, "stripe")  # left on the hosted page earlier
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        pilot.app.screen.show_section("orders")
        await settle(pilot)
        pane = await _orders_pane_on(pilot, order.txn)
        await pilot.press("p")
        page = await hosted(pilot)  # straight back to the same page
        assert page.url == started.redirect_url
        pay_on_page(page.url)
        await result(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: _state_in_list(pane, order.txn) == "Successful", what="the list to show it paid")


@pytest.mark.asyncio
async def test_resume_from_order_details_then_pay_with_credits(pay_core, pay_session):
    session = pay_session("aktest")
    order = renewal_of_test1_in_credits(pay_core)
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pane = await _orders_pane_on(pilot, order.txn)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(pilot.app.screen, PendingOrderScreen))
        pending = pilot.app.screen
        await until(pilot, lambda: pending.choice is not None)
        await pilot.click("#pending-pay")
        done = await result(pilot)
        assert text_of(done, "#result-headline") == "Payment Successful"
        await pilot.press("enter")
        await until(pilot, lambda: _state_in_list(pane, order.txn) == "Successful")


@pytest.mark.asyncio
async def test_r8_a_timed_out_order_cannot_be_resumed(pay_core, pay_session):
    session = pay_session("aktest")
    order = sunrise_renewal(pay_core)
    async with desk_app(session).run_test(size=(100, 40)) as pilot:
        pane = await _orders_pane_on(pilot, order.txn)
        pay_core.clock.advance(minutes=pay_core.settings.order_window_minutes + 1)
        await pilot.press("p")
        await until(pilot, lambda: "Not payable" in str(pane.query_one("#orders-status").render()),
                    what="the refusal")
        assert "payment window closed" in str(pane.query_one("#orders-status").render())
        assert not any(isinstance(s, PendingOrderScreen) for s in pilot.app.screen_stack)
        await until(pilot, lambda: _state_in_list(pane, order.txn) == "Timeout")

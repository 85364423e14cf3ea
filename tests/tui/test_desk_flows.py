"""What the operator can trust on the subscription wizard and the Pending Order screen (issue 10):
the method list has the first key and Pay names what it will do; leaving a half-done wizard
asks first; Back on Pending Order returns to the wizard and Pay reopens the same order; credits
bought for an installer land in that installer's balance; the confirmation shows the billing
information and names every item left out; a method that answers "pending" without a page
shows its instructions and the screen follows the order until it settles."""
from __future__ import annotations

import pytest
from textual.widgets import Button, RadioSet
from wizard_steps import accept_terms, calm, next_step, open_wizard, pick, press_radio, type_into

from smartpay.app import demo
from smartpay.core.clock import FixedClock
from smartpay.core.domain import OrderState, Purpose
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus
from smartpay.tui.screens.pending_order import PendingOrderScreen
from smartpay.tui.screens.wizard.screen import SubscriptionWizard
from smartpay.tui.session import Session
from smartpay.tui.widgets.confirm_dialog import ConfirmDialog

from pane_harness import desk_app, until
from pay_support import (emulators, pay_core, pay_session, renewal_of_test1_in_credits,  # noqa: F401 (fixtures)
                         sunrise_renewal)
from support import NOW, FakeCardPlugin, open_core
from test_pay_methods import open_pending, result, text_of
from test_snapshots_wizard import FLOWS, wizard_app


def pay_label(screen) -> str:
    return str(screen.query_one("#pending-pay", Button).label)


def on_screen(widget, size=(80, 24)) -> bool:
    region = widget.region
    return region.height > 0 and region.bottom <= size[1] - 1 and region.right <= size[0]


@pytest.mark.asyncio
async def test_pending_order_methods_take_the_first_key_and_pay_names_its_effect(pay_core, pay_session):
    order = sunrise_renewal(pay_core)
    session = pay_session("aktest")
    coupon = pay_core.coupons.issue("aktest", "0.50", "USD")
    total = order.total
    async with desk_app(session).run_test(size=(80, 24)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        await pilot.pause()
        radios = pending.query_one("#method-radios", RadioSet)
        assert pilot.app.focused is radios                          # not Pay, below the fold
        assert on_screen(radios) and on_screen(pending.query_one("#pending-pay"))
        assert pay_label(pending) == f"Pay {total.format()} with PayPal"
        await pilot.press("down", "space")                          # ↓ Space: Stripe, in the list
        assert pending.choice.method == "stripe"
        assert pay_label(pending) == f"Pay {total.format()} with Stripe"
        pending.choice.check_coupons(coupon.code)
        await pilot.pause()
        rest = total - Money(50, "USD")                             # the 0.50 USD coupon
        assert pay_label(pending) == f"Pay {rest.format()} with Stripe + coupons"
        await pilot.press("ctrl+s")                                 # pays what the button says
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "HostedPaymentScreen", what="the page")
        assert str(pilot.app.screen.query_one("#hosted-title").render()) == "Pay with Stripe"


@pytest.mark.asyncio
async def test_credit_order_says_the_unusable_methods_once(pay_core, pay_session):
    order = renewal_of_test1_in_credits(pay_core, "inst_credit", renew_to="2025-09-30")
    session = pay_session("inst_credit")
    async with desk_app(session).run_test(size=(80, 24)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        greyed = " ".join(text_of(pending, "#methods-greyed").split())
        assert greyed == ('Not for this order: PayPal, Stripe, Coupon — Your payment permission is "Credit '
                          '(Supported for commercial projects created after June 1, 2025)"')
        assert on_screen(pending.query_one("#pending-pay"))
        assert pay_label(pending) == f"Pay {order.total.format()} with Credit"


@pytest.mark.asyncio
async def test_escape_on_a_half_done_wizard_asks_first(session_for):
    app = wizard_app(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        assert wizard.page == "details"
        await pilot.press("escape")
        await calm(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        assert pilot.app.focused is pilot.app.screen.query_one("#confirm-no")  # Stay first: Enter loses nothing
        await pilot.press("escape")                                 # Esc again: stay
        await calm(pilot)
        assert pilot.app.screen is wizard and wizard.page == "details"
        assert wizard.choices.project_type == "community"
        await pilot.press("escape")
        await calm(pilot)
        await pilot.press("y")                                      # Leave
        await calm(pilot)
        assert not isinstance(pilot.app.screen, SubscriptionWizard)


@pytest.mark.asyncio
async def test_back_on_pending_order_returns_to_the_wizard_and_pay_reopens_the_same_order(session_for):
    app = wizard_app(session_for, "inst_credit")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        for page, actions in FLOWS["installer_credit_payment"][1]:
            for action in actions:
                await action(pilot)
        assert wizard.page == "confirm"
        confirm = " ".join(str(wizard.query_one("#wiz-confirm-billing").render()).split())
        assert "Company/Family: Default Company" in confirm and "ATTN: Ben Lim" in confirm and "Fax: --" in confirm
        await next_step(pilot)                                      # Pay: the order is placed
        await until(pilot, lambda: isinstance(pilot.app.screen, PendingOrderScreen), what="Pending Order")
        txn = pilot.app.screen.txn
        await calm(pilot)
        await pilot.press("escape")                                 # Back
        await calm(pilot)
        assert pilot.app.screen is wizard and wizard.page == "confirm"
        assert txn in str(wizard.query_one("#wiz-price").render())
        await next_step(pilot)                                      # Pay again: the same order
        await until(pilot, lambda: isinstance(pilot.app.screen, PendingOrderScreen), what="Pending Order")
        assert pilot.app.screen.txn == txn
    assert len(app.session.core.orders.list(app.session.actor)) == 1


@pytest.mark.asyncio
async def test_r15_credits_bought_for_an_installer_are_for_that_installer(session_for):
    app = wizard_app(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await press_radio(pilot, "wiz-purpose-credit_purchase")
        await pick(pilot, "wiz-installer", "inst_credit")
        await next_step(pilot)
        await type_into(pilot, "wiz-credits", "25")
        await next_step(pilot)
        await next_step(pilot)
        assert "25 for inst_credit" in " ".join(str(wizard.query_one("#wiz-confirm-summary").render()).split())
        await accept_terms(pilot)
        await next_step(pilot)
        await until(pilot, lambda: isinstance(pilot.app.screen, PendingOrderScreen), what="Pending Order")
        txn = pilot.app.screen.txn
    order = app.session.core.orders.get(app.session.actor, txn)
    assert order.credit_for_login == "inst_credit" and order.credit_quantity == 25


@pytest.mark.asyncio
async def test_the_confirmation_names_each_item_left_out(session_for):
    app = wizard_app(session_for, "inst_regular")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        await next_step(pilot)
        await type_into(pilot, "wiz-renew-to", "2025-10-01")       # Apt 102 already runs past it
        await next_step(pilot)
        await next_step(pilot)
        assert wizard.page == "confirm"
        note = " ".join(str(wizard.query_one("#wiz-left-out").render()).split())
        assert note.startswith("Left out (") and "Apt 102 (App, Sunrise Community)" in note


@pytest.fixture
def offline_core(tmp_path):
    """The demo world with one more method: an offline one that answers "pending" with
    instructions and no page (FakeCard answering PENDING, its status PENDING until told)."""
    plugin = FakeCardPlugin(message="Transfer the amount to DBS 012-345678-9 quoting the order number")
    plugin.method.answer = ChargeStatus.PENDING
    plugin.method.status_answer = ChargeStatus.PENDING
    core = open_core(f"sqlite:///{tmp_path / 'offline.db'}", FixedClock(NOW), extra=[("fakecard", plugin)])
    demo.seed(core)
    core.card = plugin.method
    yield core
    core.close()


@pytest.mark.asyncio
async def test_a_pending_method_without_a_page_shows_its_instructions_and_follows_the_order(offline_core):
    core = offline_core
    session = Session(core, core.auth.login("aktest", demo.DEMO_PASSWORD))
    order = sunrise_renewal(core)
    async with desk_app(session).run_test(size=(80, 24)) as pilot:
        pending = await open_pending(pilot, session, order.txn)
        pending.poll_interval = 0.1
        pending.choice.choose("fakecard")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "DBS 012-345678-9" in text_of(pending, "#pending-message"), what="instructions")
        assert isinstance(pilot.app.screen, PendingOrderScreen)
        assert "Status: Processing" in text_of(pending, "#pending-message")
        core.card.status_answer = ChargeStatus.PROCESSED            # the transfer arrives
        shown = await result(pilot)
        assert shown.order.state == OrderState.SUCCEEDED
        assert "Fake Card" in text_of(shown, "#result-summary")      # what paid it

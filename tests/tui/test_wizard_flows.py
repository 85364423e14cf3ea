"""The subscription wizard end to end on the demo world: every flow places the order the core
would place from the CLI, and Pay opens the Pending Order screen with its transaction number."""
from __future__ import annotations

import datetime as dt

import pytest
from wizard_steps import (accept_terms, back_step, check_only, next_step, open_wizard, pick, press_radio,
                          services_only, sites, type_into)

from smartpay.core.errors import NotEligible
from smartpay.tui.app import SmartpayApp

GMT8 = dt.timezone(dt.timedelta(hours=8))


def app_for(session_for, login: str) -> SmartpayApp:
    session = session_for(login)
    if session.core.billing.get(session.actor) is None:
        session.core.billing.save(session.actor, "Sunrise Estates", "Mia Wong", "2 Garden Road", "+65 6345 6789")
    return SmartpayApp(session.core, session=session)


async def pay(pilot) -> None:
    await accept_terms(pilot)
    await next_step(pilot)


@pytest.mark.asyncio
async def test_credit_payment_as_in_the_seed_guide(session_for):
    """inst_credit renews "New Commercial" to 2025-09-30 in credits: the seed's two items."""
    app = app_for(session_for, "inst_credit")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        assert wizard.choices.pay_in == "credit"  # the installer's grant is Credit
        await next_step(pilot)
        await check_only(pilot, "New Commercial")
        await next_step(pilot)
        await type_into(pilot, "wiz-renew-to", "2025-09-30")
        summary = str(wizard.query_one("#wiz-renew-summary").render())
        for expected in ("Renew To: 2025-09-30 GMT+8:00", "Number of Renewal Door(s): 0",
                         "Number of Renewal Personnel App(s): 1", "Number of Renewal Admin App(s): 0",
                         "Number of Renewal Premium Feature(s): 1", "Total Credit:"):
            assert expected in summary
        await next_step(pilot)
        await next_step(pilot)
        assert wizard.page == "confirm"
        table = wizard.query_one("#wiz-items")
        # At 80 columns the row leads with what the item is, what it costs and to when it is paid.
        assert [str(c.label) for c in table.columns.values()] == [
            "Name", "Service Type", "Credit", "Next Expiration Time", "Expiration Time", "Site", "Company", "Email"]
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:2] + r[5:] for r in rows] == [["Test 1", "Personnel App", "New Commercial", "Default Company", "--"],
                                                 ["Attendance", "Premium Feature", "New Commercial", "--", "--"]]
        assert rows[1][3] == "2025-09-30 23:59:59" and rows[1][4] == "2025-06-23 14:55:06"
        assert all(int(r[2]) > 0 for r in rows)
        await pay(pilot)
        assert type(app.screen).__name__ == "PendingOrderScreen"
        txn = app.screen.txn
    order = app.session.core.orders.get(app.session.actor, txn)
    assert order.total.is_credit and order.renew_to == dt.date(2025, 9, 30)
    assert sorted(line.subject_name for line in order.lines) == ["Attendance", "Test 1"]
    assert order.total.amount == wizard.quote.total_credits


@pytest.mark.asyncio
async def test_distributor_auto_renew_places_an_auto_order(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-installer", "inst_regular")
        await pick(pilot, "wiz-type", "single_family")
        await next_step(pilot)
        await next_step(pilot)
        await press_radio(pilot, "wiz-mode-auto")
        await type_into(pilot, "wiz-cycles", "3")
        await next_step(pilot)
        await next_step(pilot)
        await pay(pilot)
        txn = app.screen.txn
    order = app.session.core.orders.get(app.session.actor, txn)
    assert (order.renew_mode, order.auto_cycles, order.payer_login) == ("auto", 3, "aktest")
    assert [line.subject_name for line in order.lines] == ["Lee Family"]


@pytest.mark.asyncio
async def test_distributor_buys_credits(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await press_radio(pilot, "wiz-purpose-credit_purchase")
        await next_step(pilot)
        assert wizard.page == "credits"
        await type_into(pilot, "wiz-credits", "250")
        assert "250.00 USD" in str(wizard.query_one("#wiz-credit-price").render())
        await next_step(pilot)
        await next_step(pilot)
        await pay(pilot)
        txn = app.screen.txn
    order = app.session.core.orders.get(app.session.actor, txn)
    assert (order.purpose, order.credit_quantity, order.total.amount) == ("credit_purchase", 250, 25000)


@pytest.mark.asyncio
async def test_pm_activates_on_its_project(session_for):
    app = app_for(session_for, "pm_regular")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        assert wizard.choices.project_type == "community"  # from the project switched to
        await press_radio(pilot, "wiz-purpose-activation")
        await next_step(pilot)
        assert [row[0] for row in sites(pilot).all_rows] == ["Sunrise Community"]
        await next_step(pilot)
        await next_step(pilot)
        await pay(pilot)
        txn = app.screen.txn
    order = app.session.core.orders.get(app.session.actor, txn)
    assert order.purpose == "activation" and [line.subject_name for line in order.lines] == ["Apt 103"]


@pytest.mark.asyncio
async def test_price_follows_the_selection(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        price = lambda: str(wizard.query_one("#wiz-price").render())  # noqa: E731
        both = price()
        assert "5 item(s)" in both
        await check_only(pilot, "Harbour View")
        assert "1 item(s)" in price() and price() != both
        await check_only(pilot, "Harbour View", "Sunrise Community")
        await services_only(pilot, "app")
        assert "3 item(s) · 1 left out" in price()  # Apt 103 was never activated


@pytest.mark.asyncio
async def test_back_keeps_every_choice(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        await check_only(pilot, "Harbour View")
        await services_only(pilot, "app", "pm_app")
        await next_step(pilot)
        await type_into(pilot, "wiz-renew-to", "2025-11-30")
        await back_step(pilot)
        await back_step(pilot)
        assert wizard.page == "types"
        await next_step(pilot)
        assert [row[0] for key, row in zip(sites(pilot).all_keys, sites(pilot).all_rows)
                if key in sites(pilot).checked] == ["Harbour View"]
        assert sorted(wizard.query_one("#wiz-services").selected) == ["app", "pm_app"]
        await next_step(pilot)
        assert wizard.query_one("#wiz-renew-to").value == "2025-11-30"


@pytest.mark.asyncio
async def test_the_subscription_pane_opens_the_wizard_with_its_key(session_for):
    app = app_for(session_for, "inst_regular")
    async with app.run_test(size=(80, 24)) as pilot:
        from shell_helpers import open_section, settle
        pane = await open_section(pilot, "subscription")
        pane.query_one("#subscription-table").focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert type(app.screen).__name__ == "SubscriptionWizard"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "home-screen"


def test_not_eligible_is_the_wizard_error_type():
    # The wizard reports the credit verdict as NotEligible: the app titles it "Not eligible".
    from smartpay.tui.widgets.feedback import error_title
    assert error_title(NotEligible("x")) == "Not eligible"


def test_the_confirmation_table_keeps_the_seed_order_from_120_columns():
    from smartpay.core.domain import PayIn
    from smartpay.tui.screens.wizard.confirmation import item_columns
    assert item_columns(PayIn.MONEY, 120) == ("Site", "Company", "Service Type", "Name", "Email", "Price",
                                                "Expiration Time", "Next Expiration Time")
    assert item_columns(PayIn.CREDIT, 80)[:4] == ("Name", "Service Type", "Credit", "Next Expiration Time")

"""Subscription (read-only for now): the operator's items and expiries, soonest first."""
from __future__ import annotations

import pytest
from pane_harness import settle
from shell_helpers import open_section

from smartpay.tui.app import SmartpayApp
from smartpay.tui.widgets.virtual_table import VirtualTable


@pytest.mark.asyncio
async def test_subscription_lists_items_by_expiry_with_a_summary(session_for):
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "subscription")
        table = pane.query_one(VirtualTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert len(rows) == 7
        assert rows[0][:2] == ["2025-09-07 23:59", "Expired"] and rows[0][4] == "Sunrise Community"
        assert [r[1] for r in rows[-2:]] == ["Inactive", "Inactive"]  # never activated: last
        summary = str(pane.query_one("#subscription-summary").render())
        assert summary.startswith("7 items · 4 active (3 expire within 30 days) · 1 expired · 2 never activated")


@pytest.mark.asyncio
async def test_pm_sees_only_the_projects_it_manages(session_for):
    app = SmartpayApp(session_for("pm_credit").core, session=session_for("pm_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "subscription")
        table = pane.query_one(VirtualTable)
        assert {str(table.get_row_at(i)[4]) for i in range(table.row_count)} == {"New Commercial"}


@pytest.mark.asyncio
async def test_new_subscription_opens_the_wizard_and_reloads_after_an_order(session_for):
    from smartpay.tui.screens.subscription import SubscriptionPane
    assert ("New subscription / Pay", "Activate or renew services, or buy credits",
            "new_subscription") in SubscriptionPane.PALETTE
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "subscription")
        pane.action_new_subscription()
        await pilot.pause()
        assert type(app.screen).__name__ == "SubscriptionWizard"
        # Pay comes after the wizard has loaded: closing it while its steps are still mounting
        # raced them (a step's on_mount querying children already removed) on a loaded machine.
        await settle(pilot)
        reloads = []
        pane._load = lambda: reloads.append(1)
        app.screen.dismiss("12345678901234567")  # as after Pay: the pane reads the expiries again
        await pilot.pause()
        assert app.screen.id == "home-screen" and reloads == [1]

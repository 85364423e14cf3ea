"""Orders pane (R8 on screen): SmartPlus's labels, the details modal, cancelling a processing
order with confirmation, and the core's refusal for any other."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable

from smartpay.core.domain import OrderState
from smartpay.tui.screens.order_details import OrderDetailsModal
from smartpay.tui.widgets.confirm_dialog import ConfirmDialog

from pane_harness import credit_renewal_order, desk_app, open_section, settle


def _rows(pane) -> list[list[str]]:
    table = pane.query_one("#orders-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _orders(core):
    """A processing credit renewal (Monthly Fee) and a cancelled money activation, both inst_credit's."""
    from smartpay.core.services.quotes import Selection
    from pane_harness import project_id
    renewal = credit_renewal_order(core)
    actor = core.auth.actor("inst_credit")
    activation = core.orders.create(actor, "activation", Selection(
        "commercial", installer="inst_credit", project_ids=(project_id(core, "New Commercial"),)), accept_terms=True)
    core.orders.cancel(actor, activation.txn)
    return renewal, activation


@pytest.mark.asyncio
async def test_r8_orders_list_shows_smartplus_labels(session_for, demo_core):
    renewal, activation = _orders(demo_core)
    app = desk_app(session_for("inst_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "orders")
        rows = {r[0]: r for r in _rows(pane)}
        assert rows[renewal.txn] == [renewal.txn, "Processing", "Monthly Fee", "4 credits", "2",
                                     "2025-09-10 14:00"]   # the zone is in the header: "Created (GMT+8)"
        assert rows[activation.txn][1:5] == ["Cancelled", "Activation", "15.00 USD", "1"]
        assert "1 processing" in str(pane.query_one("#orders-status").render())


@pytest.mark.asyncio
async def test_credit_purchase_order_has_no_items(session_for, demo_core):
    order = demo_core.orders.create_credit_purchase(demo_core.auth.actor("aktest"), 30, accept_terms=True)
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "orders")
        assert _rows(pane)[0][:5] == [order.txn, "Processing", "Credit Purchase", order.total.format(), "--"]


@pytest.mark.asyncio
async def test_order_details_show_lines_expiries_and_billing(session_for, demo_core):
    renewal, _ = _orders(demo_core)
    app = desk_app(session_for("inst_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "orders")
        table = pane.query_one("#orders-table", DataTable)
        table.move_cursor(row=table.get_row_index(renewal.txn))
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, OrderDetailsModal)
        summary = str(modal.query_one("#details-summary").render())
        assert "Monthly Fee" in summary and renewal.txn in summary and "Processing" in summary
        assert "Renew To" in summary and "2025-09-30" in summary
        assert "Default Company" in str(modal.query_one("#details-billing").render())
        lines = modal.query_one("#details-lines", DataTable)
        got = [[str(c) for c in lines.get_row_at(i)] for i in range(lines.row_count)]
        # Test 1 expires 2025-09-15 (five days after the demo's today): 15 days to 2025-09-30. Attendance
        # expired 2025-06-23, so it pays from today: 21 days.
        assert got == [
            ["New Commercial", "Personnel App", "Test 1", "15", "1 credit", "2025-09-15 23:59:59 GMT+8:00",
             "2025-09-30 23:59:59 GMT+8:00"],
            ["New Commercial", "Premium Feature", "Attendance", "21", "3 credits", "2025-06-23 14:55:06 GMT+8:00",
             "2025-09-30 23:59:59 GMT+8:00"],
        ]
        assert "none yet" in str(modal.query_one("#details-attempts-heading").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "HomeScreen"


@pytest.mark.asyncio
async def test_r8_cancel_a_processing_order_after_confirmation(session_for, demo_core):
    renewal, _ = _orders(demo_core)
    app = desk_app(session_for("inst_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "orders")
        table = pane.query_one("#orders-table", DataTable)
        table.move_cursor(row=table.get_row_index(renewal.txn))
        table.focus()
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert str(app.screen.query_one("#confirm-question").render()) == f"Cancel order {renewal.txn}?"
        await pilot.press("y")
        await settle(pilot)
        assert {r[0]: r[1] for r in _rows(pane)}[renewal.txn] == "Cancelled"
        assert f"Order {renewal.txn} cancelled." in str(pane.query_one("#orders-status").render())
    actor = demo_core.auth.actor("inst_credit")
    assert demo_core.orders.get(actor, renewal.txn).state == OrderState.CANCELLED


@pytest.mark.asyncio
async def test_cancelling_a_cancelled_order_shows_the_core_refusal(session_for, demo_core):
    _, activation = _orders(demo_core)
    app = desk_app(session_for("inst_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "orders")
        table = pane.query_one("#orders-table", DataTable)
        table.move_cursor(row=table.get_row_index(activation.txn))
        table.focus()
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        status = str(pane.query_one("#orders-status").render())
        assert f"order {activation.txn} is Cancelled; only a processing order can be cancelled" in status
        assert any("only a processing order" in n.message for n in app._notifications)


@pytest.mark.asyncio
async def test_a_distributor_cannot_cancel_a_downline_order_the_core_says_so(session_for, demo_core):
    renewal, _ = _orders(demo_core)
    ak = session_for("aktest")
    with pytest.raises(Exception) as refused:
        ak.core.orders.cancel(ak.actor, renewal.txn)
    assert "only the payer may cancel it" in str(refused.value)

"""R14 in the TUI: text planted in the database is drawn with visible escapes, never as terminal
commands — in a label (the order's billing block) and in a table cell (the order's lines)."""
from __future__ import annotations

import json

import pytest
from textual.geometry import Region
from textual.widgets import DataTable

from smartpay.core.db.models import Item, Order
from smartpay.core.terminal_text import first_unsafe
from smartpay.tui.screens.order_details import OrderDetailsModal

from pane_harness import credit_renewal_order, desk_app, open_section, settle

EVIL = "Evil\x1b]0;pwned\x07\x1b[2J"


def _drawn(widget) -> list[str]:
    """The lines as Textual hands them to the terminal (the app's line filters applied)."""
    width, height = widget.size
    return ["".join(segment.text for segment in strip) for strip in widget.render_lines(Region(0, 0, width, height))]


@pytest.mark.asyncio
async def test_r14_order_details_draw_planted_text_escaped(session_for, demo_core):
    order = credit_renewal_order(demo_core)
    row = Order.get(Order.txn == order.txn)
    stored = json.loads(row.billing_json)
    stored["company"] = EVIL
    Order.update(billing_json=json.dumps(stored)).where(Order.id == row.id).execute()
    Item.update(subject_name="Test\u202e1").where(Item.subject_name == "Test 1").execute()
    app = desk_app(session_for("inst_credit"))
    async with app.run_test(size=(100, 40)) as pilot:
        pane = await open_section(pilot, "orders")
        table = pane.query_one("#orders-table", DataTable)
        table.move_cursor(row=table.get_row_index(order.txn))
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, OrderDetailsModal)
        billing = _drawn(modal.query_one("#details-billing"))
        lines = _drawn(modal.query_one("#details-lines", DataTable))
        assert any("Evil\\x1b]0;pwned\\x07\\x1b[2J" in line for line in billing), billing
        assert any("Test\\u202e1" in line for line in lines), lines
        for line in billing + lines:
            assert first_unsafe(line) is None, repr(line)

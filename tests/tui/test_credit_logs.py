"""Credit Logs pane (R11 on screen): balance, sparkline, the ledger in platform time, filters,
who may assign, CSV export, and a 10,000-entry ledger."""
from __future__ import annotations

import csv

import pytest
from textual.widgets import DataTable, Input, Select, Sparkline

from smartpay.core.errors import PermissionDenied
from smartpay.tui.screens.credit_logs import PAGE_SIZE, CreditLogsPane
from smartpay.tui.screens.export_csv import ExportCsvModal

from pane_harness import bulk_ledger, desk_app, open_section, settle


def _cells(pane) -> list[list[str]]:
    table = pane.query_one("#ledger-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _type(pilot, pane, text: str) -> None:
    box = pane.query_one("#ledger-filter", Input)
    box.focus()
    await pilot.pause()
    await pilot.press(*text) if text else None
    pane._filter_later.flush()
    await pilot.pause()


@pytest.mark.asyncio
async def test_r11_distributor_sees_balance_sparkline_and_ledger_in_platform_time(session_for):
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        assert isinstance(pane, CreditLogsPane)
        assert "Available Credit: 360" in str(pane.query_one("#available-credit").render())
        assert list(pane.query_one(Sparkline).data) == [0, 500, 400, 360]
        rows = _cells(pane)
        # Newest first: the demo sold 500 offline, then assigned 100 to inst_credit and 40 to pm_credit.
        assert rows == [
            ["2025-09-10 14:00", "Assigned Out", "-40", "pm_credit", "360", "--", ""],
            ["2025-09-10 14:00", "Assigned Out", "-100", "inst_credit", "400", "--", ""],
            ["2025-09-10 14:00", "Purchase", "+500", "--", "500", "--", "DEMO-INV-0001 (offline sale)"],
        ]
        assert "3 entries" in str(pane.query_one("#ledger-status").render())


@pytest.mark.asyncio
async def test_filter_by_text_and_type_refills_the_table(session_for):
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        await _type(pilot, pane, "inst_cr")
        assert [r[3] for r in _cells(pane)] == ["inst_credit"]
        assert "1 of 3 entries" in str(pane.query_one("#ledger-status").render())

        pane.query_one("#ledger-filter", Input).value = ""
        pane._filter_later.flush()
        pane.query_one("#ledger-kind", Select).value = "purchase"
        await pilot.pause()
        assert [r[1] for r in _cells(pane)] == ["Purchase"]

        await _type(pilot, pane, "nobody-matches")
        assert _cells(pane) == []
        assert "No entries match" in str(pane.query_one("#ledger-status").render())


@pytest.mark.asyncio
@pytest.mark.parametrize("login", ["inst_credit", "pm_credit"])
async def test_r11_installer_and_pm_have_no_assign_and_the_core_refuses(session_for, login):
    session = session_for(login)
    app = desk_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        assert "Available Credit: " in str(pane.query_one("#available-credit").render())
        assert pane.check_action("assign", ()) is False
        footer_keys = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "assign" not in footer_keys
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "HomeScreen"  # no assign modal
        # Not only hidden: the core itself refuses, whatever the screen does.
        with pytest.raises(PermissionDenied):
            session.core.credits.assign(session.actor, "inst_none", 1)
        with pytest.raises(PermissionDenied):
            session.core.credits.check_assign(session.actor, "inst_none", 1)


@pytest.mark.asyncio
async def test_installer_ledger_shows_what_was_assigned_in(session_for):
    app = desk_app(session_for("inst_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        assert "Available Credit: 100" in str(pane.query_one("#available-credit").render())
        assert _cells(pane) == [["2025-09-10 14:00", "Assigned In", "+100", "aktest", "100", "--", ""]]


@pytest.mark.asyncio
async def test_export_csv_writes_the_filtered_rows_and_never_overwrites_silently(session_for, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        await _type(pilot, pane, "out")  # "Assigned Out" entries only
        assert len(_cells(pane)) == 2
        pane.query_one("#ledger-table").focus()
        await pilot.press("x")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExportCsvModal)
        default = tmp_path / "credit-log-aktest-2025-09-10.csv"
        assert modal.query_one("#export-path", Input).value == str(default)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        assert any(str(default) in n.message and "Wrote 2 entries" in n.message for n in app._notifications)
        with open(default, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["Time", "Type", "Amount", "Balance After", "By", "Counterparty", "Order", "Reference"]
        assert [(r[1], r[2], r[5]) for r in rows[1:]] == [("Assigned Out", "-40", "pm_credit"),
                                                          ("Assigned Out", "-100", "inst_credit")]
        assert rows[1][0] == "2025-09-10 14:00:00 GMT+8:00"

        # Again: the suggestion avoids the existing file; typing its name asks before replacing.
        await pilot.press("x")
        await settle(pilot)
        modal = app.screen
        assert modal.query_one("#export-path", Input).value == str(tmp_path / "credit-log-aktest-2025-09-10-2.csv")
        modal.query_one("#export-path", Input).value = str(default)
        before = default.read_text(encoding="utf-8")
        default.write_text("keep me", encoding="utf-8")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Replace" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("n")
        await settle(pilot)
        assert default.read_text(encoding="utf-8") == "keep me"
        assert app.screen is modal
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert default.read_text(encoding="utf-8") == before


@pytest.mark.asyncio
async def test_export_refuses_a_missing_folder_under_the_path_field(session_for, tmp_path):
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        pane.action_export_csv()
        await settle(pilot)
        box = app.screen.query_one("#export-path", Input)
        box.value = str(tmp_path / "no-such-dir" / "log.csv")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(app.screen.query_one("#field-path .form-field-error").render())
        assert "does not exist" in error
        assert box.value.endswith("log.csv")  # kept


@pytest.mark.asyncio
async def test_ten_thousand_entry_ledger_loads_and_filters(session_for, demo_core):
    final = bulk_ledger(demo_core, "aktest", 10_000)
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        assert len(pane.entries) == 10_003
        assert f"Available Credit: {final:,}" in str(pane.query_one("#available-credit").render())
        table = pane.query_one("#ledger-table", DataTable)
        assert table.row_count == PAGE_SIZE  # one page
        assert f"showing 1–{PAGE_SIZE}" in str(pane.query_one("#ledger-status").render())
        await pilot.press("n")
        assert f"showing {PAGE_SIZE + 1}–{2 * PAGE_SIZE}" in str(pane.query_one("#ledger-status").render())
        await pilot.press("p")
        assert pane.page == 0
        await _type(pilot, pane, "BULK-0999")
        # Purchases carry references; every third bulk entry is an assign_out without one.
        expected = [f"BULK-{i:05d}" for i in range(9999, 9989, -1) if i % 3]
        assert [r[6] for r in _cells(pane)] == expected
        assert pane.page == 0


@pytest.mark.asyncio
async def test_a_ledger_row_says_with_whom_at_80_columns(session_for):
    """Issue 10 #12: "Assigned Out -100" names who received them without scrolling."""
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "credit_logs")
        table = pane.query_one("#ledger-table", DataTable)
        shown = table.scrollable_content_region.width
        left = 0
        for column in table.columns.values():
            if str(column.label) == "Counterparty":
                break
            left += column.get_render_width(table)
        assert left + column.get_render_width(table) <= shown
        assert [str(c.label) for c in table.columns.values()][:4] == \
            ["Time (GMT+8)", "Type", "Amount", "Counterparty"]

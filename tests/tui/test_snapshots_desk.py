"""Snapshots of Credit Logs, Assign, Orders, Order details and Billing information, per role that
sees them, at 80×24 (and Credit Logs at 120×40), in the real app with its left column. Data and
time come from the fixtures (demo world, FixedClock, SeededIds). Update with
`--snapshot-update`, then look at the SVGs before keeping them."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from pane_harness import credit_renewal_order, desk_app, open_section, settle, steady

SMALL = (80, 24)


def section(key: str, then=None):
    """run_before: open a section of the left column, wait for its data, then `then(pilot)`."""
    async def run_before(pilot) -> None:
        await open_section(pilot, key)
        if key != "credit_logs" or then is None:
            pilot.app.screen.query_one(f"#pane-{key} DataTable", DataTable).focus()
        if then is not None:
            await then(pilot)
        await steady(pilot)
    return run_before


async def _assign(pilot) -> None:
    pilot.app.screen.query_one("#pane-credit_logs").action_assign()
    await settle(pilot)


def _assign_typed(amount: str, user: str, submit: bool = True):
    async def run(pilot) -> None:
        await _assign(pilot)
        modal = pilot.app.screen
        modal.query_one("#assign-amount", Input).value = amount
        modal.query_one("#assign-user", Input).value = user
        modal.query_one("#assign-user", Input).focus()
        await settle(pilot)
        if submit:
            await pilot.press("ctrl+s")
    return run


@pytest.mark.parametrize("login", ["aktest", "inst_credit", "pm_credit"])
def test_snapshot_credit_logs(snap_compare, session_for, login):
    assert snap_compare(desk_app(session_for(login)), terminal_size=SMALL, run_before=section("credit_logs"))


def test_snapshot_credit_logs_large(snap_compare, session_for):
    assert snap_compare(desk_app(session_for("aktest")), terminal_size=(120, 40), run_before=section("credit_logs"))


def test_snapshot_credit_logs_filtered(snap_compare, session_for):
    async def filtered(pilot):
        pane = pilot.app.screen.query_one("#pane-credit_logs")
        pane.query_one("#ledger-filter", Input).value = "inst"
        pane._filter_later.flush()
    assert snap_compare(desk_app(session_for("aktest")), terminal_size=SMALL,
                        run_before=section("credit_logs", filtered))


@pytest.mark.parametrize("login", ["aktest", "aksub"])
def test_snapshot_assign_modal(snap_compare, session_for, login):
    assert snap_compare(desk_app(session_for(login)), terminal_size=SMALL, run_before=section("credit_logs", _assign))


def test_snapshot_assign_confirmation(snap_compare, session_for):
    assert snap_compare(desk_app(session_for("aktest")), terminal_size=SMALL,
                        run_before=section("credit_logs", _assign_typed("250", "inst_credit")))


def test_snapshot_assign_validation_error(snap_compare, session_for):
    assert snap_compare(desk_app(session_for("aktest")), terminal_size=SMALL,
                        run_before=section("credit_logs", _assign_typed("500", "inst_credit")))


@pytest.mark.parametrize("login", ["inst_credit", "aktest"])
def test_snapshot_orders(snap_compare, session_for, demo_core, login):
    credit_renewal_order(demo_core)
    demo_core.orders.create_credit_purchase(demo_core.auth.actor("aktest"), 30, accept_terms=True)
    assert snap_compare(desk_app(session_for(login)), terminal_size=SMALL, run_before=section("orders"))


def test_snapshot_order_details(snap_compare, session_for, demo_core):
    credit_renewal_order(demo_core)

    async def details(pilot):
        await pilot.press("enter")
    assert snap_compare(desk_app(session_for("inst_credit")), terminal_size=SMALL,
                        run_before=section("orders", details))


def test_snapshot_order_cancel_confirmation(snap_compare, session_for, demo_core):
    credit_renewal_order(demo_core)

    async def cancel(pilot):
        await pilot.press("c")
    assert snap_compare(desk_app(session_for("inst_credit")), terminal_size=SMALL,
                        run_before=section("orders", cancel))


def _billing(then=None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.open_billing_info()
        await settle(pilot)
        if then is not None:
            await then(pilot)
        await steady(pilot)
    return run_before


@pytest.mark.parametrize("login", ["aktest", "inst_regular"])
def test_snapshot_billing_info(snap_compare, session_for, login):
    assert snap_compare(desk_app(session_for(login)), terminal_size=SMALL, run_before=_billing())


def test_snapshot_billing_info_field_errors(snap_compare, session_for):
    async def bad(pilot):
        modal = pilot.app.screen
        modal.query_one("#billing-attn", Input).value = ""
        modal.query_one("#billing-tel", Input).value = "12-ab"
        await pilot.press("ctrl+s")
    assert snap_compare(desk_app(session_for("aktest")), terminal_size=SMALL, run_before=_billing(bad))

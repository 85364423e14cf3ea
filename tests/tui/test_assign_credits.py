"""Assign credits from the Credit Logs pane (R11): the confirmation step, the ledger pair, and
refusals shown under the field they name with the form's values kept."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, OptionList

from smartpay.tui.screens.assign_credits import AssignCreditsModal
from smartpay.tui.widgets.confirm_dialog import ConfirmDialog

from pane_harness import desk_app, open_section, settle


async def _open_assign(pilot):
    pane = await open_section(pilot, "credit_logs")
    pane.query_one("#ledger-table").focus()
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AssignCreditsModal)
    return pane, pilot.app.screen


async def _fill(pilot, modal, amount: str, user: str) -> None:
    modal.query_one("#assign-amount", Input).focus()
    await pilot.press(*amount)
    modal.query_one("#assign-user", Input).focus()
    await pilot.press(*user)
    await pilot.pause()


def _error(modal, field: str) -> str:
    return str(modal.query_one(f"#field-{field} .form-field-error").render())


@pytest.mark.asyncio
async def test_r11_assign_with_confirmation_updates_balance_and_log(session_for, demo_core):
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane, modal = await _open_assign(pilot)
        assert "Available Credit: 360" in str(modal.query_one("#assign-available").render())
        await _fill(pilot, modal, "250", "inst_cr")
        # The downline list narrows as the operator types.
        users = modal.query_one("#assign-users", OptionList)
        assert [users.get_option_at_index(i).id for i in range(users.option_count)] == ["inst_credit"]
        users.focus()
        users.highlighted = 0
        await pilot.press("enter")
        assert modal.query_one("#assign-user", Input).value == "inst_credit"
        await pilot.press("ctrl+s")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert str(confirm.query_one("#confirm-question").render()) == "Assign 250 credits to inst_credit?"
        assert demo_core.credits.balance(demo_core.auth.actor("aktest").id) == 360  # nothing written yet
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "HomeScreen"
        assert "Available Credit: 110" in str(pane.query_one("#available-credit").render())
        top = [str(c) for c in pane.query_one("#ledger-table", DataTable).get_row_at(0)]
        assert top[1:5] == ["Assigned Out", "-250", "inst_credit", "110"]
    # The ledger pair (R11): assign_out for the distributor, assign_in for the installer.
    out = demo_core.credits.log(demo_core.auth.actor("aktest"))[0]
    into = demo_core.credits.log(demo_core.auth.actor("inst_credit"))[0]
    assert (out.kind, out.amount, out.counterparty_login) == ("assign_out", -250, "inst_credit")
    assert (into.kind, into.amount, into.balance_after, into.counterparty_login) == ("assign_in", 250, 350, "aktest")


@pytest.mark.asyncio
async def test_saying_no_at_the_confirmation_assigns_nothing(session_for, demo_core):
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        _, modal = await _open_assign(pilot)
        await _fill(pilot, modal, "10", "inst_none")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is modal
        assert modal.query_one("#assign-amount", Input).value == "10"
    assert demo_core.credits.balance(demo_core.auth.actor("inst_none").id) == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("login, amount, user, field, message", [
    ("aktest", "ten", "inst_credit", "amount", "Amount: “ten” is not a whole number"),
    ("aktest", "0", "inst_credit", "amount", "must be greater than 0"),
    ("aktest", "361", "inst_credit", "amount", "361 is more than your available credit (360)"),
    ("aktest", "5", "nobody_here", "user", "no account 'nobody_here'"),
    ("aktest", "5", "aktest", "user", "no account 'aktest' in your downline"),
])
async def test_assign_refusals_name_the_field_and_keep_the_values(session_for, demo_core, login, amount, user,
                                                                   field, message):
    app = desk_app(session_for(login))
    async with app.run_test(size=(80, 24)) as pilot:
        _, modal = await _open_assign(pilot)
        await _fill(pilot, modal, amount, user)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal  # no confirmation for a refused form
        assert message in _error(modal, field)
        other = "user" if field == "amount" else "amount"
        assert _error(modal, other) == ""
        assert modal.query_one("#assign-amount", Input).value == amount
        assert modal.query_one("#assign-user", Input).value == user
    assert demo_core.credits.balance(demo_core.auth.actor("aktest").id) == 360


@pytest.mark.asyncio
async def test_a_sub_distributor_cannot_assign_outside_its_own_downline(session_for, demo_core):
    ak = demo_core.auth.actor("aktest")
    demo_core.credits.assign(ak, "aksub", 50)
    app = desk_app(session_for("aksub"))
    async with app.run_test(size=(80, 24)) as pilot:
        _, modal = await _open_assign(pilot)
        users = modal.query_one("#assign-users", OptionList)
        assert [users.get_option_at_index(i).id for i in range(users.option_count)] == ["inst_sub"]
        await _fill(pilot, modal, "5", "inst_credit")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "no account 'inst_credit' in your downline" in _error(modal, "user")
    assert demo_core.credits.balance(demo_core.auth.actor("inst_credit").id) == 100


@pytest.mark.asyncio
async def test_the_hint_describes_the_focused_control(session_for):
    """The line under the list says what Enter does where the focus is, Submit and Cancel too."""
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        _, modal = await _open_assign(pilot)
        hint = lambda: str(modal.query_one("#assign-hint").render())  # noqa: E731
        assert hint().startswith("Whole credits")
        await _fill(pilot, modal, "30", "inst_credit")
        users = modal.query_one("#assign-users", OptionList)
        users.focus()
        await pilot.pause()
        assert hint() == "Enter picks the highlighted user"
        await pilot.press("enter")                                # picks: the focus moves on to Submit
        await pilot.pause()
        assert app.focused is modal.query_one("#assign-submit")
        assert hint() == "Enter: check, then confirm the assignment"
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is modal.query_one("#assign-cancel")
        assert hint() == "Enter: close without assigning"

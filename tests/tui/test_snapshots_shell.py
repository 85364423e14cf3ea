"""Snapshots of the shell's screens and modals, per role that sees them, at 80×24 (and one at
120×40). Data and time come from the fixtures (demo world, FixedClock, SeededIds), so every run
draws the same screen. Update with `--snapshot-update`, then look at the SVGs before keeping."""
from __future__ import annotations

import pytest
from shell_helpers import log_in, settle
from textual.command import CommandList
from textual.widgets import DataTable, Input

from smartpay.tui.app import SmartpayApp

ROLES = ["aktest", "aksub", "inst_regular", "pm_regular"]
SMALL = (80, 24)


def logged_in(session_for, login: str) -> SmartpayApp:
    session = session_for(login)
    return SmartpayApp(session.core, session=session)


def opening(section: str | None = None, then=None):
    """run_before: wait for the home's data, open a section, then do `then(pilot)`."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        if section:
            pilot.app.screen.show_section(section)
            await settle(pilot)
        if then is not None:
            await then(pilot)
            await settle(pilot)
    return run_before


def test_snapshot_login(snap_compare, demo_core):
    assert snap_compare(SmartpayApp(demo_core), terminal_size=SMALL, run_before=settle)


def test_snapshot_login_prefilled(snap_compare, demo_core):
    assert snap_compare(SmartpayApp(demo_core, login="inst_credit"), terminal_size=SMALL, run_before=settle)


def test_snapshot_login_error(snap_compare, demo_core):
    async def wrong(pilot):
        await log_in(pilot, "aktest", "wrong-password")
    assert snap_compare(SmartpayApp(demo_core), terminal_size=SMALL, run_before=wrong)


@pytest.mark.parametrize("login", ROLES)
def test_snapshot_home(snap_compare, session_for, login):
    assert snap_compare(logged_in(session_for, login), terminal_size=SMALL, run_before=opening())


@pytest.mark.parametrize("login", ROLES)
def test_snapshot_account_menu(snap_compare, session_for, login):
    async def menu(pilot):
        await pilot.press("ctrl+o")
    assert snap_compare(logged_in(session_for, login), terminal_size=SMALL, run_before=opening(then=menu))


@pytest.mark.parametrize("login", ["aktest", "aksub"])
def test_snapshot_users(snap_compare, session_for, login):
    async def focus_table(pilot):
        pilot.app.screen.query_one("#users-table").focus()
    assert snap_compare(logged_in(session_for, login), terminal_size=SMALL,
                        run_before=opening("users", focus_table))


def test_snapshot_user_new(snap_compare, session_for):
    async def new(pilot):
        pilot.app.screen.query_one("#pane-users").action_new_user()
    assert snap_compare(logged_in(session_for, "aktest"), terminal_size=SMALL, run_before=opening("users", new))


def test_snapshot_user_new_refused(snap_compare, session_for):
    async def refused(pilot):
        pilot.app.screen.query_one("#pane-users").action_new_user()
        await settle(pilot)
        modal = pilot.app.screen
        modal.query_one("#user-login", Input).value = "inst_regular"
        modal.query_one("#user-name", Input).value = "Duplicate Installs"
        modal.query_one("#user-password", Input).value = "long-enough-pw"
        await pilot.click("#user-save")
    assert snap_compare(logged_in(session_for, "aktest"), terminal_size=SMALL,
                        run_before=opening("users", refused))


def test_snapshot_user_edit(snap_compare, session_for):
    async def edit(pilot):
        pane = pilot.app.screen.query_one("#pane-users")
        pane.query_one("#users-table").move_cursor([u.login for u in pane.shown].index("inst_credit"))
        pane.action_edit_user()
    assert snap_compare(logged_in(session_for, "aktest"), terminal_size=SMALL, run_before=opening("users", edit))


@pytest.mark.parametrize("login", ["inst_regular", "inst_credit"])
def test_snapshot_projects(snap_compare, session_for, login):
    assert snap_compare(logged_in(session_for, login), terminal_size=SMALL, run_before=opening("projects"))


def test_snapshot_project_edit_community_advanced_info(snap_compare, session_for):
    async def edit(pilot):
        pane = pilot.app.screen.query_one("#pane-projects")
        pane.action_edit_project()  # Sunrise Community is the first row
        await settle(pilot)
        pilot.app.screen.show_advanced()
    assert snap_compare(logged_in(session_for, "inst_regular"), terminal_size=SMALL,
                        run_before=opening("projects", edit))


def test_snapshot_project_edit_single_family(snap_compare, session_for):
    async def edit(pilot):
        pane = pilot.app.screen.query_one("#pane-projects")
        pane.query_one(DataTable).move_cursor(row=1)  # Lee House
        pane.action_edit_project()
    assert snap_compare(logged_in(session_for, "inst_regular"), terminal_size=SMALL,
                        run_before=opening("projects", edit))


@pytest.mark.parametrize("login", ROLES)
def test_snapshot_plugins(snap_compare, session_for, login):
    assert snap_compare(logged_in(session_for, login), terminal_size=SMALL, run_before=opening("plugins"))


def test_snapshot_palette(snap_compare, session_for):
    async def palette(pilot):
        # Searched, not the discovery list: providers answer concurrently, so the unsearched
        # list's order can vary; "open" lists the left column's entries in a fixed order.
        await pilot.press("ctrl+p")
        await pilot.pause()
        search = pilot.app.screen.query_one(Input)
        search.cursor_blink = False  # a blinking cursor would be caught in either phase
        search.value = "open"
        # Wait until the list has its 5 entries and has stopped changing (same prompts, same
        # highlight) for several polls: providers answer concurrently, slower on a loaded machine.
        stable, last = 0, None
        for _ in range(100):
            await pilot.pause(0.05)
            commands = pilot.app.screen.query_one(CommandList)
            now = (commands.option_count, commands.highlighted,
                   tuple(str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)))
            stable = stable + 1 if now == last and now[0] == 5 else 0
            last = now
            if stable >= 6:
                break
        await pilot.pause(0.2)
    assert snap_compare(logged_in(session_for, "aktest"), terminal_size=SMALL, run_before=opening(then=palette))


def test_snapshot_users_large_terminal(snap_compare, session_for):
    assert snap_compare(logged_in(session_for, "aktest"), terminal_size=(120, 40), run_before=opening("users"))

"""The command palette reaches every section of the operator's left column and each pane's
main actions."""
from __future__ import annotations

import pytest
from shell_helpers import settle
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from smartpay.tui.app import SmartpayApp
from smartpay.tui.sections import sections_for


async def run_command(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    pilot.app.screen.query_one(Input).value = text  # as if typed, without a search per keystroke
    for _ in range(40):  # the palette searches asynchronously
        await pilot.pause(0.05)
        commands = pilot.app.screen.query_one(CommandList)
        if commands.option_count and commands.get_option_at_index(0).hit.text == text:
            break
    else:
        raise AssertionError(f"the palette did not offer {text!r}")
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.asyncio
@pytest.mark.parametrize("login", ["aktest", "inst_regular", "pm_credit"])
async def test_palette_opens_each_section(session_for, login):
    session = session_for(login)
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for section in reversed(sections_for(session.actor.role)):
            await run_command(pilot, f"Open {section.title}")
            assert app.screen.current == section.key, section.title


@pytest.mark.asyncio
async def test_palette_runs_a_pane_action(session_for):
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Users: New user")
        assert type(app.screen).__name__ == "UserModal"
        assert str(app.screen.query_one("#user-title").render()) == "New user"


@pytest.mark.asyncio
async def test_palette_logs_out(session_for):
    app = SmartpayApp(session_for("pm_regular").core, session=session_for("pm_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Log out")
        assert type(app.screen).__name__ == "LoginScreen"

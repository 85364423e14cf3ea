"""Small helpers for the shell's Pilot tests (login, home, panes): wait for thread workers
instead of sleeping, so the tests are deterministic."""
from __future__ import annotations

import asyncio

from textual.worker import WorkerCancelled

from smartpay.app import demo


async def wait_for_workers(app) -> None:
    """Wait for the app's workers. An exclusive worker cancelled because a newer one replaced it
    (the operator typed on, a step reloaded) is expected: wait for the ones still running."""
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            await asyncio.sleep(0.01)
    raise AssertionError("workers kept being cancelled: the screen never settled")


async def settle(pilot, rounds: int = 3) -> None:
    """Let every worker finish and the messages it posted be handled, then stop cursor blinking
    on the top screen: a snapshot taken on a loaded machine must not catch a blink phase."""
    from textual.widgets import Input
    for _ in range(rounds):
        await wait_for_workers(pilot.app)
        await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


async def log_in(pilot, login: str, password: str = demo.DEMO_PASSWORD) -> None:
    screen = pilot.app.screen
    screen.query_one("#login-name").value = login
    screen.query_one("#login-password").value = password
    await pilot.click("#login-button")
    await settle(pilot)


async def open_section(pilot, key: str):
    """Open a section of the left column and wait for its pane to load; returns the pane."""
    pane = pilot.app.screen.show_section(key)
    await settle(pilot)
    return pane

"""Fixtures for the terminal app. `demo_core` (tests/conftest.py) is the demo world at a fixed clock
with seeded ids, so every snapshot shows the same dates, transaction numbers and coupon codes.

Snapshot tests (`snap_compare`) must be plain functions; build the app inside them from these
fixtures. Every test under tests/tui gets the marker `tui` (below) and runs on SQLite only: the
screens call the same services the PostgreSQL run already covers. A test of core queries or
services belongs in tests/, not here, so that it runs on PostgreSQL too."""
from __future__ import annotations

import pytest

from smartpay.app import demo

pytestmark = pytest.mark.tui


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/tui/" in str(item.fspath):
            item.add_marker(pytest.mark.tui)


@pytest.fixture(autouse=True)
def _quiet_terminal(monkeypatch):
    # Animations and cursor blink off: snapshots must not depend on timing.
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def _own_tmux_server(monkeypatch):
    """Each test talks to a tmux server of its own (TMUX_TMPDIR: a short private folder, for the
    socket path's length limit). A session created on a server another test already started would
    run with that server's environment, not the one the test passed — under parallel workers a
    desk then started without its test's plugins or fixed clock. The server is ended afterwards."""
    import os
    import shutil
    import subprocess
    import tempfile
    folder = tempfile.mkdtemp(prefix="tmx")
    monkeypatch.setenv("TMUX_TMPDIR", folder)
    monkeypatch.delenv("TMUX", raising=False)
    yield
    if shutil.which("tmux"):
        subprocess.run(["tmux", "kill-server"], capture_output=True, env={**os.environ, "TMUX_TMPDIR": folder})
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def session_for(demo_core):
    """session_for('aktest') → a logged-in Session on the demo world (password: demo.DEMO_PASSWORD)."""
    from smartpay.tui.session import Session

    def make(login: str) -> Session:
        return Session(demo_core, demo_core.auth.login(login, demo.DEMO_PASSWORD))

    return make

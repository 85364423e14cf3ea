"""Fixtures for the terminal app: the demo world on a SQLite file, a fixed clock and seeded ids,
so every snapshot shows the same dates, transaction numbers and coupon codes.

Snapshot tests (`snap_compare`) must be plain functions; build the app inside them from these
fixtures. The TUI suite runs on SQLite only (marker `tui`): the screens call the same services
the PostgreSQL run already covers."""
from __future__ import annotations

import pytest

from smartpay.app import demo
from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.ids import SeededIds
from support import CHEAP_PASSWORDS, NOW

pytestmark = pytest.mark.tui


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/tui/" in str(item.fspath):
            item.add_marker(pytest.mark.tui)


@pytest.fixture(autouse=True)
def _quiet_terminal(monkeypatch):
    # Animations and cursor blink off: snapshots must not depend on timing.
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def demo_core(tmp_path):
    """The seed guide's world (app/demo.py), seeded at the fixed NOW (2025-09-10 14:00 GMT+8)."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'desk.db'}")
    core = Smartpay.open(settings, FixedClock(NOW), upgrade=True, ids=SeededIds(7), passwords=CHEAP_PASSWORDS)
    demo.seed(core)
    yield core
    core.close()


@pytest.fixture
def session_for(demo_core):
    """session_for('aktest') → a logged-in Session on the demo world (password: demo.DEMO_PASSWORD)."""
    from smartpay.tui.session import Session

    def make(login: str) -> Session:
        return Session(demo_core, demo_core.auth.login(login, demo.DEMO_PASSWORD))

    return make

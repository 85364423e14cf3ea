"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when SMARTPAY_TEST_DB=postgres),
the fixed clock, the core, the seed guide's world and the demo world."""
from __future__ import annotations

import os

import pytest

from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay

from support import BACKEND, CHEAP_PASSWORDS, NOW, build_world, finish_drops, fresh_db_url, migrated_template

# Textual reads these; snapshots must not depend on the caller's shell.
for _var in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS"):
    os.environ.pop(_var, None)


def pytest_report_header(config):
    return f"smartpay test database: {BACKEND}"


# Fixtures that open their database with upgrade=True before the test runs: a test using one gets
# a copy of a migrated database (the same tables migrating would make, minus the time it takes).
MIGRATED_BY = {"core", "demo_core", "desk", "desk_of_two", "card_core", "wired", "world_of"}


@pytest.fixture(scope="session")
def _template_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("template")


def pytest_sessionfinish(session):
    # Each test process (each xdist worker) drops its own template and waits for its queued drops.
    migrated_template.discard()
    finish_drops()


@pytest.fixture
def db_url(request, tmp_path, _template_dir):
    migrated = _template_dir if MIGRATED_BY & set(request.fixturenames) else None
    with fresh_db_url(tmp_path / "smartpay.db", migrated_from=migrated) as url:
        yield url


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def settings(db_url):
    return Settings(db_url=db_url)


@pytest.fixture
def core(settings, clock):
    smartpay = Smartpay.open(settings, clock, upgrade=True, passwords=CHEAP_PASSWORDS)
    yield smartpay
    smartpay.close()


@pytest.fixture
def world(core):
    return build_world(core)


@pytest.fixture
def demo_core(db_url):
    """The seed guide's demo world (app/demo.py) seeded at the fixed NOW (2025-09-10 14:00 GMT+8),
    ids seeded so transaction numbers and coupon codes repeat: for the TUI's snapshots, and for core
    queries asked on that world (on either backend)."""
    from smartpay.app import demo
    from smartpay.core.ids import SeededIds

    core = Smartpay.open(Settings(db_url=db_url), FixedClock(NOW), upgrade=True, ids=SeededIds(7), passwords=CHEAP_PASSWORDS)
    demo.seed(core)
    yield core
    core.close()


@pytest.fixture
def actor(core):
    """actor('aktest') → the logged-in Actor for that login."""
    return core.auth.actor

"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when SMARTPAY_TEST_DB=postgres),
the fixed clock, the core, and the seed guide's world."""
from __future__ import annotations

import os

import pytest

from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay

from support import BACKEND, CHEAP_PASSWORDS, NOW, build_world, fresh_db_url

# Textual reads these; snapshots must not depend on the caller's shell.
for _var in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS"):
    os.environ.pop(_var, None)


def pytest_report_header(config):
    return f"smartpay test database: {BACKEND}"


@pytest.fixture
def db_url(tmp_path):
    with fresh_db_url(tmp_path / "smartpay.db") as url:
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
def actor(core):
    """actor('aktest') → the logged-in Actor for that login."""
    return core.auth.actor

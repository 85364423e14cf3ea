"""The login screen: success opens the role's home, refusals show the core's message and keep
what was typed, lock-out says until when, `--as` pre-fills the login."""
from __future__ import annotations

import pytest
from shell_helpers import log_in, settle
from textual.widgets import Input, Static

from smartpay.tui.app import SmartpayApp

pytestmark = pytest.mark.asyncio


async def test_login_success_opens_home_of_the_role(demo_core):
    app = SmartpayApp(demo_core)
    async with app.run_test(size=(80, 24)) as pilot:
        assert type(app.screen).__name__ == "LoginScreen"
        assert "Log in with your account" in str(app.screen.query_one("#login-title").render())
        await log_in(pilot, "aktest")
        assert type(app.screen).__name__ == "HomeScreen"
        assert app.session.actor.login == "aktest"
        assert str(app.screen.query_one("#account").label).startswith("AK Test Distribution")


async def test_wrong_password_shows_message_and_keeps_login(demo_core):
    app = SmartpayApp(demo_core)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "inst_regular", "not-the-password")
        assert type(app.screen).__name__ == "LoginScreen"
        message = str(app.screen.query_one("#login-message", Static).render())
        assert message == "Login or password is incorrect"
        assert app.screen.query_one("#login-name", Input).value == "inst_regular"
        assert app.screen.query_one("#login-password", Input).value == "not-the-password"
        assert app.screen.query_one("#login-password", Input).has_focus


async def test_lock_out_message_names_the_time(demo_core):
    demo_core.settings.max_failed_logins  # the default policy: 5 failures
    app = SmartpayApp(demo_core)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(demo_core.settings.max_failed_logins):
            await log_in(pilot, "pm_regular", "wrong-password")
        message = str(app.screen.query_one("#login-message", Static).render())
        assert message.startswith("Account locked after 5 failed logins; try again after 2025-09-10 14:15:00")
        # Locked: even the right password is refused with the lock-out message.
        await log_in(pilot, "pm_regular")
        assert type(app.screen).__name__ == "LoginScreen"
        assert "Account locked" in str(app.screen.query_one("#login-message", Static).render())


async def test_as_prefills_login_and_focuses_password(demo_core):
    app = SmartpayApp(demo_core, login="inst_credit")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#login-name", Input).value == "inst_credit"
        assert app.screen.query_one("#login-password", Input).has_focus
        await pilot.press(*"demo-password", "enter")
        await settle(pilot)
        assert app.session.actor.login == "inst_credit"


async def test_empty_login_is_refused_in_place(demo_core):
    app = SmartpayApp(demo_core)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "", "whatever")
        assert str(app.screen.query_one("#field-login .form-field-error", Static).render()) == \
            "Login: enter your login"
        assert str(app.screen.query_one("#field-password .form-field-error", Static).render()) == ""
        assert app.screen.query_one("#login-password", Input).value == "whatever"
        assert app.screen.query_one("#login-name", Input).has_focus

"""The shell after login: each role's left column, the account menu (top right), log out, lazy
panes with a clear stand-in for a missing one, and `smartpay` opening the app."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from shell_helpers import open_section, settle
from textual.widgets import OptionList

from smartpay.tui import sections
from smartpay.tui.app import SmartpayApp

DISTRIBUTOR_COLUMN = ["Subscription", "Users", "Credit Logs", "Orders", "Plugins"]
INSTALLER_COLUMN = ["Subscription", "Projects", "Credit Logs", "Orders", "Plugins"]
PM_COLUMN = ["Subscription", "Credit Logs", "Orders"]   # no Plugins: hooks and versions are not a PM's


def nav_titles(app) -> list[str]:
    nav = app.screen.query_one("#nav", OptionList)
    return [str(nav.get_option_at_index(i).prompt) for i in range(nav.option_count)]


@pytest.mark.parametrize("login, column", [
    ("aktest", DISTRIBUTOR_COLUMN), ("aksub", DISTRIBUTOR_COLUMN),
    ("inst_none", INSTALLER_COLUMN), ("inst_credit", INSTALLER_COLUMN),
    ("pm_regular", PM_COLUMN), ("pm_credit", PM_COLUMN),
])
@pytest.mark.asyncio
async def test_left_column_of_each_role(session_for, login, column):
    app = SmartpayApp(session_for(login).core, session=session_for(login))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert nav_titles(app) == column
        assert app.screen.current == "subscription"  # the first section opens on login


@pytest.mark.asyncio
async def test_account_menu_lists_credit_logs_billing_and_log_out(session_for):
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        menu = app.screen.query_one("#account-options", OptionList)
        assert [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)] == [
            "Credit Logs", "Billing information", "SSH keys", "Log out"]
        await pilot.press("enter")  # Credit Logs
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
        assert app.screen.current == "credit_logs"


@pytest.mark.asyncio
async def test_log_out_returns_to_login_with_the_login_kept(session_for):
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#account")
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "LoginScreen"
        assert app.session is None
        assert app.screen.query_one("#login-name").value == "inst_regular"


@pytest.mark.asyncio
async def test_digit_keys_open_sections_and_panes_are_kept(session_for):
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.current == "projects"
        first = app.screen.query_one("#pane-projects")
        await pilot.press("escape", "1")
        await pilot.press("escape", "2")
        await settle(pilot)
        assert app.screen.query_one("#pane-projects") is first


@pytest.mark.asyncio
async def test_a_missing_pane_module_shows_not_available(session_for, monkeypatch):
    broken = sections.Section("orders", "Orders", "smartpay.tui.screens.no_such_pane", "Nope", sections.OPERATORS)
    monkeypatch.setattr(sections, "SECTIONS", tuple(broken if s.key == "orders" else s for s in sections.SECTIONS))
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "orders")
        assert "not available" in str(pane.render())
        assert "no_such_pane" in str(pane.render())


def test_smartpay_without_command_opens_the_app_with_as_prefilled(tmp_path, monkeypatch):
    from smartpay.app.cli.main import cli
    opened = {}

    def fake_run(self, *args, **kwargs):  # App.run() needs a terminal; record what would open
        opened.update(login=self._prefill, core=self.core)

    monkeypatch.setattr(SmartpayApp, "run", fake_run)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert CliRunner().invoke(cli, ["--db", db, "db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", db, "--as", "aktest"])
    assert result.exit_code == 0, result.output
    assert opened["login"] == "aktest"
    assert opened["core"].settings.db_url == db
    # Sub-commands still work.
    assert CliRunner().invoke(cli, ["--db", db, "plugins"]).exit_code == 0


@pytest.mark.asyncio
async def test_account_menu_opens_billing_information(session_for):
    app = SmartpayApp(session_for("inst_credit").core, session=session_for("inst_credit"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o", "down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "BillingInfoModal"


@pytest.mark.asyncio
async def test_app_given_a_core_factory_opens_it_behind_the_login_screen(demo_core):
    calls = []

    def open_core():
        calls.append(1)
        return demo_core

    app = SmartpayApp(open_core, login="aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert calls == [1]  # opened once, in a worker, before anyone logged in
        await pilot.press(*"demo-password", "enter")
        await settle(pilot)
        assert app.session.actor.login == "aktest" and calls == [1]


@pytest.mark.asyncio
async def test_a_core_refusal_in_a_worker_becomes_a_notification(session_for, monkeypatch):
    from smartpay.core.errors import PermissionDenied
    session = session_for("aktest")

    def refuse(actor, **kwargs):
        raise PermissionDenied("users: the desk is closed for maintenance")

    monkeypatch.setattr(session.core.accounts, "users", refuse)
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        assert [n.message for n in app._notifications] == ["users: the desk is closed for maintenance"]
        assert [n.title for n in app._notifications] == ["Permission denied"]
        assert pane.users == [] and not pane.query_one("#users-table").loading


@pytest.mark.asyncio
async def test_the_open_panes_ctrl_keys_work_from_the_left_column_and_show_in_the_footer(session_for):
    """Just logged in, the left column has focus: ctrl+n opens the wizard without first stepping
    into the Subscription pane, and the footer lists the pane's keys — its letters too (issue 10
    #14: "a Assign" and "p Pay" were hidden until a Tab into the pane)."""
    from smartpay.tui.screens.wizard.screen import SubscriptionWizard

    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert home.focused is home.query_one("#nav", OptionList)
        assert {"ctrl+n", "ctrl+r"} <= set(home.active_bindings)
        await pilot.press("4")   # Orders: its letters (d, c, p, r) are offered from the column too
        await settle(pilot)
        home.query_one("#nav", OptionList).focus()
        await pilot.pause()
        assert home.current == "orders" and {"d", "c", "p"} <= set(home.active_bindings)
        assert "ctrl+n" not in home.active_bindings   # Orders has no ctrl+n: nothing happens
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is home
        await pilot.press("1")
        await settle(pilot)
        home.query_one("#nav", OptionList).focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, SubscriptionWizard)


@pytest.mark.asyncio
async def test_ssh_keys_in_the_account_menu_adds_lists_and_removes_ones_own_keys(session_for):
    import base64
    import hashlib
    import struct
    from textual.widgets import DataTable, Input
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + hashlib.sha256(b"desk").digest()
    line = f"ssh-ed25519 {base64.b64encode(blob).decode()} me@laptop"
    session = session_for("inst_regular")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o", "down", "down", "enter")  # SSH keys
        await settle(pilot)
        assert type(app.screen).__name__ == "SshKeysModal"
        app.screen.query_one(Input).value = "ssh-ed25519 nonsense"
        await pilot.press("enter")
        await settle(pilot)
        # Under the box, naming it by its label; what was pasted stays.
        assert str(app.screen.query_one("#field-ssh-key .form-field-error").render()).startswith("Public key: ")
        assert app.screen.query_one("#ssh-keys-input", Input).value == "ssh-ed25519 nonsense"
        app.screen.query_one(Input).value = line
        await pilot.press("enter")
        await settle(pilot)
        [key] = session.core.ssh_keys.keys_of("inst_regular")
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1 and key.fingerprint in str(table.get_row_at(0)[0])
        table.focus()
        await pilot.press("d")
        await settle(pilot)
        assert session.core.ssh_keys.keys_of("inst_regular") == [] and table.row_count == 0


@pytest.mark.asyncio
async def test_log_out_ends_an_ssh_desk_instead_of_offering_another_login(session_for):
    session = session_for("inst_regular")
    app = SmartpayApp(session.core, session=session, end_on_logout=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o", "down", "down", "down", "enter")  # Log out
        await settle(pilot)
        assert app.return_code == 0 and not app.is_running

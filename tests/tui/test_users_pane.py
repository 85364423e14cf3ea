"""Users (distributors): the downline's installers and sub-distributors, search, New and Edit
with exactly SmartPlus's three "Pay by Installer" choices; refusals from the core (R1/R2)."""
from __future__ import annotations

import pytest
from shell_helpers import open_section, settle
from textual.widgets import Input, Select

from smartpay.core.db.models import Account
from smartpay.core.domain import Grant, Role
from smartpay.core.errors import InvalidInput, PermissionDenied
from smartpay.tui.app import SmartpayApp
from smartpay.tui.widgets.virtual_table import VirtualTable

GRANT_LABELS = ["No Permission", "Stripe/PayPal Coupon",
                "Credit (Supported for commercial projects created after June 1, 2025)"]


def table_logins(pane) -> list[str]:
    table = pane.query_one(VirtualTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def select_labels(select: Select) -> list[str]:
    return [str(prompt) for prompt, _ in select._options if _ is not Select.BLANK]


@pytest.mark.asyncio
async def test_users_lists_installers_and_subdistributors_and_search_filters(session_for):
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        assert table_logins(pane) == ["aksub", "inst_credit", "inst_none", "inst_regular", "inst_sub"]
        pane.query_one("#users-search", Input).focus()
        await pilot.press(*"harbour")
        await pilot.pause(0.3)  # the debounce
        assert table_logins(pane) == ["inst_sub"]
        assert "1 of 5" in str(pane.query_one("#users-count").render())


@pytest.mark.asyncio
async def test_new_installer_with_the_three_grant_labels(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        pane.query_one(VirtualTable).focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        modal = app.screen
        assert select_labels(modal.query_one("#user-grant", Select)) == GRANT_LABELS
        modal.query_one("#user-login", Input).value = "inst_new"
        modal.query_one("#user-name", Input).value = "New Installs"
        modal.query_one("#user-email", Input).value = "new@example.com"
        modal.query_one("#user-password", Input).value = "long-enough-pw"
        modal.query_one("#user-grant", Select).value = "credit"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
        assert "inst_new" in table_logins(pane)
    created = session.core.accounts.users(session.actor, search="inst_new")[0]
    assert (created.role, created.parent_login, created.pay_by_installer) == (Role.INSTALLER, "aktest", Grant.CREDIT)


@pytest.mark.asyncio
async def test_new_installer_below_a_subdistributor(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "users")
        await pilot.click("#users-new")
        await settle(pilot)
        modal = app.screen
        parent = modal.query_one("#user-parent", Select)
        assert [v for _, v in parent._options] == ["aktest", "aksub"]
        parent.value = "aksub"
        modal.query_one("#user-login", Input).value = "inst_under_sub"
        modal.query_one("#user-name", Input).value = "Under Sub"
        modal.query_one("#user-password", Input).value = "long-enough-pw"
        await pilot.click("#user-save")
        await settle(pilot)
    assert session.core.accounts.users(session.actor, search="inst_under_sub")[0].parent_login == "aksub"


def _field_error(modal, control: str) -> str:
    """The error line under the field that holds `control`."""
    return str(modal.query_one(control).parent.parent.query_one(".form-field-error").render())


@pytest.mark.asyncio
async def test_refused_new_user_keeps_the_form_and_marks_the_field(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "users")
        await pilot.click("#users-new")
        await settle(pilot)
        modal = app.screen
        modal.query_one("#user-login", Input).value = "inst_regular"  # taken
        modal.query_one("#user-name", Input).value = "Dup"
        modal.query_one("#user-password", Input).value = "long-enough-pw"
        await pilot.click("#user-save")
        await settle(pilot)
        assert app.screen is modal
        assert _field_error(modal, "#user-login") == "Login: “inst_regular” is already taken"
        assert str(modal.query_one("#user-error").render()) == ""  # nothing that names no field
        assert modal.query_one("#user-login").has_class("-invalid-field")
        assert modal.query_one("#user-login", Input).value == "inst_regular"
        assert modal.query_one("#user-name", Input).value == "Dup"
        assert modal.query_one("#user-password", Input).value == "long-enough-pw"
        # A too-short password names the password field.
        modal.query_one("#user-login", Input).value = "inst_other"
        modal.query_one("#user-password", Input).value = "short"
        await pilot.click("#user-save")
        await settle(pilot)
        assert _field_error(modal, "#user-password").startswith("Password: must be at least 8")
        assert modal.query_one("#user-password").has_class("-invalid-field")
        assert not modal.query_one("#user-login").has_class("-invalid-field")


@pytest.mark.asyncio
async def test_edit_installer_changes_pay_by_installer(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        table = pane.query_one(VirtualTable)
        table.focus()
        table.move_cursor(table_logins(pane).index("inst_none"))
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert str(modal.query_one("#user-title").render()) == "Edit user inst_none"
        grant = modal.query_one("#user-grant", Select)
        assert select_labels(grant) == GRANT_LABELS and grant.value == "none"
        grant.value = "regular"
        modal.query_one("#user-name", Input).value = "Nordic Installs"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
        row = table.get_row_at(table_logins(pane).index("inst_none"))
        assert row[2] == "Stripe/PayPal Coupon" and row[3] == "Nordic Installs"
    assert session.core.auth.actor("inst_none") and \
        session.core.accounts.users(session.actor, search="inst_none")[0].pay_by_installer == Grant.REGULAR


@pytest.mark.asyncio
async def test_edit_subdistributor_has_no_pay_by_installer(session_for):
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        table = pane.query_one(VirtualTable)
        table.focus()
        table.move_cursor(table_logins(pane).index("aksub"))
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert not app.screen.query_one("#user-grant-row").display


@pytest.mark.asyncio
async def test_r1_installer_has_no_users_section(session_for):
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.show_section("users") is None
        assert not app.screen.query("#pane-users")


def test_r1_core_refuses_users_services_to_an_installer(session_for):
    session = session_for("inst_regular")
    accounts = session.core.accounts
    with pytest.raises(PermissionDenied):
        accounts.users(session.actor)
    with pytest.raises(PermissionDenied):
        accounts.create_user(session.actor, "installer", "inst_x", "X", "long-enough-pw")
    with pytest.raises(PermissionDenied):
        accounts.update_user(session.actor, "inst_regular", "Me", pay_by_installer="credit")


def test_r1_subdistributor_edits_only_its_own_downline(session_for):
    session = session_for("aksub")
    with pytest.raises(PermissionDenied):
        session.core.accounts.update_user(session.actor, "inst_regular", "Not mine")
    view = session.core.accounts.create_user(session.actor, "sub_distributor", "aksub2", "Sub Two", "long-enough-pw")
    assert view.parent_login == "aksub"
    below = session.core.accounts.create_user(session.actor, "installer", "inst_deep", "Deep", "long-enough-pw",
                                              parent="aksub2", pay_by_installer="regular")
    assert (below.parent_login, below.pay_by_installer) == ("aksub2", Grant.REGULAR)
    with pytest.raises(PermissionDenied):  # aktest is above, not below, aksub
        session.core.accounts.create_user(session.actor, "installer", "inst_up", "Up", "long-enough-pw",
                                          parent="aktest")


def test_r2_grant_only_for_installers_and_validation_names_the_field(session_for):
    session = session_for("aktest")
    with pytest.raises(InvalidInput) as err:
        session.core.accounts.create_user(session.actor, "sub_distributor", "aksub3", "S", "long-enough-pw",
                                          pay_by_installer="credit")
    assert err.value.field == "Pay by Installer"
    with pytest.raises(InvalidInput) as err:
        session.core.accounts.create_user(session.actor, "property_manager", "pm_x", "P", "long-enough-pw")
    assert err.value.field == "Role"
    with pytest.raises(InvalidInput) as err:
        session.core.accounts.update_user(session.actor, "inst_none", "N", email="not-an-email")
    assert err.value.field == "Email"


@pytest.mark.asyncio
async def test_ten_thousand_installers_load_and_filter(session_for):
    session = session_for("aktest")
    core = session.core
    parent = Account.get(Account.login == "aktest")
    now = core.clock.now()
    rows = [dict(login=f"bulk_{n:05d}", name=f"Bulk Installer {n}", role="installer", parent=parent.id,
                 email=None, password_hash=parent.password_hash, created_at=now) for n in range(10_000)]
    with core.db.atomic():
        for start in range(0, len(rows), 500):
            Account.insert_many(rows[start:start + 500]).execute()
    app = SmartpayApp(core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        assert pane.query_one(VirtualTable).row_count == 10_005
        pane.query_one("#users-search", Input).focus()
        await pilot.press(*"bulk_0999")
        pane._debounce.flush()
        await pilot.pause()
        assert table_logins(pane) == [f"bulk_0999{d}" for d in range(10)]
        await pilot.press(*"7")
        pane._debounce.flush()
        await pilot.pause()
        assert table_logins(pane) == ["bulk_09997"]


def _footer(app) -> str:
    width, height = app.size
    return "".join(seg.text for seg in app.screen._compositor.render_strips()[height - 1])  # noqa: SLF001


@pytest.mark.asyncio
async def test_edit_key_stays_shown_and_works_in_the_search_box(session_for):
    """The search box is an Input, whose own ctrl+e (end of line) used to hide "^e Edit"."""
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "users")
        pane.query_one(VirtualTable).focus()
        await pilot.pause()
        assert "^e Edit" in _footer(app)
        pane.query_one("#users-search", Input).focus()
        await pilot.press(*"harbour")
        await pilot.pause(0.3)  # the debounce
        await settle(pilot)
        assert app.focused is pane.query_one("#users-search", Input)
        assert "^e Edit" in _footer(app)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert type(app.screen).__name__ == "UserModal"
        assert str(app.screen.query_one("#user-title").render()) == f"Edit user {table_logins(pane)[0]}"

"""Forms (issue 10 item 11): one way everywhere. Every bad field is marked in place, under the
field, with its label, all at once; editing a field clears only its own stale error; what was
typed is kept; no toast is raised for a field's problem. The problems come from the core."""
from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from smartpay.tui.app import SmartpayApp
from smartpay.tui.screens.billing_info import BillingInfoModal
from smartpay.tui.screens.ssh_keys import SshKeysModal
from smartpay.tui.screens.user_form import UserModal
from smartpay.tui.widgets.form_field import FormField

from pane_harness import desk_app, open_section, settle


def errors(screen) -> dict[str, str]:
    """label → the error line shown under that field ('' when none)."""
    return {f.label: str(f.query_one(".form-field-error").render()) for f in screen.query(FormField)}


def no_toast(app) -> None:
    assert not app._notifications, [n.message for n in app._notifications]


async def retype(pilot, screen, input_id: str, text: str) -> None:
    box = screen.query_one(f"#{input_id}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)
    await pilot.pause()


@pytest.mark.asyncio
async def test_new_user_marks_every_bad_field_with_its_label_and_clears_each_when_fixed(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "users")
        await pilot.click("#users-new")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, UserModal)
        await retype(pilot, modal, "user-login", "a b")
        await retype(pilot, modal, "user-name", "Nora")
        await retype(pilot, modal, "user-email", "nora@")
        await retype(pilot, modal, "user-password", "long-enough-pw")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        shown = errors(modal)
        assert shown["Login"] == "Login: “a b” is not a login: use 3–64 letters, digits or . _ @ -"
        assert shown["Email"] == "Email: “nora@” is not an email address (like ann@example.com)"
        assert all(text == "" for label, text in shown.items() if label not in ("Login", "Email"))
        assert modal.query_one("#user-login").has_class("-invalid-field")
        assert app.focused is modal.query_one("#user-login")  # the first bad field
        no_toast(app)
        # Fixing the login clears its error only; every value typed is still there.
        await pilot.press("backspace", "backspace", "backspace", *"nora")
        await pilot.pause()
        shown = errors(modal)
        assert shown["Login"] == "" and shown["Email"].startswith("Email: ")
        assert [modal.query_one(f"#user-{i}", Input).value for i in ("login", "name", "email", "password")] == [
            "nora", "Nora", "nora@", "long-enough-pw"]
        await retype(pilot, modal, "user-email", "nora@example.com")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, UserModal)
    assert [u.email for u in session.core.accounts.users(session.actor, search="nora")] == ["nora@example.com"]


@pytest.mark.asyncio
async def test_edit_user_marks_name_and_email_at_once(session_for):
    session = session_for("aktest")
    user = session.core.accounts.users(session.actor, search="inst_none")[0]
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(UserModal(session, user))
        await settle(pilot)
        modal = app.screen
        await retype(pilot, modal, "user-name", " ")
        await retype(pilot, modal, "user-email", "none")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert errors(modal)["Name"] == "Name: is required"
        assert errors(modal)["Email"].startswith("Email: “none” is not an email address")
        no_toast(app)
        await retype(pilot, modal, "user-name", "Still None")
        assert errors(modal)["Name"] == "" and errors(modal)["Email"] != ""
        assert modal.query_one("#user-email", Input).value == "none"
    assert session.core.accounts.users(session.actor, search="inst_none")[0].name == user.name


@pytest.mark.asyncio
async def test_billing_marks_fields_at_once_and_clears_only_the_fixed_one(session_for, demo_core):
    app = desk_app(session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(BillingInfoModal(app.session))
        await settle(pilot)
        modal = app.screen
        await retype(pilot, modal, "billing-company", "Regular Installs")
        await retype(pilot, modal, "billing-address", "9 Quay Road")
        await retype(pilot, modal, "billing-tel", "12-ab")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = errors(modal)
        assert shown["ATTN"] == "ATTN: is required" and shown["TEL"].startswith("TEL: “12-ab” is not a phone")
        assert shown["Company/Family"] == shown["Address"] == shown["Fax"] == ""
        no_toast(app)
        await retype(pilot, modal, "billing-attn", "Ray")
        shown = errors(modal)
        assert shown["ATTN"] == "" and shown["TEL"].startswith("TEL: ")
        assert modal.query_one("#billing-tel", Input).value == "12-ab"
    assert demo_core.billing.get(demo_core.auth.actor("inst_regular")) is None


@pytest.mark.asyncio
async def test_assign_marks_amount_and_user_at_once(session_for, demo_core):
    from test_assign_credits import _open_assign
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        _, modal = await _open_assign(pilot)
        await retype(pilot, modal, "assign-amount", "ten")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = errors(modal)
        assert shown == {"Amount": "Amount: “ten” is not a whole number",
                         "User": "User: choose a user from your downline"}
        no_toast(app)
        await retype(pilot, modal, "assign-user", "inst_credit")
        shown = errors(modal)
        assert shown["User"] == "" and shown["Amount"].startswith("Amount: ")
        assert modal.query_one("#assign-amount", Input).value == "ten"
    assert demo_core.credits.balance(demo_core.auth.actor("aktest").id) == 360


@pytest.mark.asyncio
async def test_login_marks_both_empty_fields_and_keeps_what_was_typed(demo_core):
    app = SmartpayApp(demo_core)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "enter")  # Login empty → Password; Password empty → log in
        await settle(pilot)
        screen = app.screen
        assert errors(screen) == {"Login": "Login: enter your login", "Password": "Password: enter your password"}
        await retype(pilot, screen, "login-name", "aktest")
        assert errors(screen) == {"Login": "", "Password": "Password: enter your password"}
        assert screen.query_one("#login-name", Input).value == "aktest"
        no_toast(app)


@pytest.mark.asyncio
async def test_ssh_key_line_is_marked_under_the_box_and_kept(session_for):
    session = session_for("inst_regular")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(SshKeysModal(session))
        await settle(pilot)
        modal = app.screen
        await retype(pilot, modal, "ssh-keys-input", "ssh-ed25519 nonsense")
        await pilot.press("enter")
        await settle(pilot)
        assert errors(modal)["Public key"] == "Public key: the key data is not a ssh-ed25519 key"
        assert modal.query_one("#ssh-keys-input", Input).value == "ssh-ed25519 nonsense"
        no_toast(app)
        await pilot.press("backspace")
        await pilot.pause()
        assert errors(modal)["Public key"] == ""


@pytest.mark.asyncio
async def test_credit_purchase_amount_is_marked_under_the_box(session_for):
    from wizard_steps import next_step, open_wizard, press_radio, type_into
    from test_wizard_refusals import app_for
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await press_radio(pilot, "wiz-purpose-credit_purchase")
        await next_step(pilot)
        assert wizard.page == "credits"
        await type_into(pilot, "wiz-credits", "0")
        await next_step(pilot)
        await settle(pilot)
        assert wizard.page == "credits"
        assert errors(wizard.query_one("#page-credits"))["Credits"] == "Credits: must be greater than 0"
        assert wizard.query_one("#wiz-credits", Input).value == "0"
        no_toast(app)
        await type_into(pilot, "wiz-credits", "10")
        await settle(pilot)
        assert errors(wizard.query_one("#page-credits"))["Credits"] == ""


@pytest.mark.asyncio
async def test_renew_to_refusal_is_under_the_field_not_in_a_toast(session_for):
    from wizard_steps import next_step, open_wizard, pick, type_into
    from test_wizard_refusals import app_for
    app = app_for(session_for, "inst_regular")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        await next_step(pilot)
        await type_into(pilot, "wiz-renew-to", "2031-01-01")
        await next_step(pilot)
        await settle(pilot)
        shown = errors(wizard.query_one("#page-renewal"))
        assert shown["Renew To"].startswith("Renew To: 2031-01-01 is more than 60 months ahead")
        no_toast(app)
        await type_into(pilot, "wiz-renew-to", "2025-10-30")
        await pilot.pause()
        assert errors(wizard.query_one("#page-renewal"))["Renew To"] == ""

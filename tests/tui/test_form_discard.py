"""Esc must not lose work: every modal form with typed or picked values (Assign Credits, New and
Edit user, Billing Information, SSH keys, Edit project, Export CSV) closes at once when untouched,
and asks "Discard …?" once something changed — Keep editing focused first, returning with every
value as it was; Discard closes with nothing saved (tui/widgets/form_guard.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select

from smartpay.tui.screens.assign_credits import AssignCreditsModal
from smartpay.tui.screens.billing_info import BillingInfoModal
from smartpay.tui.screens.export_csv import ExportCsvModal
from smartpay.tui.screens.project_edit import ProjectEditModal
from smartpay.tui.screens.ssh_keys import SshKeysModal
from smartpay.tui.screens.user_form import UserModal
from smartpay.tui.widgets.confirm_dialog import ConfirmDialog
from smartpay.tui.widgets.form_guard import form_values

from pane_harness import desk_app, settle

KEY_LINE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl walk@laptop"


async def _type(pilot, modal, input_id: str, text: str) -> None:
    box = modal.query_one(f"#{input_id}", Input)
    box.focus()
    await pilot.press(*text)
    await pilot.pause()


def _project(session, name: str):
    return next(p for p in session.core.accounts.projects(session.actor) if p.name == name)


async def _change_assign(pilot, modal):
    await _type(pilot, modal, "assign-amount", "30")
    await _type(pilot, modal, "assign-user", "inst_credit")


async def _change_new_user(pilot, modal):
    await _type(pilot, modal, "user-login", "inst_typed")
    await _type(pilot, modal, "user-name", "Typed Installs")
    modal.query_one("#user-grant", Select).value = "credit"
    await pilot.pause()


async def _change_edit_user(pilot, modal):
    await _type(pilot, modal, "user-name", " Renamed")


async def _change_billing(pilot, modal):
    await _type(pilot, modal, "billing-attn", " Jr")


async def _change_ssh(pilot, modal):
    modal.query_one("#ssh-keys-input", Input).value = KEY_LINE   # pasted, not yet added (Enter)
    await pilot.pause()


async def _change_project(pilot, modal):
    modal.query_one("#project-pay-by-pm", Select).value = "none"
    await pilot.pause()


async def _change_export(pilot, modal):
    await _type(pilot, modal, "export-path", "x")


# (name, login, open the form, change it, what the core holds afterwards: unchanged when nothing saved)
FORMS = {
    "assign": ("aktest", lambda s, tmp: AssignCreditsModal(s, 360), _change_assign,
               lambda s, tmp: s.core.credits.my_balance(s.actor)),
    "new_user": ("aktest", lambda s, tmp: UserModal(s), _change_new_user,
                 lambda s, tmp: sorted(u.login for u in s.core.accounts.users(s.actor))),
    "edit_user": ("aktest", lambda s, tmp: UserModal(s, s.core.accounts.users(s.actor, search="inst_credit")[0]),
                  _change_edit_user, lambda s, tmp: s.core.accounts.users(s.actor, search="inst_credit")[0].name),
    "billing": ("aktest", lambda s, tmp: BillingInfoModal(s), _change_billing,
                lambda s, tmp: s.core.billing.get(s.actor)),
    "ssh_keys": ("inst_regular", lambda s, tmp: SshKeysModal(s), _change_ssh,
                 lambda s, tmp: s.core.ssh_keys.keys_of(s.actor.login, by=s.actor)),
    "project": ("inst_regular", lambda s, tmp: ProjectEditModal(s, _project(s, "Sunrise Community")),
                _change_project, lambda s, tmp: _project(s, "Sunrise Community").pay_by_pm),
    "export": ("aktest", lambda s, tmp: ExportCsvModal(s, folder=tmp), _change_export,
               lambda s, tmp: sorted(Path(tmp).iterdir())),
}


async def _open(pilot, modal, results: list):
    await settle(pilot)
    pilot.app.push_screen(modal, results.append)
    await settle(pilot)
    assert pilot.app.screen is modal
    return modal


@pytest.mark.asyncio
@pytest.mark.parametrize("form", FORMS)
async def test_escape_on_an_untouched_form_closes_at_once(session_for, tmp_path, form):
    login, make, _, _ = FORMS[form]
    session = session_for(login)
    app = desk_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        modal = await _open(pilot, make(session, tmp_path), results)
        await pilot.press("escape")
        await settle(pilot)
        assert results == [None]
        assert not isinstance(app.screen, (ConfirmDialog, type(modal)))


@pytest.mark.asyncio
@pytest.mark.parametrize("form", FORMS)
async def test_escape_on_a_changed_form_asks_keep_keeps_every_value_discard_saves_nothing(
        session_for, tmp_path, form):
    login, make, change, stored = FORMS[form]
    session = session_for(login)
    before = stored(session, tmp_path)
    app = desk_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        modal = await _open(pilot, make(session, tmp_path), results)
        await change(pilot, modal)
        typed = form_values(modal)
        await pilot.press("escape")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and results == []
        assert str(dialog.query_one("#confirm-question").render()).startswith("Discard ")
        # The safe choice has the focus: Enter keeps editing.
        assert app.focused is dialog.query_one("#confirm-no")
        assert "Keep editing" in str(app.focused.label)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal and results == []
        assert form_values(modal) == typed                      # every value as it was
        await pilot.press("escape")                               # asks again: Esc in the dialog keeps too
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is modal and form_values(modal) == typed
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")                                    # Discard
        await settle(pilot)
        assert results == [None]
        assert not isinstance(app.screen, (ConfirmDialog, type(modal)))
    assert stored(session, tmp_path) == before                    # nothing saved


@pytest.mark.asyncio
async def test_the_cancel_button_asks_like_escape(session_for):
    session = session_for("aktest")
    app = desk_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        modal = await _open(pilot, BillingInfoModal(session), [])
        await _change_billing(pilot, modal)
        modal.query_one("#billing-cancel").press()
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)

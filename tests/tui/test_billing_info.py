"""Billing information modal (R10): each bad field's message under it, values kept, and a save
through core.billing.save."""
from __future__ import annotations

import pytest
from textual.widgets import Input

from smartpay.core.views import BillingInfoView
from smartpay.tui.screens.billing_info import BillingInfoModal

from pane_harness import settle

FIELD_IDS = {"Company/Family": "billing-company", "ATTN": "billing-attn", "Address": "billing-address",
             "TEL": "billing-tel", "Fax": "billing-fax"}


async def _open(pilot, results: list):
    pilot.app.push_screen(BillingInfoModal(pilot.app.session), results.append)
    await settle(pilot)
    assert isinstance(pilot.app.screen, BillingInfoModal)
    return pilot.app.screen


def _error(modal, name: str) -> str:
    return str(modal.query_one(f"#field-{FIELD_IDS[name]} .form-field-error").render())


@pytest.mark.asyncio
async def test_r10_billing_form_is_prefilled_with_the_saved_information(session_for):
    from pane_harness import desk_app
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        modal = await _open(pilot, [])
        assert modal.query_one("#billing-company", Input).value == "AK Test Ltd"
        assert modal.query_one("#billing-tel", Input).value == "+65 6123 4567"
        assert modal.query_one("#billing-fax", Input).value == ""


@pytest.mark.asyncio
async def test_r10_every_bad_field_gets_its_message_and_values_are_kept(session_for, demo_core):
    from pane_harness import desk_app
    app = desk_app(session_for("inst_regular"))  # no billing information yet
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        modal = await _open(pilot, results)
        assert all(modal.query_one(f"#{i}", Input).value == "" for i in FIELD_IDS.values())
        await pilot.press(*"Regular Installs")          # Company/Family
        await pilot.press("enter", "enter")             # ATTN left empty
        await pilot.press(*"9 Quay Road", "enter")      # Address
        await pilot.press(*"12-ab", "enter")            # TEL: not a phone number
        await pilot.press(*"123")                       # Fax: too few digits
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert _error(modal, "ATTN") == "ATTN: is required"
        assert "TEL: “12-ab” is not a phone number" in _error(modal, "TEL")
        assert "Fax: “123” is not a fax number" in _error(modal, "Fax")
        assert _error(modal, "Company/Family") == "" and _error(modal, "Address") == ""
        assert modal.query_one("#billing-tel", Input).value == "12-ab"
        assert modal.query_one("#billing-company", Input).value == "Regular Installs"
        assert app.focused is modal.query_one("#billing-attn", Input)  # the first bad field
        assert demo_core.billing.get(demo_core.auth.actor("inst_regular")) is None
        assert results == []


@pytest.mark.asyncio
async def test_r10_billing_saves_through_the_core_and_returns_the_view(session_for, demo_core):
    from pane_harness import desk_app
    app = desk_app(session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        modal = await _open(pilot, results)
        modal.query_one("#billing-tel", Input).value = "12-ab"
        await pilot.press("ctrl+s")
        await settle(pilot)
        for name, value in [("billing-company", "Regular Installs"), ("billing-attn", "Ria Ong"),
                            ("billing-address", "9 Quay Road, Singapore"), ("billing-tel", "+65 6345 6789"),
                            ("billing-fax", "")]:
            modal.query_one(f"#{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
    saved = BillingInfoView("Regular Installs", "Ria Ong", "9 Quay Road, Singapore", "+65 6345 6789", "")
    assert results == [saved]
    assert demo_core.billing.get(demo_core.auth.actor("inst_regular")) == saved


@pytest.mark.asyncio
async def test_escape_then_discard_closes_without_saving(session_for, demo_core):
    from pane_harness import desk_app
    app = desk_app(session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        modal = await _open(pilot, results)
        modal.query_one("#billing-company", Input).value = "Changed Ltd"
        await pilot.press("escape")
        await settle(pilot)
        assert results == []                      # changed: it asks first (tests/tui/test_form_discard.py)
        await pilot.press("y")                    # Discard
        await settle(pilot)
    assert results == [None]
    assert demo_core.billing.get(demo_core.auth.actor("aktest")).company == "AK Test Ltd"

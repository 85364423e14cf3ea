"""Projects (installers): sites by type with creation date in platform time and item counts;
Edit sets "Pay By PM" (community: on the "Advanced Info" tab); single-family has none."""
from __future__ import annotations

import pytest
from shell_helpers import open_section, settle
from textual.widgets import DataTable, Select, TabbedContent, Tabs

from smartpay.core.domain import Grant
from smartpay.core.errors import InvalidInput, PermissionDenied
from smartpay.tui.app import SmartpayApp

GRANT_LABELS = ["No Permission", "Stripe/PayPal Coupon",
                "Credit (Supported for commercial projects created after June 1, 2025)"]


def rows(pane) -> list[list[str]]:
    table = pane.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def edit_project(pilot, pane, name: str):
    table = pane.query_one(DataTable)
    table.focus()
    table.move_cursor(row=[r[0] for r in rows(pane)].index(name))
    await pilot.press("ctrl+e")
    await settle(pilot)
    return pilot.app.screen


@pytest.mark.asyncio
async def test_projects_by_type_with_dates_and_counts(session_for):
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "projects")
        listed = rows(pane)
        assert [r[0] for r in listed] == ["Sunrise Community", "Lee House"]
        sunrise = listed[0]
        assert sunrise[1:6] == ["Community", "5", "3", "Stripe/PayPal Coupon", "2024-01-15 00:00:00 GMT+8:00"]
        assert listed[1][4] == "—"  # single-family: no Pay By PM
        pane.query_one(Tabs).active = "type-single_family"
        await settle(pilot)
        assert [r[0] for r in rows(pane)] == ["Lee House"]


@pytest.mark.asyncio
async def test_community_pay_by_pm_on_advanced_info_tab(session_for):
    session = session_for("inst_regular")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "projects")
        modal = await edit_project(pilot, pane, "Sunrise Community")
        tabs = modal.query_one(TabbedContent)
        assert [str(t.label) for t in tabs.query("ContentTab")] == ["Basic Info", "Advanced Info"]
        select = modal.query_one("#project-pay-by-pm", Select)
        assert select.ancestors_with_self.count(modal.query_one("#tab-advanced")) == 1
        # Every value is shown; Credit greyed with the core's reason (a community project, R3).
        labels = [str(p) for p, _ in select._options]
        assert labels[:2] == GRANT_LABELS[:2] and select.value == "regular"
        assert labels[2] == "Credit — not here: Credit payment is only for commercial projects created after June 1, 2025"
        assert "Credit cannot be granted here" in str(modal.query_one("#project-pay-by-pm-note").render())
        modal.show_advanced()
        await settle(pilot)
        select.value = "none"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
        assert rows(pane)[0][4] == "No Permission"
    sunrise = next(p for p in session.core.accounts.projects(session.actor) if p.name == "Sunrise Community")
    assert sunrise.pay_by_pm == Grant.NONE


@pytest.mark.asyncio
async def test_commercial_pay_by_pm_without_tabs(session_for):
    session = session_for("inst_credit")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "projects")
        modal = await edit_project(pilot, pane, "Old Commercial")
        assert not modal.query(TabbedContent)
        select = modal.query_one("#project-pay-by-pm", Select)
        # R3: created before the cut-off, so Credit is shown greyed with the core's reason …
        assert str(select._options[2][0]).startswith("Credit — not here: ")
        assert "before the cut-off" in str(modal.query_one("#project-pay-by-pm-note").render())
        # … and a Credit that reaches Save anyway is refused in place; the modal stays.
        select.value = "credit"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "ProjectEditModal"
        error = str(modal.query_one("#field-pay-by-pm .form-field-error").render())
        assert error.startswith("Pay By PM: Credit") and "cannot be granted" in error  # under the select
        assert not app.query("Toast")  # in place, not in a toast over the form
        select.value = "regular"
        await pilot.pause()
        assert str(modal.query_one("#field-pay-by-pm .form-field-error").render()) == ""  # stale: cleared
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
    old = next(p for p in session.core.accounts.projects(session.actor) if p.name == "Old Commercial")
    assert old.pay_by_pm == Grant.REGULAR


@pytest.mark.asyncio
async def test_single_family_has_no_pay_by_pm(session_for):
    app = SmartpayApp(session_for("inst_regular").core, session=session_for("inst_regular"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_section(pilot, "projects")
        modal = await edit_project(pilot, pane, "Lee House")
        assert not modal.query("#project-pay-by-pm")
        assert not modal.query("#project-save")
        assert "no property manager" in str(modal.query_one("#project-no-pm").render())
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"


def test_r2_core_refuses_pay_by_pm_for_others_and_single_family(session_for):
    regular, other = session_for("inst_regular"), session_for("inst_credit")
    sunrise = next(p for p in regular.core.accounts.projects(regular.actor) if p.name == "Sunrise Community")
    lee = next(p for p in regular.core.accounts.projects(regular.actor) if p.name == "Lee House")
    with pytest.raises(PermissionDenied):
        other.core.grants.set_pay_by_pm(other.actor, sunrise.id, "credit")
    with pytest.raises(InvalidInput) as err:
        regular.core.grants.set_pay_by_pm(regular.actor, lee.id, "regular")
    assert err.value.field == "project"
    distributor = session_for("aktest")
    with pytest.raises(PermissionDenied):
        distributor.core.grants.set_pay_by_pm(distributor.actor, sunrise.id, "none")

"""A refused step keeps the operator's selections: no grant (R1), not eligible for credit (R3),
a bad Renew To (R6), credits for auto-renew (R7), no terms (R9), no billing information (R10).
Each refusal is the core's own message, shown through the app's one error path, and the wizard
stays on the step with every value as it was."""
from __future__ import annotations

import pytest
from wizard_steps import (back_step, check_only, next_step, open_wizard, pick, press_radio, services_only, sites,
                          type_into)

from shell_helpers import settle

from smartpay.core.errors import InvalidInput, NotEligible, PermissionDenied
from smartpay.tui.screens.wizard.screen import SubscriptionWizard
from smartpay.tui.app import SmartpayApp


def app_for(session_for, login: str, billing: bool = True) -> SmartpayApp:
    session = session_for(login)
    if billing and session.core.billing.get(session.actor) is None:
        session.core.billing.save(session.actor, "Sunrise Estates", "Mia Wong", "2 Garden Road", "+65 6345 6789")
    return SmartpayApp(session.core, session=session)


def shown_errors(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def checked_names(pilot) -> list[str]:
    table = sites(pilot)
    return [row[0] for key, row in zip(table.all_keys, table.all_rows) if key in table.checked]


@pytest.mark.asyncio
async def test_r1_installer_without_pay_by_installer_is_refused_before_any_wizard(session_for):
    """inst_none: New / Pay asks the core first; no wizard opens, and the refusal is shown in full
    on the Subscription pane, wrapped at 80 columns."""
    app = app_for(session_for, "inst_none")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = pilot.app.screen.show_section("subscription")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, SubscriptionWizard)
        refusal = pane.query_one("#subscription-refusal")
        assert refusal.display
        text = " ".join(str(refusal.render()).split())
        assert text == ("Cannot open New / Pay: Pay by Installer: your distributor has not granted you permission "
                        "to pay; ask your distributor to set it")
        assert refusal.region.height >= 2 and refusal.region.right <= 80  # wrapped, not cut
    assert app.session.core.orders.list(app.session.actor) == []


@pytest.mark.asyncio
async def test_r1_pm_without_pay_by_pm_is_refused(session_for):
    installer = session_for("inst_regular")
    sunrise = next(p for p in installer.core.accounts.projects(installer.actor) if p.name == "Sunrise Community")
    installer.core.grants.set_pay_by_pm(installer.actor, sunrise.id, "none")
    app = app_for(session_for, "pm_regular")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        assert "No Permission" in str(wizard.query_one("#wiz-types-info").render())
        await next_step(pilot)
        await next_step(pilot)
        assert isinstance(wizard.last_error, PermissionDenied) and "Pay By PM" in wizard.last_error.message
        assert wizard.page == "details" and checked_names(pilot) == ["Sunrise Community"]


@pytest.mark.asyncio
async def test_r3_credit_for_a_project_before_the_cutoff_is_not_eligible_and_keeps_selections(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-installer", "inst_credit")
        await press_radio(pilot, "wiz-pay-credit")
        await next_step(pilot)
        await check_only(pilot, "Old Commercial")
        await next_step(pilot)
        assert isinstance(wizard.last_error, NotEligible)
        assert "'Old Commercial' was created before the cut-off" in wizard.last_error.message
        assert wizard.page == "details"
        assert checked_names(pilot) == ["Old Commercial"]
        assert (wizard.choices.installer, wizard.choices.pay_in) == ("inst_credit", "credit")
        # Going back and choosing Regular Payment is the way on, with the same sites.
        await back_step(pilot)
        await press_radio(pilot, "wiz-pay-money")
        await next_step(pilot)
        await next_step(pilot)
        assert wizard.page == "renewal" and checked_names(pilot) == ["Old Commercial"]


@pytest.mark.asyncio
async def test_r3_insufficient_credit_is_refused_on_the_renewal_step(session_for):
    app = app_for(session_for, "pm_credit")  # 40 credits
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await next_step(pilot)
        await next_step(pilot)
        await type_into(pilot, "wiz-renew-to", "2029-09-30")
        await next_step(pilot)
        assert isinstance(wizard.last_error, NotEligible) and "Insufficient credit" in wizard.last_error.message
        assert wizard.page == "renewal"
        assert wizard.query_one("#wiz-renew-to").value == "2029-09-30"


@pytest.mark.asyncio
async def test_r6_renew_to_beyond_60_months_is_refused_and_the_date_stays(session_for):
    app = app_for(session_for, "inst_regular")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        await next_step(pilot)
        await type_into(pilot, "wiz-renew-to", "2031-01-01")
        await next_step(pilot)
        assert isinstance(wizard.last_error, InvalidInput) and wizard.last_error.field == "Renew To"
        assert wizard.page == "renewal"
        box = wizard.query_one("#wiz-renew-to")
        assert box.value == "2031-01-01" and box.has_class("-invalid-field")
        assert "more than 60 months" in str(wizard.query_one("#wiz-price").render())


@pytest.mark.asyncio
async def test_r7_credits_cannot_pay_auto_renew(session_for):
    app = app_for(session_for, "inst_credit")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await next_step(pilot)
        await check_only(pilot, "New Commercial")
        await next_step(pilot)
        await press_radio(pilot, "wiz-mode-auto")
        await next_step(pilot)
        assert isinstance(wizard.last_error, NotEligible) and "auto-renewal" in wizard.last_error.message
        assert wizard.page == "renewal" and wizard.choices.renew_mode == "auto"


@pytest.mark.asyncio
async def test_r9_pay_without_accepting_the_terms_is_refused(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await press_radio(pilot, "wiz-purpose-credit_purchase")
        await next_step(pilot)
        await type_into(pilot, "wiz-credits", "10")
        await next_step(pilot)
        await next_step(pilot)
        await next_step(pilot)  # Pay, terms not accepted
        assert isinstance(wizard.last_error, InvalidInput) and wizard.last_error.field == "Terms and Conditions"
        assert app.screen is wizard and wizard.page == "confirm"
        assert wizard.choices.credits == "10"
    assert app.session.core.orders.list(app.session.actor) == []


@pytest.mark.asyncio
async def test_r10_no_billing_information_is_refused_on_payment_information(session_for):
    app = app_for(session_for, "inst_regular", billing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        await next_step(pilot)
        await next_step(pilot)
        assert wizard.page == "billing"
        assert "No billing information yet" in str(wizard.query_one("#wiz-billing").render())
        await next_step(pilot)
        assert wizard.last_error is not None and "billing" in wizard.last_error.message.lower()
        assert wizard.page == "billing"


@pytest.mark.asyncio
async def test_no_site_checked_is_refused_before_asking_the_core(session_for):
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await next_step(pilot)
        sites(pilot).set_checked([])
        await next_step(pilot)
        assert isinstance(wizard.last_error, InvalidInput) and wizard.last_error.field == "Sites"
        assert wizard.page == "details"


@pytest.mark.asyncio
async def test_r10_edit_fills_the_billing_information_and_the_step_goes_on(session_for):
    from shell_helpers import settle
    from textual.widgets import Input
    app = app_for(session_for, "inst_regular", billing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-type", "community")
        for _ in range(3):
            await next_step(pilot)
        assert wizard.page == "billing"
        wizard.action_edit_billing()
        await settle(pilot)
        modal = app.screen
        for input_id, value in (("billing-company", "Regular Installs Ltd"), ("billing-attn", "Raj"),
                                ("billing-address", "3 Quay Street"), ("billing-tel", "+65 6111 2222")):
            modal.query_one(f"#{input_id}", Input).value = value
        modal.action_save()
        await settle(pilot)
        assert app.screen is wizard
        assert "Regular Installs Ltd" in str(wizard.query_one("#wiz-billing").render())
        await next_step(pilot)
        assert wizard.page == "confirm"


@pytest.mark.asyncio
async def test_r9_terms_must_be_accepted_again_when_the_order_changed(session_for):
    from wizard_steps import accept_terms
    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await press_radio(pilot, "wiz-purpose-credit_purchase")
        await next_step(pilot)
        await type_into(pilot, "wiz-credits", "10")
        await next_step(pilot)
        await next_step(pilot)
        await accept_terms(pilot)
        await back_step(pilot)
        await next_step(pilot)
        assert wizard.choices.accept_terms  # the same order: still accepted
        await back_step(pilot)
        await back_step(pilot)
        await type_into(pilot, "wiz-credits", "20")
        await next_step(pilot)
        await next_step(pilot)
        assert wizard.page == "confirm" and not wizard.choices.accept_terms
        assert not wizard.query_one("#wiz-terms").value


@pytest.mark.asyncio
@pytest.mark.parametrize("login, granted, greyed", [("inst_credit", "credit", "money"),
                                                    ("inst_regular", "money", "credit")])
async def test_r2_the_payment_the_grant_does_not_allow_is_greyed_and_keys_skip_it(session_for, login, granted,
                                                                                  greyed):
    """An installer's Pay by Installer grant allows one kind of payment: the other radio is
    disabled, so the operator cannot pick it (the core would refuse it on the next step)."""
    from textual.widgets import RadioButton, RadioSet

    app = app_for(session_for, login)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        assert wizard.choices.pay_in == granted
        assert wizard.query_one(f"#wiz-pay-{greyed}", RadioButton).disabled
        assert not wizard.query_one(f"#wiz-pay-{granted}", RadioButton).disabled
        wizard.query_one("#wiz-pay-in", RadioSet).focus()
        await pilot.press("down", "enter", "up", "enter")   # moving skips the greyed radio
        await pilot.pause()
        assert wizard.choices.pay_in == granted
        assert wizard.query_one(f"#wiz-pay-{granted}", RadioButton).value


@pytest.mark.asyncio
async def test_r2_a_distributor_may_choose_either_payment(session_for):
    from textual.widgets import RadioButton

    app = app_for(session_for, "aktest")
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        assert not any(wizard.query_one(f"#wiz-pay-{key}", RadioButton).disabled for key in ("money", "credit"))

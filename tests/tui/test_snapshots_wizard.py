"""Snapshots of every step of every flow of the subscription wizard, per role, at 80×24 (the
credit-payment confirmation also at 120×40): activate, manual and auto renew, credit payment
(the seed guide's summary and confirmation table) and the distributor's credit purchase.

Each flow is a list of (page, actions): the snapshot of page k runs the actions of pages 0..k.
Data and time come from the fixtures (demo world, FixedClock at 2025-09-10 14:00 GMT+8,
SeededIds). Update with `--snapshot-update`, then look at every SVG before keeping it."""
from __future__ import annotations

import pytest
from wizard_steps import (accept_terms, calm, check_only, next_step, open_wizard, pick, press_radio,
                          services_only, type_into)

from smartpay.tui.app import SmartpayApp

SMALL = (80, 24)
BILLING = ("Sunrise Estates", "Mia Wong", "2 Garden Road, Singapore", "+65 6345 6789")


def act(fn, *args):
    async def run(pilot):
        await fn(pilot, *args)
    return run


NEXT = act(next_step)
ACCEPT = act(accept_terms)

FLOWS: dict[str, tuple[str, list[tuple[str, list]]]] = {
    # Distributor: installer and project type → Activate → sites → service types → billing → confirm.
    "distributor_activate": ("aktest", [
        ("types", [act(pick, "wiz-installer", "inst_regular"), act(pick, "wiz-type", "community"),
                   act(press_radio, "wiz-purpose-activation")]),
        ("details", [NEXT]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Distributor: Renew → Manual Renew with "Renew To".
    "distributor_manual_renew": ("aktest", [
        ("types", [act(pick, "wiz-type", "community"), act(press_radio, "wiz-purpose-renewal")]),
        ("details", [NEXT, act(check_only, "Sunrise Community", "Harbour View")]),
        ("renewal", [NEXT, act(type_into, "wiz-renew-to", "2025-10-31")]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Distributor: Renew → Auto Renew, how long it lasts.
    "distributor_auto_renew": ("aktest", [
        ("types", [act(pick, "wiz-installer", "inst_regular"), act(pick, "wiz-type", "single_family")]),
        ("details", [NEXT]),
        ("renewal", [NEXT, act(press_radio, "wiz-mode-auto"), act(type_into, "wiz-cycles", "6")]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Distributor: "Choose the desired installer and select Credit" → credits → T&C → Pay.
    "distributor_credit_purchase": ("aktest", [
        ("types", [act(press_radio, "wiz-purpose-credit_purchase")]),
        ("credits", [NEXT, act(type_into, "wiz-credits", "250")]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Installer (regular grant): project type → Renew → sites → services → Manual Renew.
    "installer_manual_renew": ("inst_regular", [
        ("types", [act(pick, "wiz-type", "community")]),
        ("details", [NEXT, act(services_only, "app", "pm_app")]),
        ("renewal", [NEXT, act(type_into, "wiz-renew-to", "2025-12-31")]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Installer (credit grant): the seed guide's Credit Payment, Renew To 2025-09-30.
    "installer_credit_payment": ("inst_credit", [
        ("types", []),
        ("details", [NEXT, act(check_only, "New Commercial")]),
        ("renewal", [NEXT, act(type_into, "wiz-renew-to", "2025-09-30")]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Property manager (Pay By PM: Stripe/PayPal Coupon): its project → Activate.
    "pm_activate": ("pm_regular", [
        ("types", [act(press_radio, "wiz-purpose-activation")]),
        ("details", [NEXT]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
    # Property manager (Pay By PM: Credit) on "New Commercial": Credit Payment.
    "pm_credit_payment": ("pm_credit", [
        ("types", []),
        ("details", [NEXT, act(services_only, "personnel_app", "premium_feature")]),
        ("renewal", [NEXT, act(type_into, "wiz-renew-to", "2025-09-30")]),
        ("billing", [NEXT]),
        ("confirm", [NEXT, ACCEPT]),
    ]),
}

CASES = [(flow, k) for flow, (_, pages) in FLOWS.items() for k in range(len(pages))]


def wizard_app(session_for, login: str, billing: bool = True) -> SmartpayApp:
    session = session_for(login)
    if billing and session.core.billing.get(session.actor) is None:
        session.core.billing.save(session.actor, *BILLING)
    return SmartpayApp(session.core, session=session)


def walking(flow: str, upto: int):
    """run_before: open the wizard and do the actions of pages 0..upto of `flow`."""
    async def run_before(pilot) -> None:
        wizard = await open_wizard(pilot)
        for page, actions in FLOWS[flow][1][:upto + 1]:
            for action in actions:
                await action(pilot)
            assert wizard.page == page, f"{flow}: expected page {page}, at {wizard.page} ({wizard.last_error})"
        await calm(pilot)
    return run_before


@pytest.mark.parametrize("flow,k", CASES, ids=[f"{flow}-{k}-{FLOWS[flow][1][k][0]}" for flow, k in CASES])
def test_snapshot_wizard(snap_compare, session_for, flow, k):
    login = FLOWS[flow][0]
    assert snap_compare(wizard_app(session_for, login), terminal_size=SMALL, run_before=walking(flow, k))


def test_snapshot_wizard_credit_confirmation_large(snap_compare, session_for):
    flow = "installer_credit_payment"
    assert snap_compare(wizard_app(session_for, "inst_credit"), terminal_size=(120, 40),
                        run_before=walking(flow, len(FLOWS[flow][1]) - 1))


def test_snapshot_wizard_billing_missing(snap_compare, session_for):
    """Step 3 for an operator who never saved billing information (R10): Edit is the way on."""
    flow = "installer_manual_renew"
    assert snap_compare(wizard_app(session_for, "inst_regular", billing=False), terminal_size=SMALL,
                        run_before=walking(flow, 3))


def test_snapshot_wizard_refused_without_grant(snap_compare, session_for):
    """An installer whose distributor granted nothing (R1): New / Pay is refused before any
    wizard opens; the core's reason in full on the Subscription pane."""
    async def refused(pilot):
        await calm(pilot)
        pilot.app.screen.show_section("subscription")
        await calm(pilot)
        await pilot.press("ctrl+n")
        await calm(pilot)
        assert pilot.app.screen.query_one("#subscription-refusal").display
    assert snap_compare(wizard_app(session_for, "inst_none"), terminal_size=SMALL, run_before=refused)

"""Which refusal a payer hears first (issue 10, item 19), decided in the core so the CLI and the
desk say the same: may this payer pay at all (R1) before anything about the selection — an
installer without "Pay by Installer" must not hear "nothing to pay for" or "choose a date" —
and credits are refused for auto-renew (R7) already when quoting, not only when paying."""
from __future__ import annotations

import pytest

from support import billing

from smartpay.core.errors import InvalidInput, NotEligible, PermissionDenied
from smartpay.core.services.quotes import Selection

NO_GRANT = "Pay by Installer: your distributor has not granted you permission to pay"


def test_r7_a_credit_quote_for_auto_renew_is_refused(core, world, actor):
    ak = actor("aktest")
    selection = Selection("commercial", project_ids=(world.new_commercial.id,))
    with pytest.raises(NotEligible, match="pay-in: Credits are not supported for auto-renewal"):
        core.quotes.quote(ak, "renewal", selection, renew_mode="auto", auto_cycles=2, pay_in="credit")
    money = core.quotes.quote(ak, "renewal", selection, renew_mode="auto", auto_cycles=2, pay_in="money")
    assert money.lines  # the same selection quotes in money
    assert core.quotes.quote(ak, "renewal", selection, renew_to="2025-09-30", pay_in="credit").total_credits > 0


def test_r7_placing_a_credit_auto_renew_order_gives_the_same_reason(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    with pytest.raises(NotEligible, match="Credits are not supported for auto-renewal"):
        core.orders.create(ak, "renewal", Selection("commercial", project_ids=(world.new_commercial.id,)),
                           accept_terms=True, pay_in="credit", renew_mode="auto", auto_cycles=2)


def test_r7_pay_in_is_validated_by_name(core, world, actor):
    with pytest.raises(InvalidInput, match="pay-in: “cash” is not one of: money, credit"):
        core.quotes.quote(actor("aktest"), "renewal", Selection("commercial"), renew_to="2025-09-30", pay_in="cash")


def test_r1_an_installer_without_grant_hears_the_refusal_on_an_empty_selection(core, world, actor):
    inst = actor("inst_none")  # owns no project at all: the selection is empty
    with pytest.raises(PermissionDenied, match=NO_GRANT):
        core.quotes.quote(inst, "renewal", Selection("commercial"), renew_to="2025-09-30")


def test_r1_permission_comes_before_a_missing_date_terms_or_billing(core, world, actor):
    inst = actor("inst_none")
    with pytest.raises(PermissionDenied, match=NO_GRANT):
        core.quotes.quote(inst, "renewal", Selection("commercial"))  # no Renew To either
    with pytest.raises(PermissionDenied, match=NO_GRANT):  # no terms, no billing information
        core.orders.create(inst, "renewal", Selection("commercial"), accept_terms=False, renew_to="2025-09-30")


def test_r1_a_pm_whose_picked_sites_hold_no_items_hears_the_pay_by_pm_refusal(core, world, actor):
    tower = core.accounts.create_project("inst_regular", "commercial", "Empty Tower", "2025-07-01")
    core.accounts.assign_manager(tower.id, "pm_regular")  # Pay By PM stays "No Permission"
    with pytest.raises(PermissionDenied, match="Pay By PM: the installer has not granted you permission"):
        core.quotes.quote(actor("pm_regular"), "renewal", Selection("commercial"), renew_to="2025-09-30")


def test_r1_a_payer_who_may_pay_still_hears_nothing_to_pay_for(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    empty = Selection("single_family", installer="inst_credit")  # inst_credit has no such site
    assert core.quotes.quote(ak, "renewal", empty, renew_to="2025-09-30").is_empty
    with pytest.raises(InvalidInput, match="items: nothing to pay for"):
        core.orders.create(ak, "renewal", empty, accept_terms=True, renew_to="2025-09-30")

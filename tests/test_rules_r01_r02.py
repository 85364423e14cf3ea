"""R1 (who may pay) and R2 (grants), enforced in the core services — not only hidden in a UI."""
from __future__ import annotations

import pytest

from support import billing

from smartpay.core.domain import Grant
from smartpay.core.errors import InvalidInput, NotEligible, PermissionDenied
from smartpay.core.services.quotes import Selection

RENEW_TO = "2025-12-31"


def renew_quote(core, who, ptype, project_id):
    return core.quotes.quote(who, "renewal", Selection(ptype, project_ids=(project_id,)),
                             renew_mode="manual", renew_to=RENEW_TO)


def renew_order(core, who, ptype, project_id, **kw):
    billing(core, who)
    return core.orders.create(who, "renewal", Selection(ptype, project_ids=(project_id,)), accept_terms=True,
                              renew_mode="manual", renew_to=RENEW_TO, **kw)


# -- R1: distributors ------------------------------------------------------------------------------

def test_r1_distributor_may_pay_any_project_in_its_downline(core, world, actor):
    ak = actor("aktest")
    # Its own installer's project, and a project two levels down (installer of its sub-distributor).
    for ptype, pid in (("community", world.community.id), ("community", world.sub_community.id),
                       ("commercial", world.new_commercial.id), ("single_family", world.single_family.id)):
        q = renew_quote(core, ak, ptype, pid)
        assert q.lines, f"project {pid} should be payable by its distributor"
        assert {line.project_id for line in q.lines} == {pid}
    order = renew_order(core, ak, "community", world.sub_community.id)
    assert order.payer_login == "aktest" and order.state == "processing"


def test_r1_distributor_may_not_pay_outside_its_downline(core, world, actor):
    ak, other = actor("aktest"), actor("other_dist")
    with pytest.raises(PermissionDenied):
        renew_quote(core, ak, "community", world.other_community.id)
    with pytest.raises(PermissionDenied):
        renew_order(core, ak, "community", world.other_community.id)
    with pytest.raises(PermissionDenied):
        renew_quote(core, other, "community", world.community.id)
    # A sub-distributor's downline is narrower: not its parent's direct installers.
    sub = actor("subdist")
    assert renew_quote(core, sub, "community", world.sub_community.id).lines
    with pytest.raises(PermissionDenied):
        renew_quote(core, sub, "community", world.community.id)


def test_r1_distributor_quote_all_covers_only_its_downline(core, world, actor):
    q = core.quotes.quote(actor("aktest"), "renewal", Selection("community"), renew_mode="manual",
                          renew_to=RENEW_TO)
    projects = {line.project_id for line in q.lines + q.excluded}
    assert projects == {world.community.id, world.sub_community.id}
    assert world.other_community.id not in projects


# -- R1: installers ---------------------------------------------------------------------------------

def test_r1_installer_with_grant_may_pay_only_its_own_projects(core, world, actor):
    inst = actor("inst_regular")
    q = renew_quote(core, inst, "community", world.community.id)
    assert {line.item_id for line in q.lines} == {world.items["apt101"].id, world.items["apt102"].id}
    with pytest.raises(PermissionDenied):
        renew_quote(core, inst, "community", world.sub_community.id)
    with pytest.raises(PermissionDenied):
        renew_order(core, inst, "community", world.other_community.id)
    order = renew_order(core, inst, "community", world.community.id)
    assert order.payer_login == "inst_regular"


def test_r1_installer_without_grant_may_not_pay(core, world, actor):
    proj = core.accounts.create_project("inst_none", "community", "No Grant Court", "2024-01-01")
    core.accounts.add_item(proj.id, "app", "Flat 1", expires="2025-09-30")
    inst = actor("inst_none")
    # It may still see its project and items …
    assert [i.subject_name for i in core.accounts.items(inst, proj.id)] == ["Flat 1"]
    # … but neither quote nor order: the refusal says which grant is missing.
    with pytest.raises(PermissionDenied, match="Pay by Installer"):
        renew_quote(core, inst, "community", proj.id)
    with pytest.raises(PermissionDenied, match="Pay by Installer"):
        renew_order(core, inst, "community", proj.id)


def test_r1_installer_grant_change_takes_effect_immediately(core, world, actor):
    ak, inst = actor("aktest"), actor("inst_regular")
    assert renew_quote(core, inst, "community", world.community.id).lines
    core.grants.set_pay_by_installer(ak, "inst_regular", "none")
    with pytest.raises(PermissionDenied, match="Pay by Installer"):
        renew_quote(core, inst, "community", world.community.id)
    core.grants.set_pay_by_installer(ak, "inst_regular", "regular")
    assert renew_quote(core, inst, "community", world.community.id).lines


# -- R1: property managers --------------------------------------------------------------------------

def test_r1_pm_may_pay_only_with_pay_by_pm_grant(core, world, actor):
    pm, inst = actor("pm_regular"), actor("inst_regular")
    assert core.grants.project(pm, world.community.id).pay_by_pm == Grant.NONE  # the default
    with pytest.raises(PermissionDenied, match="Pay By PM"):
        renew_quote(core, pm, "community", world.community.id)
    with pytest.raises(PermissionDenied, match="Pay By PM"):
        renew_order(core, pm, "community", world.community.id)
    core.grants.set_pay_by_pm(inst, world.community.id, "regular")
    q = renew_quote(core, pm, "community", world.community.id)
    assert {line.item_id for line in q.lines} == {world.items["apt101"].id, world.items["apt102"].id}
    assert renew_order(core, pm, "community", world.community.id).payer_login == "pm_regular"


def test_r1_pm_may_not_pay_projects_it_does_not_manage(core, world, actor):
    inst = actor("inst_regular")
    core.grants.set_pay_by_pm(inst, world.community.id, "regular")
    pm = actor("pm_regular")
    # Same installer, granted, but not managed by this PM.
    other = core.accounts.create_project("inst_regular", "community", "Unmanaged Gardens", "2024-01-01")
    core.accounts.add_item(other.id, "app", "G1", expires="2025-09-30")
    core.grants.set_pay_by_pm(inst, other.id, "regular")
    for pid in (other.id, world.sub_community.id, world.other_community.id):
        with pytest.raises(PermissionDenied):
            renew_quote(core, pm, "community", pid)
    # A quote of "all" only reaches managed projects.
    q = core.quotes.quote(pm, "renewal", Selection("community"), renew_mode="manual", renew_to=RENEW_TO)
    assert {line.project_id for line in q.lines} == {world.community.id}


def test_r1_platform_never_pays(core, world, actor):
    core.accounts.create_account("platform", "operator", "Operator", "platform-pass-1")
    op = actor("operator")
    with pytest.raises(PermissionDenied):
        renew_quote(core, op, "community", world.community.id)
    with pytest.raises(PermissionDenied):
        renew_order(core, op, "community", world.community.id)


def test_r1_only_the_payer_may_pay_or_cancel_an_order(core, world, actor):
    inst, ak = actor("inst_regular"), actor("aktest")
    order = renew_order(core, inst, "community", world.community.id)
    # The distributor sees its installer's order but may not pay or cancel it.
    assert core.orders.get(ak, order.txn).txn == order.txn
    with pytest.raises(PermissionDenied):
        core.payments.pay(ak, order.txn, coupons=["CP-XXXX"])
    with pytest.raises(PermissionDenied):
        core.orders.cancel(ak, order.txn)
    with pytest.raises(PermissionDenied):
        core.orders.get(actor("other_dist"), order.txn)
    assert core.orders.get(inst, order.txn).state == "processing"


def test_r1_explicit_items_of_another_downline_are_refused(core, world, actor):
    inst = actor("inst_regular")
    sel = Selection("community", project_ids=(world.community.id,), item_ids=(world.items["elsewhere"].id,))
    with pytest.raises(PermissionDenied):
        core.quotes.quote(inst, "renewal", sel, renew_mode="manual", renew_to=RENEW_TO)


# -- R2: grants ------------------------------------------------------------------------------------

def test_r2_grant_values_and_labels():
    assert [g.value for g in Grant] == ["none", "regular", "credit"]
    assert Grant.NONE.label == "No Permission"
    assert Grant.REGULAR.label == "Stripe/PayPal Coupon"
    assert Grant.CREDIT.label.startswith("Credit") and "commercial" in Grant.CREDIT.label


def test_r2_distributor_sets_pay_by_installer_in_its_downline(core, world, actor):
    ak = actor("aktest")
    for value in ("credit", "regular", "none"):
        view = core.grants.set_pay_by_installer(ak, "inst_none", value)
        assert view.pay_by_installer == Grant(value)
        listed = {u.login: u for u in core.accounts.users(ak)}
        assert listed["inst_none"].pay_by_installer == Grant(value)
    # Down two levels too (an installer of its sub-distributor).
    assert core.grants.set_pay_by_installer(ak, "inst_sub", "credit").pay_by_installer == Grant.CREDIT
    # The sub-distributor may set its own installer's grant.
    assert core.grants.set_pay_by_installer(actor("subdist"), "inst_sub", "none").pay_by_installer == Grant.NONE
    actions = [a.action for a in core.audit.recent(50)]
    assert actions.count("grant.pay_by_installer") >= 5


def test_r2_pay_by_installer_refused_outside_downline_and_for_other_roles(core, world, actor):
    with pytest.raises(PermissionDenied):
        core.grants.set_pay_by_installer(actor("other_dist"), "inst_regular", "credit")
    with pytest.raises(PermissionDenied):
        core.grants.set_pay_by_installer(actor("subdist"), "inst_regular", "credit")  # its parent's installer
    for who in ("inst_regular", "pm_regular"):
        with pytest.raises(PermissionDenied):
            core.grants.set_pay_by_installer(actor(who), "inst_none", "credit")
    with pytest.raises(InvalidInput) as bad:
        core.grants.set_pay_by_installer(actor("aktest"), "inst_none", "everything")
    assert bad.value.field == "Pay by Installer"
    with pytest.raises(InvalidInput) as not_inst:
        core.grants.set_pay_by_installer(actor("aktest"), "subdist", "credit")
    assert not_inst.value.field == "installer"
    # Nothing changed by any refusal.
    users = {u.login: u.pay_by_installer for u in core.accounts.users(actor("aktest"))}
    assert users["inst_regular"] == Grant.REGULAR and users["inst_none"] == Grant.NONE


def test_r2_installer_sets_pay_by_pm_on_its_own_projects_only(core, world, actor):
    inst = actor("inst_regular")
    for value in ("regular", "none"):
        assert core.grants.set_pay_by_pm(inst, world.community.id, value).pay_by_pm == Grant(value)
        assert core.grants.project(inst, world.community.id).pay_by_pm == Grant(value)
    with pytest.raises(PermissionDenied):
        core.grants.set_pay_by_pm(inst, world.new_commercial.id, "regular")  # inst_credit's
    for who in ("aktest", "pm_regular", "inst_credit"):
        with pytest.raises(PermissionDenied):
            core.grants.set_pay_by_pm(actor(who), world.community.id, "regular")
    with pytest.raises(InvalidInput) as sf:
        core.grants.set_pay_by_pm(inst, world.single_family.id, "regular")
    assert sf.value.field == "project"
    with pytest.raises(InvalidInput) as bad:
        core.grants.set_pay_by_pm(inst, world.community.id, "all")
    assert bad.value.field == "Pay By PM"
    assert core.grants.project(inst, world.community.id).pay_by_pm == Grant.NONE


def test_r2_grant_decides_which_methods_are_offered(core, world, actor):
    """regular → coupons (Stripe/PayPal) but not credits; credit → credits but not coupons."""
    inst_reg = actor("inst_regular")
    order = renew_order(core, inst_reg, "community", world.community.id)
    core.coupons.issue("inst_regular", "50.00", "USD")
    opts = {o.key: o for o in core.payments.options(inst_reg, order.txn)}
    assert opts["coupon"].eligible
    assert not opts["credit"].eligible

    inst_credit = actor("inst_credit")
    core.credits.add_offline("inst_credit", 100, "sale")
    corder = renew_order(core, inst_credit, "commercial", world.new_commercial.id, pay_in="credit")
    core.coupons.issue("inst_credit", "50.00", "USD")
    copts = {o.key: o for o in core.payments.options(inst_credit, corder.txn)}
    assert copts["credit"].eligible
    assert not copts["coupon"].eligible
    # A money order by a credit-granted installer: coupons are not in its permission.
    morder = renew_order(core, inst_credit, "commercial", world.new_commercial.id)
    mopts = {o.key: o for o in core.payments.options(inst_credit, morder.txn)}
    assert not mopts["coupon"].eligible and "Credit" in mopts["coupon"].reason
    with pytest.raises(NotEligible):
        core.payments.pay(inst_credit, morder.txn, coupons=[core.coupons.mine(inst_credit)[0].code])


def test_r2_a_manager_whose_projects_grant_differently_may_use_neither_family(core, world, actor):
    """Pay By PM is per project: one order over a project granting Stripe/PayPal/Coupon and one
    granting Credit is covered by neither grant, so no method of either family is offered."""
    inst = actor("inst_credit")
    second = core.accounts.create_project("inst_credit", "commercial", "New Annex", "2025-07-01")
    core.accounts.add_item(second.id, "personnel_app", "Annex 1", expires="2025-09-30")
    core.accounts.assign_manager(second.id, "pm_credit")
    core.grants.set_pay_by_pm(inst, world.new_commercial.id, "credit")
    core.grants.set_pay_by_pm(inst, second.id, "regular")
    pm = actor("pm_credit")
    core.coupons.issue("pm_credit", "50.00", "USD")
    billing(core, pm)
    order = core.orders.create(pm, "renewal", Selection("commercial", project_ids=(world.new_commercial.id, second.id)),
                               accept_terms=True, renew_mode="manual", renew_to=RENEW_TO)
    options = {o.key: o for o in core.payments.options(pm, order.txn)}
    assert not options["coupon"].eligible and "No Permission" in options["coupon"].reason
    assert not any(o.eligible for o in options.values())
    # Each project alone: its own grant's family is offered.
    alone = renew_order(core, pm, "commercial", second.id)
    assert {o.key: o for o in core.payments.options(pm, alone.txn)}["coupon"].eligible


def test_r2_r3_pay_by_pm_credit_is_refused_where_credits_could_never_pay(core, world, actor):
    """Credit may be granted only on a commercial project created on or after the credit cut-off;
    elsewhere the core refuses it with the credit method's reason and keeps the old grant."""
    inst_regular, inst_credit = actor("inst_regular"), actor("inst_credit")
    with pytest.raises(NotEligible, match="Credit") as community:
        core.grants.set_pay_by_pm(inst_regular, world.community.id, "credit")
    assert "commercial" in community.value.message
    with pytest.raises(NotEligible, match="before the cut-off") as old:
        core.grants.set_pay_by_pm(inst_credit, world.old_commercial.id, "credit")
    assert "cut-off" in old.value.message
    assert core.grants.project(inst_credit, world.old_commercial.id).pay_by_pm == Grant.NONE
    assert core.grants.set_pay_by_pm(inst_credit, world.new_commercial.id, "credit").pay_by_pm == Grant.CREDIT
    # The select shows every value, Credit greyed with the same reason where it is refused.
    choices = {c.grant: c for c in core.grants.pay_by_pm_choices(inst_credit, world.old_commercial.id)}
    assert choices[Grant.REGULAR].allowed and choices[Grant.NONE].allowed
    assert not choices[Grant.CREDIT].allowed and "cut-off" in choices[Grant.CREDIT].reason
    assert {c.grant: c.allowed for c in core.grants.pay_by_pm_choices(inst_credit, world.new_commercial.id)} == \
        {Grant.NONE: True, Grant.REGULAR: True, Grant.CREDIT: True}

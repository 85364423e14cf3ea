"""The payment preview (core/services/payment_preview.py, wizard_queries.wizard_start and
payable_quote, subscription_overview): what the desk asks before an order exists, answered by
the same rules that place and pay it (R2, R3, R4, R6, R7). Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from support import billing

from smartpay.core.coupon_allocation import allocate_coupons
from smartpay.core.domain import Grant, ItemStatus, PayIn, ProjectType, Purpose, RenewMode, Role
from smartpay.core.errors import InvalidInput, NotEligible, PermissionDenied
from smartpay.core.money import Money
from smartpay.core.services.payment_preview import (MAX_CREDIT_PURCHASE, coupon_cover, credit_purchase_preview,
                                                    methods_for, pay_in_choices, purposes_for, usable_coupons)
from smartpay.core.services.quotes import Selection
from smartpay.core.services.subscription_overview import subscription_overview
from smartpay.core.services.wizard_queries import payable_quote, wizard_start


def usd(cents: int) -> Money:
    return Money(cents, "USD")


# -- R2: a grant answers which ways to pay are allowed --------------------------------------------
@pytest.mark.parametrize("grant, allowed, default", [
    (None, {PayIn.MONEY, PayIn.CREDIT}, PayIn.MONEY),     # distributors need no grant
    (Grant.REGULAR, {PayIn.MONEY}, PayIn.MONEY),
    (Grant.CREDIT, {PayIn.CREDIT}, PayIn.CREDIT),
    (Grant.NONE, set(), PayIn.MONEY),
])
def test_r2_grant_decides_the_ways_to_pay(grant, allowed, default):
    choices = pay_in_choices(grant)
    assert choices.allowed == allowed and choices.default == default
    for option in choices.options:
        assert option.allowed == (option.pay_in in allowed)
        assert option.allowed or "Your payment permission is" in option.reason


def test_r2_pay_in_maps_to_the_method_family():
    assert PayIn.MONEY.family == Grant.REGULAR and PayIn.CREDIT.family == Grant.CREDIT


def test_r2_wizard_start_answers_for_installer_and_property_manager_grants(core, world, actor):
    regular = wizard_start(core, actor("inst_regular"))
    assert regular.pay_in.grant == Grant.REGULAR and regular.pay_in.allowed == {PayIn.MONEY}
    credit = wizard_start(core, actor("inst_credit"))
    assert credit.pay_in.default == PayIn.CREDIT and credit.pay_in.allowed == {PayIn.CREDIT}
    with pytest.raises(PermissionDenied, match="Pay by Installer"):  # R1: refused before any wizard opens
        wizard_start(core, actor("inst_none"))
    pm = wizard_start(core, actor("pm_regular"))
    assert [p.name for p in pm.projects] == ["Sunrise Community"]
    assert pm.project_pay_in[world.community.id].grant == Grant(world.community.pay_by_pm)
    dist = wizard_start(core, actor("aktest"))
    assert dist.pay_in.allowed == set(PayIn) and {a.login for a in dist.installers} >= {"inst_regular", "inst_credit"}


def test_r2_only_distributors_may_buy_credits():
    assert Purpose.CREDIT_PURCHASE in purposes_for(Role.DISTRIBUTOR)
    assert Purpose.CREDIT_PURCHASE in purposes_for(Role.SUB_DISTRIBUTOR)
    for role in (Role.INSTALLER, Role.PROPERTY_MANAGER):
        assert purposes_for(role) == (Purpose.ACTIVATION, Purpose.RENEWAL)


# -- R3: a selection paid in credits ----------------------------------------------------------------
def test_r3_payable_quote_refuses_credit_for_a_project_before_the_cutoff(core, world, actor):
    ak = actor("aktest")
    old = Selection("commercial", project_ids=(world.old_commercial.id,))
    with pytest.raises(NotEligible, match="created before the cut-off"):
        payable_quote(core, ak, PayIn.CREDIT, Purpose.RENEWAL, old, final=True, renew_mode=RenewMode.MANUAL,
                      renew_to="2025-10-31")
    new = Selection("commercial", project_ids=(world.new_commercial.id,))
    with pytest.raises(NotEligible, match="Insufficient credit"):  # final: the balance is checked
        payable_quote(core, ak, PayIn.CREDIT, Purpose.RENEWAL, new, final=True, renew_mode=RenewMode.MANUAL,
                      renew_to="2025-10-31")
    core.credits.add_offline("aktest", 10_000, "offline sale")
    quote = payable_quote(core, ak, PayIn.CREDIT, Purpose.RENEWAL, new, final=True, renew_mode=RenewMode.MANUAL,
                          renew_to="2025-10-31")
    assert quote.total_credits > 0


def test_r2_payable_quote_refuses_money_to_a_credit_grant(core, world, actor):
    inst = actor("inst_credit")
    new = Selection("commercial", project_ids=(world.new_commercial.id,))
    with pytest.raises(NotEligible, match="choose Credit Payment"):
        payable_quote(core, inst, PayIn.MONEY, Purpose.RENEWAL, new, final=False, renew_mode=RenewMode.AUTO,
                      auto_cycles=1)


def test_r6_payable_quote_says_why_nothing_is_left_to_pay(core, world, actor):
    ak = actor("aktest")
    sel = Selection("community", project_ids=(world.community.id,), item_ids=(world.items["apt102"].id,))
    with pytest.raises(InvalidInput, match="nothing to pay for") as refused:
        payable_quote(core, ak, PayIn.MONEY, Purpose.RENEWAL, sel, final=True, renew_mode=RenewMode.MANUAL,
                      renew_to="2025-10-01")  # apt102 already runs to 10-15
    assert refused.value.field == "items"


# -- R4, R7: which installed methods could pay -----------------------------------------------------
def test_r4_r7_methods_for_auto_renew_leave_out_coupons_and_credits(core):
    methods = core.plugins.methods()
    money = methods_for(methods, PayIn.MONEY)
    assert {m.key for m in money} == {"stripe", "paypal", "coupon"}
    assert [m.label for m in money if m.partial_tender] == ["Coupon"]
    auto = methods_for(methods, PayIn.MONEY, RenewMode.AUTO)
    assert {m.key for m in auto} == {"stripe", "paypal"}
    assert {m.key for m in methods_for(methods, PayIn.CREDIT)} == {"credit"}
    assert methods_for(methods, PayIn.CREDIT, RenewMode.AUTO) == ()


def test_r4_wizard_start_lists_the_plugins_labels(core, world, actor):
    start = wizard_start(core, actor("aktest"))
    assert [m.label for m in start.money_methods] == [m.label for m in core.plugins.methods()
                                                      if m.family == Grant.REGULAR]
    assert all(m.supports_auto_renew for m in start.auto_renew_methods)


# -- credit purchase: validity and price -------------------------------------------------------------
def test_r15_credit_purchase_preview_prices_what_the_order_charges(core, world, actor):
    prices = core.price_list
    per = prices.money(prices.price_per_credit)
    preview = credit_purchase_preview(per, " 250 ")
    assert preview.quantity == 250 and preview.total == Money(250 * per.amount, per.currency)
    ak = actor("aktest")
    billing(core, ak)
    order = core.orders.create_credit_purchase(ak, "250", accept_terms=True)
    assert order.total == preview.total


@pytest.mark.parametrize("typed", ["", "0", "-3", "abc", "1.5", str(MAX_CREDIT_PURCHASE + 1)])
def test_r15_credit_purchase_preview_refuses_bad_amounts_naming_the_field(typed):
    with pytest.raises(InvalidInput) as refused:
        credit_purchase_preview(usd(10), typed)
    assert refused.value.field == "Credits"


# -- R4: one coupon allocation for the preview and the charge ----------------------------------------
def test_r4_allocation_applies_coupons_in_order_and_leaves_the_rest_untouched():
    balances = {"A": usd(300), "B": usd(5000), "C": usd(700)}
    taken = []

    def take(code, up_to):
        taken.append(code)
        return Money(min(balances[code].amount, up_to.amount), "USD")
    plan = allocate_coupons(usd(1000), ["A", "B", "C"], take)
    assert [(s.code, s.amount) for s in plan.shares] == [("A", usd(300)), ("B", usd(700))]
    assert plan.covered == usd(1000) and plan.remainder == usd(0)
    assert taken == ["A", "B"]  # C is never asked: the total was covered


def test_r4_coupon_cover_matches_what_paying_takes(core, world, actor):
    ak = actor("aktest")
    small = core.coupons.issue("aktest", "1.00", "USD").code
    spare = core.coupons.issue("aktest", "3.00", "USD").code
    euro = core.coupons.issue("aktest", "9.00", "EUR").code
    billing(core, ak)
    order = core.orders.create(ak, "renewal", Selection("community", project_ids=(world.community.id,)),
                               accept_terms=True, renew_mode="manual", renew_to="2025-10-31")
    mine = core.coupons.mine(ak, usable_only=True)
    usable = usable_coupons(mine, order.total)
    assert euro not in {c.code for c in usable}
    assert usd(100) < order.total < usd(400)
    # One coupon pays part: the preview says what is left, and paying with it alone is refused …
    part = coupon_cover(usable, (small,), order.total)
    assert part.covered == usd(100) and part.remainder == order.total - usd(100)
    with pytest.raises(InvalidInput, match="choose a method"):
        core.payments.pay(ak, order.txn, coupons=[small])
    # … and a total the coupons cover is charged exactly as previewed; the remainder is kept.
    cover = coupon_cover(usable, (small, spare), order.total)
    assert cover.remainder == usd(0)
    shares = {s.code: s.amount for s in cover.shares}
    assert shares == {small: usd(100), spare: order.total - usd(100)}
    outcome = core.payments.pay(ak, order.txn, coupons=[small, spare])
    assert outcome.order.state == "succeeded"
    after = {c.code: c.remaining for c in core.coupons.mine(ak)}
    assert after[small] == usd(100) - shares[small]
    assert after[spare] == usd(300) - shares[spare]


# -- the Subscription overview's counts -------------------------------------------------------------
def test_subscription_overview_joins_sites_sorts_by_expiry_and_counts_items(core, world, actor):
    ak = actor("aktest")
    overview = subscription_overview(core, ak)
    items = core.accounts.visible_items(ak)
    assert len(overview.rows) == overview.counts.total == len(items)
    n = overview.counts
    assert n.active + n.expired + n.inactive == n.total
    assert n.inactive == sum(1 for i in items if i.status == ItemStatus.INACTIVE)
    assert 0 <= n.expiring_soon <= n.active
    expiries = [r.item.expires_at for r in overview.rows if r.item.expires_at is not None]
    assert expiries == sorted(expiries)                     # soonest first …
    assert all(r.item.expires_at is None for r in overview.rows[len(expiries):])  # … never-activated last
    row = next(r for r in overview.rows if r.item.id == world.items["apt101"].id)
    assert (row.site, row.project_type) == ("Sunrise Community", ProjectType.COMMUNITY)
    pm_rows = subscription_overview(core, actor("pm_regular")).rows
    assert {r.site for r in pm_rows} == {"Sunrise Community"}

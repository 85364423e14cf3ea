"""R3 (credit eligibility, with the cut-off boundary) and R4 (coupons)."""
from __future__ import annotations

import datetime as dt

import pytest

from support import GMT8, billing, build_world, days_covered, eod, open_card_core, open_core, prorated

from smartpay.core.errors import InvalidInput, NotEligible
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeStatus
from smartpay.core.services.quotes import Selection


@pytest.fixture
def card_core(db_url, clock):
    core = open_card_core(db_url, clock)
    yield core
    core.close()


def credit_order(core, who, ptype, project_id, renew_to="2025-10-31", **kw):
    billing(core, who)
    return core.orders.create(who, "renewal", Selection(ptype, project_ids=(project_id,)), accept_terms=True,
                              pay_in="credit", renew_mode=kw.pop("renew_mode", "manual"), renew_to=renew_to, **kw)


def commercial_project(core, installer, created_at, name=None):
    p = core.accounts.create_project(installer, "commercial", name or f"Site {created_at}", created_at)
    core.accounts.add_item(p.id, "personnel_app", "Reception", expires="2025-09-30")
    return p


def remaining(core, who, code):
    return next(c.remaining for c in core.coupons.mine(who) if c.code == code)


# -- R3: credit eligibility ---------------------------------------------------------------------------

@pytest.mark.parametrize("created_at, eligible", [
    ("2025-05-31T23:59:00+08:00", False),   # the seed's boundary: one minute before
    ("2025-05-31T23:59:59+08:00", False),
    ("2025-06-01T00:00:00+08:00", True),    # exactly the cut-off
    ("2025-05-31T16:00:00+00:00", True),    # the same instant written in UTC
    ("2025-05-31T15:59:59+00:00", False),
    ("2025-09-01T00:00:00+08:00", True),
])
def test_r3_cutoff_boundary_in_platform_time(core, world, actor, created_at, eligible):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 100, "sale")
    p = commercial_project(core, "inst_credit", created_at)
    if eligible:
        order = credit_order(core, ak, "commercial", p.id)
        assert order.total.currency == "CREDIT" and order.total.amount > 0
        assert core.payments.pay(ak, order.txn, "credit").order.state == "succeeded"
    else:
        with pytest.raises(NotEligible, match="commercial projects created after June 1, 2025"):
            credit_order(core, ak, "commercial", p.id)


def test_r3_seed_world_boundary_projects(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 100, "sale")
    assert credit_order(core, ak, "commercial", world.new_commercial.id).state == "processing"
    with pytest.raises(NotEligible, match="Old Commercial"):
        credit_order(core, ak, "commercial", world.old_commercial.id)
    # The money order for the old project offers credit greyed out, with the reason.
    billing(core, ak)
    money = core.orders.create(ak, "renewal", Selection("commercial", project_ids=(world.old_commercial.id,)),
                               accept_terms=True, renew_mode="manual", renew_to="2025-10-31")
    opt = {o.key: o for o in core.payments.options(ak, money.txn)}["credit"]
    assert not opt.eligible and "June 1, 2025" in opt.reason


@pytest.mark.parametrize("cutoff, new_ok, old_ok", [
    ("2025-07-01T00:00:00+08:00", False, False),
    ("2025-05-01", True, True),                       # a bare date-time is platform time
    ("2025-05-31T23:59:00+08:00", True, True),
    ("2025-06-01T00:00:01+08:00", False, False),
])
def test_r3_cutoff_is_credit_plugin_configuration(db_url, clock, cutoff, new_ok, old_ok):
    core = open_core(db_url, clock, plugins={"credit_pay": {"cutoff": cutoff}})
    try:
        world = build_world(core)
        ak = core.auth.actor("aktest")
        core.credits.add_offline("aktest", 100, "sale")
        for project, ok in ((world.new_commercial, new_ok), (world.old_commercial, old_ok)):
            if ok:
                assert credit_order(core, ak, "commercial", project.id).state == "processing"
            else:
                with pytest.raises(NotEligible):
                    credit_order(core, ak, "commercial", project.id)
    finally:
        core.close()


def test_r3_only_commercial_projects(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 1000, "sale")
    for ptype, pid in (("community", world.community.id), ("single_family", world.single_family.id)):
        with pytest.raises(NotEligible, match="only for commercial"):
            credit_order(core, ak, ptype, pid, renew_to="2025-12-31")


def test_r3_payer_grant_must_be_credit(core, world, actor):
    # inst_regular ("Stripe/PayPal Coupon") with an eligible commercial project of its own.
    p = commercial_project(core, "inst_regular", "2025-07-01T09:00:00+08:00")
    core.credits.add_offline("inst_regular", 100, "sale")
    with pytest.raises(NotEligible, match="Stripe/PayPal Coupon"):
        credit_order(core, actor("inst_regular"), "commercial", p.id)
    # inst_credit ("Credit") may.
    core.credits.add_offline("inst_credit", 100, "sale")
    order = credit_order(core, actor("inst_credit"), "commercial", world.new_commercial.id)
    assert core.payments.pay(actor("inst_credit"), order.txn, "credit").order.state == "succeeded"
    # PM: only with Pay By PM = credit.
    pm = actor("pm_credit")
    core.credits.add_offline("pm_credit", 100, "sale")
    core.grants.set_pay_by_pm(actor("inst_credit"), world.new_commercial.id, "regular")
    with pytest.raises(NotEligible):
        credit_order(core, pm, "commercial", world.new_commercial.id, renew_to="2025-11-30")
    core.grants.set_pay_by_pm(actor("inst_credit"), world.new_commercial.id, "credit")
    assert credit_order(core, pm, "commercial", world.new_commercial.id, renew_to="2025-11-30").payer_login == "pm_credit"


def expected_credits_new_commercial_to_0930(core, world):
    """door2 (expires 09-20) and attendance (expired: from now) to 2025-09-30 23:59:59 GMT+8."""
    pl = core.price_list
    now = core.clock.now()
    end = eod(2025, 9, 30)
    door = prorated(pl.price("commercial", "door").credits_per_30_days, days_covered(eod(2025, 9, 20), end))
    feature = prorated(pl.price("commercial", "premium_feature").credits_per_30_days, days_covered(now, end))
    return door + feature


def test_r3_balance_must_cover_the_order(core, world, actor):
    ak = actor("aktest")
    need = expected_credits_new_commercial_to_0930(core, world)
    assert need > 1
    with pytest.raises(NotEligible, match="Insufficient credit"):
        credit_order(core, ak, "commercial", world.new_commercial.id, renew_to="2025-09-30")  # balance 0
    core.credits.add_offline("aktest", need - 1, "sale")
    with pytest.raises(NotEligible, match="Insufficient credit"):
        credit_order(core, ak, "commercial", world.new_commercial.id, renew_to="2025-09-30")
    core.credits.add_offline("aktest", 1, "sale")  # exactly enough
    order = credit_order(core, ak, "commercial", world.new_commercial.id, renew_to="2025-09-30")
    assert order.total.amount == need
    assert core.payments.pay(ak, order.txn, "credit").order.state == "succeeded"
    assert core.credits.balance(ak.id) == 0 == core.credits.ledger_sum(ak.id)


def test_r3_balance_checked_again_when_paying(core, world, actor):
    ak = actor("aktest")
    need = expected_credits_new_commercial_to_0930(core, world)
    core.credits.add_offline("aktest", need, "sale")
    order = credit_order(core, ak, "commercial", world.new_commercial.id, renew_to="2025-09-30")
    core.credits.assign(ak, "inst_credit", 1)  # now one short
    before = {i.id: i.expires_at for i in core.accounts.items(ak, world.new_commercial.id)}
    with pytest.raises(NotEligible, match="Insufficient credit"):
        core.payments.pay(ak, order.txn, "credit")
    assert core.orders.get(ak, order.txn).state == "processing"
    assert core.credits.balance(ak.id) == need - 1 == core.credits.ledger_sum(ak.id)
    assert {i.id: i.expires_at for i in core.accounts.items(ak, world.new_commercial.id)} == before


def test_r3_credit_order_total_matches_price_list(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 100, "sale")
    order = credit_order(core, ak, "commercial", world.new_commercial.id, renew_to="2025-09-30")
    assert order.total.amount == expected_credits_new_commercial_to_0930(core, world)
    assert sum(line.price.amount for line in order.lines) == order.total.amount


def test_r3_credits_cannot_buy_credits_or_auto_renew(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 100, "sale")
    with pytest.raises(NotEligible, match="auto-renewal"):
        credit_order(core, ak, "commercial", world.new_commercial.id, renew_to=None, renew_mode="auto",
                     auto_cycles=1)
    billing(core, ak)
    purchase = core.orders.create_credit_purchase(ak, 5, accept_terms=True)
    opt = {o.key: o for o in core.payments.options(ak, purchase.txn)}["credit"]
    assert not opt.eligible and "buy credits" in opt.reason
    with pytest.raises(NotEligible):
        core.payments.pay(ak, purchase.txn, "credit")
    assert core.credits.balance(ak.id) == 100


# -- R4: coupons ---------------------------------------------------------------------------------------

def community_to_1031_total(core):
    """apt101 (expires 09-30) and apt102 (expires 10-15) renewed to 2025-10-31."""
    per = core.price_list.price("community", "app").per_30_days
    end = eod(2025, 10, 31)
    return (prorated(per, days_covered(eod(2025, 9, 30), end)) +
            prorated(per, days_covered(eod(2025, 10, 15), end)))


def money_order(core, who, ptype, pid, **kw):
    billing(core, who)
    kw.setdefault("renew_mode", "manual")
    if kw["renew_mode"] == "manual":
        kw.setdefault("renew_to", "2025-10-31")
    return core.orders.create(who, "renewal", Selection(ptype, project_ids=(pid,)), accept_terms=True, **kw)


def test_r4_several_coupons_on_one_order_and_remainder_kept(core, world, actor):
    ak = actor("aktest")
    total = community_to_1031_total(core)
    assert total > 100
    small = core.coupons.issue("aktest", "1.00", "USD").code
    big = core.coupons.issue("aktest", "50.00", "USD").code
    order = money_order(core, ak, "community", world.community.id)
    assert order.total == Money(total, "USD")
    outcome = core.payments.pay(ak, order.txn, coupons=[small, big])
    assert outcome.order.state == "succeeded"
    assert remaining(core, ak, small) == Money(0, "USD")
    assert remaining(core, ak, big) == Money(5000 - (total - 100), "USD")
    # Expiries moved to the renew-to date.
    items = {i.id: i for i in core.accounts.items(ak, world.community.id)}
    assert items[world.items["apt101"].id].expires_at == eod(2025, 10, 31)
    assert items[world.items["apt102"].id].expires_at == eod(2025, 10, 31)
    # A later order uses the remainder.
    usable = core.coupons.mine(ak, usable_only=True)
    assert [c.code for c in usable] == [big]


def test_r4_coupons_beyond_what_the_order_needs_are_untouched(core, world, actor):
    ak = actor("aktest")
    total = community_to_1031_total(core)
    big = core.coupons.issue("aktest", "50.00", "USD").code
    spare = core.coupons.issue("aktest", "3.00", "USD").code
    order = money_order(core, ak, "community", world.community.id)
    core.payments.pay(ak, order.txn, coupons=[big, spare])
    assert remaining(core, ak, big) == Money(5000 - total, "USD")
    assert remaining(core, ak, spare) == Money(300, "USD")


def test_r4_coupon_refused_for_auto_renew_with_reason(core, world, actor):
    ak = actor("aktest")
    code = core.coupons.issue("aktest", "50.00", "USD").code
    order = money_order(core, ak, "community", world.community.id, renew_mode="auto", auto_cycles=3)
    opt = {o.key: o for o in core.payments.options(ak, order.txn)}["coupon"]
    assert not opt.eligible
    assert opt.reason == "Coupons are not supported for auto-renewal"
    with pytest.raises(NotEligible, match="Coupons are not supported for auto-renewal"):
        core.payments.pay(ak, order.txn, coupons=[code])
    assert core.orders.get(ak, order.txn).state == "processing"
    assert remaining(core, ak, code) == Money(5000, "USD")


def test_r4_remainder_requires_another_method(core, world, actor):
    ak = actor("aktest")
    code = core.coupons.issue("aktest", "1.00", "USD").code
    order = money_order(core, ak, "community", world.community.id)
    before = {i.id: i.expires_at for i in core.accounts.items(ak, world.community.id)}
    with pytest.raises(InvalidInput) as exc:
        core.payments.pay(ak, order.txn, coupons=[code])
    assert exc.value.field == "method" and "remaining" in exc.value.problem
    # Stripe is not configured yet: refused too; the coupon is not spent by either refusal.
    with pytest.raises(NotEligible):
        core.payments.pay(ak, order.txn, "stripe", coupons=[code])
    # Credits cannot pay the rest of a money order.
    with pytest.raises((NotEligible, InvalidInput)):
        core.payments.pay(ak, order.txn, "credit", coupons=[code])
    assert remaining(core, ak, code) == Money(100, "USD")
    assert core.orders.get(ak, order.txn).state == "processing"
    assert {i.id: i.expires_at for i in core.accounts.items(ak, world.community.id)} == before


def test_r4_remainder_paid_by_another_method_in_the_same_order(card_core, clock):
    core = card_core
    world = build_world(core)
    ak = core.auth.actor("aktest")
    total = community_to_1031_total(core)
    code = core.coupons.issue("aktest", "1.00", "USD").code
    order = money_order(core, ak, "community", world.community.id)
    outcome = core.payments.pay(ak, order.txn, "fakecard", coupons=[code])
    assert outcome.order.state == "succeeded"
    assert core.fake.requests[-1].amount == Money(total - 100, "USD")
    attempts = {a.method: a for a in core.orders.get(ak, order.txn).attempts}
    assert attempts["coupon"].amount == Money(100, "USD") and attempts["coupon"].state == "succeeded"
    assert attempts["fakecard"].amount == Money(total - 100, "USD") and attempts["fakecard"].state == "succeeded"
    assert remaining(core, ak, code) == Money(0, "USD")


def test_r4_coupon_given_back_when_the_rest_fails(card_core, clock):
    core = card_core
    world = build_world(core)
    ak = core.auth.actor("aktest")
    code = core.coupons.issue("aktest", "1.00", "USD").code
    order = money_order(core, ak, "community", world.community.id)
    core.fake.answer = ChargeStatus.ERROR
    outcome = core.payments.pay(ak, order.txn, "fakecard", coupons=[code])
    assert outcome.order.state == "failed"
    assert remaining(core, ak, code) == Money(100, "USD")
    assert core.accounts.items(ak, world.community.id)[0].expires_at == eod(2025, 9, 30)


def test_r4_coupons_pay_credit_purchases(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    code = core.coupons.issue("aktest", "10.00", "USD").code
    order = core.orders.create_credit_purchase(ak, 7, accept_terms=True)
    assert order.total == Money(7 * core.price_list.price_per_credit, core.price_list.currency)
    assert order.purpose == "credit_purchase" and order.credit_quantity == 7
    assert core.payments.pay(ak, order.txn, coupons=[code]).order.state == "succeeded"
    assert remaining(core, ak, code) == Money(1000 - 7 * core.price_list.price_per_credit, "USD")
    assert core.credits.balance(ak.id) == 7 == core.credits.ledger_sum(ak.id)
    entry = core.credits.log(ak)[0]
    assert entry.kind == "purchase" and entry.order_txn == order.txn and entry.amount == 7


def test_r4_expired_coupon_refused(core, world, actor, clock):
    ak = actor("aktest")
    code = core.coupons.issue("aktest", "50.00", "USD", expires="2025-09-12").code
    clock.set(dt.datetime(2025, 9, 13, 9, 0, tzinfo=GMT8))
    order = money_order(core, ak, "community", world.community.id)
    assert code not in [c.code for c in core.coupons.mine(ak, usable_only=True)]
    with pytest.raises(NotEligible):
        core.payments.pay(ak, order.txn, coupons=[code])
    assert core.orders.get(ak, order.txn).state == "processing"
    # Still valid on its last day (23:59:59 platform time).
    clock.set(dt.datetime(2025, 9, 12, 23, 59, 0, tzinfo=GMT8))
    order2 = money_order(core, ak, "community", world.community.id)
    assert core.payments.pay(ak, order2.txn, coupons=[code]).order.state == "succeeded"


def test_r4_someone_elses_coupon_refused(core, world, actor):
    ak, other = actor("aktest"), actor("other_dist")
    theirs = core.coupons.issue("other_dist", "50.00", "USD").code
    core.coupons.issue("aktest", "1.00", "USD")  # so the method itself is offered
    order = money_order(core, ak, "community", world.community.id)
    with pytest.raises(NotEligible, match="not one of your coupons"):
        core.payments.pay(ak, order.txn, coupons=[theirs])
    assert remaining(core, other, theirs) == Money(5000, "USD")
    assert theirs not in [c.code for c in core.coupons.mine(ak)]
    assert core.orders.get(ak, order.txn).state == "processing"


def test_r4_issue_validation(core, world):
    for value, field in (("0", "Value"), ("-1", "Value"), ("1.001", "Value"), ("abc", "Value")):
        with pytest.raises(InvalidInput) as exc:
            core.coupons.issue("aktest", value, "USD")
        assert exc.value.field == field
    with pytest.raises(InvalidInput) as exc:
        core.coupons.issue("aktest", "5.00", "XXX")
    assert exc.value.field == "Currency"
    with pytest.raises(InvalidInput) as exc:
        core.coupons.issue("aktest", "5.00", "USD", expires="2025-09-01")
    assert exc.value.field == "Expires"
    assert core.coupons.mine(core.auth.actor("aktest")) == []

"""R5 (activate), R6 (manual renew to a date, per-day proration), R7 (auto-renew), and the free
first door of commercial projects. Expected prices are computed here from the price list."""
from __future__ import annotations

import datetime as dt

import pytest

from support import GMT8, billing, days_covered, eod, prorated

from smartpay.core.errors import InvalidInput, NotEligible
from smartpay.core.money import Money
from smartpay.core.services.quotes import Selection


def price(core, ptype, stype):
    return core.price_list.price(ptype, stype)


def renew(core, who, ptype, pid, renew_to, **kw):
    return core.quotes.quote(who, "renewal", Selection(ptype, project_ids=(pid,), **kw), renew_mode="manual",
                             renew_to=renew_to)


def auto(core, who, ptype, pid, **kw):
    return core.quotes.quote(who, "renewal", Selection(ptype, project_ids=(pid,)), renew_mode="auto", **kw)


def by_item(quote):
    return {line.item_id: line for line in quote.lines}


def pay_with_coupon(core, who, order):
    code = core.coupons.issue(who.login, "1000.00", "USD").code
    return core.payments.pay(who, order.txn, coupons=[code])


# -- R5: activate -------------------------------------------------------------------------------------

def test_r5_activation_charges_activation_price_and_runs_30_days(core, world, actor):
    ak = actor("aktest")
    apt103 = world.items["apt103"].id
    q = core.quotes.quote(ak, "activation", Selection("community", project_ids=(world.community.id,)))
    assert [line.item_id for line in q.lines] == [apt103]
    line = q.lines[0]
    assert line.price == Money(price(core, "community", "app").activation, core.price_list.currency)
    assert line.credits == price(core, "community", "app").activation_credits
    assert line.expires_at is None
    # NOW is 2025-09-10 (GMT+8): 30 days after is 2025-10-10, to 23:59:59 platform time.
    assert line.next_expires_at == eod(2025, 10, 10)
    assert q.total == line.price
    billing(core, ak)
    order = core.orders.create(ak, "activation", Selection("community", project_ids=(world.community.id,)),
                               accept_terms=True)
    assert order.purpose == "activation" and order.transaction_type == "Activation"
    assert pay_with_coupon(core, ak, order).order.state == "succeeded"
    item = {i.id: i for i in core.accounts.items(ak, world.community.id)}[apt103]
    assert item.status == "active" and item.expires_at == eod(2025, 10, 10)


def test_r5_items_never_paid_are_inactive_and_active_items_are_not_activated_again(core, world, actor):
    ak = actor("aktest")
    statuses = {i.subject_name: i.status for i in core.accounts.items(ak, world.community.id)}
    assert statuses == {"Apt 101": "active", "Apt 102": "active", "Apt 103": "inactive"}
    q = core.quotes.quote(ak, "activation", Selection("community", project_ids=(world.community.id,)))
    reasons = {line.item_id: line.excluded_reason for line in q.excluded}
    assert set(reasons) == {world.items["apt101"].id, world.items["apt102"].id}
    assert all("already activated" in r for r in reasons.values())
    # And an inactive item cannot be renewed: it must be activated first.
    r = renew(core, ak, "community", world.community.id, "2025-12-31")
    assert {line.item_id: line.excluded_reason for line in r.excluded}[world.items["apt103"].id].startswith(
        "not activated")


@pytest.mark.parametrize("local_now, expiry_day", [
    (dt.datetime(2025, 9, 9, 23, 59, 0), (2025, 10, 9)),
    (dt.datetime(2025, 9, 10, 0, 0, 30), (2025, 10, 10)),
    (dt.datetime(2025, 9, 10, 23, 59, 59), (2025, 10, 10)),
    (dt.datetime(2025, 12, 31, 12, 0, 0), (2026, 1, 30)),
])
def test_r5_activation_day_is_the_platform_day(core, world, actor, clock, local_now, expiry_day):
    clock.set(local_now.replace(tzinfo=GMT8))
    q = core.quotes.quote(actor("aktest"), "activation", Selection("community", project_ids=(world.community.id,)))
    assert q.lines[0].next_expires_at == eod(*expiry_day)


def test_r5_activation_in_credits(core, world, actor):
    ic = actor("inst_credit")
    core.credits.add_offline("inst_credit", 50, "sale")
    billing(core, ic)
    order = core.orders.create(ic, "activation", Selection("commercial", project_ids=(world.new_commercial.id,)),
                               accept_terms=True, pay_in="credit")
    expected = price(core, "commercial", "personnel_app").activation_credits  # door1 is the free first door
    assert order.total == Money(expected, "CREDIT")
    core.payments.pay(ic, order.txn, "credit")
    assert core.credits.balance(ic.id) == 50 - expected
    items = {i.id: i for i in core.accounts.items(ic, world.new_commercial.id)}
    assert items[world.items["test1"].id].expires_at == eod(2025, 10, 10)
    assert items[world.items["door1"].id].expires_at == eod(2025, 10, 10)


# -- R6: manual renew ---------------------------------------------------------------------------------

def test_r6_renew_to_across_items_with_different_expiries(core, world, actor):
    ak = actor("aktest")
    per = price(core, "community", "app").per_30_days
    end = eod(2025, 10, 31)
    q = renew(core, ak, "community", world.community.id, "2025-10-31")
    lines = by_item(q)
    a101, a102 = world.items["apt101"].id, world.items["apt102"].id
    assert set(lines) == {a101, a102}
    assert lines[a101].days == days_covered(eod(2025, 9, 30), end) == 31
    assert lines[a102].days == days_covered(eod(2025, 10, 15), end) == 16
    assert lines[a101].price.amount == prorated(per, 31)
    assert lines[a102].price.amount == prorated(per, 16)
    assert lines[a101].expires_at == eod(2025, 9, 30) and lines[a102].expires_at == eod(2025, 10, 15)
    assert lines[a101].next_expires_at == lines[a102].next_expires_at == end
    assert q.total.amount == prorated(per, 31) + prorated(per, 16)
    billing(core, ak)
    order = core.orders.create(ak, "renewal", Selection("community", project_ids=(world.community.id,)),
                               accept_terms=True, renew_mode="manual", renew_to="2025-10-31")
    assert order.transaction_type == "Monthly Fee" and order.total == q.total
    pay_with_coupon(core, ak, order)
    after = {i.id: i.expires_at for i in core.accounts.items(ak, world.community.id)}
    assert after[a101] == after[a102] == end


def test_r6_expired_item_renews_from_now(core, world, actor):
    ak = actor("aktest")
    q = renew(core, ak, "commercial", world.new_commercial.id, "2025-09-30")
    line = by_item(q)[world.items["attendance"].id]
    days = days_covered(core.clock.now(), eod(2025, 9, 30))
    assert days == 21  # 2025-09-10 14:00 → 2025-09-30 23:59:59: 20 days and a started one
    assert line.days == days
    assert line.price.amount == prorated(price(core, "commercial", "premium_feature").per_30_days, days)
    assert line.credits == prorated(price(core, "commercial", "premium_feature").credits_per_30_days, days)


def test_r6_items_already_past_the_date_are_left_out_with_reason(core, world, actor):
    ak = actor("aktest")
    q = renew(core, ak, "community", world.community.id, "2025-10-10")
    assert set(by_item(q)) == {world.items["apt101"].id}
    excluded = {line.item_id: line.excluded_reason for line in q.excluded}
    reason = excluded[world.items["apt102"].id]
    assert "past Renew To" in reason and "2025-10-15 23:59:59 GMT+8:00" in reason
    # An item expiring exactly on the chosen day is left out as well.
    q2 = renew(core, ak, "community", world.community.id, "2025-09-30")
    assert q2.lines == ()
    assert {line.item_id for line in q2.excluded} == {world.items[k].id for k in ("apt101", "apt102", "apt103")}
    assert q2.total.amount == 0
    # Placing it refuses with the reasons, writing nothing.
    billing(core, ak)
    with pytest.raises(InvalidInput, match="past Renew To"):
        core.orders.create(ak, "renewal", Selection("community", project_ids=(world.community.id,)),
                           accept_terms=True, renew_mode="manual", renew_to="2025-09-30")
    assert core.orders.list(ak) == []


def test_r6_price_rounded_up_to_the_cent_and_whole_credit(core, world, actor):
    ak = actor("aktest")
    add = core.accounts.add_item(world.community.id, "third_party_lock", "Gate Lock", expires="2025-09-30")
    sensor = core.accounts.add_item(world.community.id, "sensor_alert", "Sensor", expires="2025-09-30")
    q = renew(core, ak, "community", world.community.id, "2025-10-01", item_ids=(add.id, sensor.id))
    lines = by_item(q)
    for item, stype in ((add, "third_party_lock"), (sensor, "sensor_alert")):
        p = price(core, "community", stype)
        assert lines[item.id].days == 1
        assert lines[item.id].price.amount == prorated(p.per_30_days, 1)
        assert lines[item.id].credits == prorated(p.credits_per_30_days, 1)
        # The sample prices make this a real rounding-up case, not an exact division.
        assert p.per_30_days % 30 != 0 and lines[item.id].price.amount * 30 > p.per_30_days
        assert lines[item.id].credits == 1
    # Credits on a commercial door: one day of 2 credits / 30 days is 1 whole credit.
    qc = renew(core, ak, "commercial", world.new_commercial.id, "2025-09-21",
               item_ids=(world.items["door2"].id,))
    assert qc.total_credits == 1 and qc.lines[0].days == 1


def test_r6_sixty_month_cap(core, world, actor):
    ak = actor("aktest")
    q = renew(core, ak, "community", world.community.id, "2030-09-10")  # exactly 60 months from today
    assert q.lines and all(line.next_expires_at == eod(2030, 9, 10) for line in q.lines)
    with pytest.raises(InvalidInput) as exc:
        renew(core, ak, "community", world.community.id, "2030-09-11")
    assert exc.value.field == "Renew To" and "60 months" in exc.value.problem


@pytest.mark.parametrize("renew_to", ["2025-09-10", "2025-09-09", "2024-01-01", None, "", "31/12/2025"])
def test_r6_renew_to_must_be_a_date_after_today(core, world, actor, renew_to):
    with pytest.raises(InvalidInput) as exc:
        renew(core, actor("aktest"), "community", world.community.id, renew_to)
    assert exc.value.field == "Renew To"


def test_r6_renew_to_tomorrow_is_allowed(core, world, actor):
    q = renew(core, actor("aktest"), "commercial", world.new_commercial.id, "2025-09-11")
    line = by_item(q)[world.items["attendance"].id]
    assert line.next_expires_at == eod(2025, 9, 11)
    assert line.days == days_covered(core.clock.now(), eod(2025, 9, 11)) == 2


# -- R7: auto-renew -----------------------------------------------------------------------------------

def test_r7_auto_quote_is_one_30_day_cycle(core, world, actor):
    ak = actor("aktest")
    per = price(core, "community", "app").per_30_days
    q = auto(core, ak, "community", world.community.id, auto_cycles=3)
    lines = by_item(q)
    a101, a102 = world.items["apt101"].id, world.items["apt102"].id
    assert lines[a101].expires_at == eod(2025, 9, 30)
    assert lines[a101].next_expires_at == eod(2025, 10, 30)
    assert lines[a102].next_expires_at == eod(2025, 11, 14)
    assert all(line.days == 30 and line.price.amount == per for line in q.lines)
    assert q.total.amount == 2 * per
    assert q.auto_cycles == 3 and q.auto_until is None and q.renew_mode == "auto"


def test_r7_auto_expired_item_cycles_from_today(core, world, actor):
    q = auto(core, actor("aktest"), "commercial", world.new_commercial.id, auto_until="2026-03-01")
    line = by_item(q)[world.items["attendance"].id]
    assert line.next_expires_at == eod(2025, 10, 10)
    assert line.price.amount == price(core, "commercial", "premium_feature").per_30_days
    assert q.auto_until == dt.date(2026, 3, 1) and q.auto_cycles is None


@pytest.mark.parametrize("kw, field", [
    ({}, "auto-renew"),
    ({"auto_cycles": 2, "auto_until": "2026-01-01"}, "auto-renew"),
    ({"auto_cycles": 0}, "Cycles"),
    ({"auto_cycles": "many"}, "Cycles"),
    ({"auto_until": "2025-09-10"}, "Until"),
    ({"auto_until": "2031-01-01"}, "Until"),
])
def test_r7_cycles_or_end_date_required(core, world, actor, kw, field):
    with pytest.raises(InvalidInput) as exc:
        auto(core, actor("aktest"), "community", world.community.id, **kw)
    assert exc.value.field == field


def test_r7_credits_and_coupons_not_eligible_for_auto(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    core.coupons.issue("aktest", "100.00", "USD")
    core.credits.add_offline("aktest", 500, "sale")
    order = core.orders.create(ak, "renewal", Selection("community", project_ids=(world.community.id,)),
                               accept_terms=True, renew_mode="auto", auto_cycles=6)
    assert order.renew_mode == "auto" and order.auto_cycles == 6
    opts = {o.key: o for o in core.payments.options(ak, order.txn)}
    assert not opts["coupon"].eligible and "auto-renewal" in opts["coupon"].reason
    assert not opts["credit"].eligible
    with pytest.raises(NotEligible, match="Credits are not supported for auto-renewal"):
        core.orders.create(ak, "renewal", Selection("commercial", project_ids=(world.new_commercial.id,)),
                           accept_terms=True, pay_in="credit", renew_mode="auto", auto_cycles=1)
    assert core.credits.balance(ak.id) == 500


# -- the free first door (commercial) -----------------------------------------------------------------

def test_r5_first_commercial_door_is_free(core, world, actor):
    ak = actor("aktest")
    p = core.accounts.create_project("inst_credit", "commercial", "Tower", "2025-07-01")
    doors = [core.accounts.add_item(p.id, "door", f"Door {n}") for n in (1, 2, 3)]
    q = core.quotes.quote(ak, "activation", Selection("commercial", project_ids=(p.id,)))
    lines = by_item(q)
    door = price(core, "commercial", "door")
    assert lines[doors[0].id].price.amount == 0 and lines[doors[0].id].credits == 0
    assert lines[doors[1].id].price.amount == door.activation == lines[doors[2].id].price.amount
    assert q.total.amount == 2 * door.activation and q.total_credits == 2 * door.activation_credits


def test_r6_first_commercial_door_renews_free(core, world, actor):
    ak = actor("aktest")
    p = core.accounts.create_project("inst_credit", "commercial", "Annex", "2025-07-01")
    d1 = core.accounts.add_item(p.id, "door", "Front", expires="2025-09-30")
    d2 = core.accounts.add_item(p.id, "door", "Back", expires="2025-09-30")
    q = renew(core, ak, "commercial", p.id, "2025-10-31")
    lines = by_item(q)
    assert lines[d1.id].price.amount == 0
    assert lines[d2.id].price.amount == prorated(price(core, "commercial", "door").per_30_days, 31)
    # The free door belongs to each project: another project's first door is free too.
    q_all = core.quotes.quote(ak, "renewal", Selection("commercial", project_ids=(p.id, world.new_commercial.id)),
                              renew_mode="manual", renew_to="2025-10-31")
    assert by_item(q_all)[d1.id].price.amount == 0

"""R8 orders, R9 terms, R10 billing information, R11 credit ledger, R12 time, R13 payee notice."""
from __future__ import annotations

import datetime as dt

import pytest

from support import CHEAP_PASSWORDS, GMT8, billing, build_world, eod, open_card_core, open_core

from smartpay.core.config import DEFAULT_PAYEE_NOTICE, Settings, load_settings
from smartpay.core.context import Smartpay
from smartpay.core.db.models import CreditEntry
from smartpay.core.domain import LedgerKind, OrderState
from smartpay.core.errors import (ConfigError, InsufficientCredit, InvalidInput, NotVisible, OrderStateError,
                                  OrderTimedOut, PermissionDenied)
from smartpay.core.money import Money
from smartpay.core.platform_time import PlatformTime, parse_timezone
from smartpay.core.plugin_host import ChargeResult, ChargeStatus
from smartpay.core.services.quotes import Selection


@pytest.fixture
def card_core(db_url, clock):
    core = open_card_core(db_url, clock, fixed_ref="fc_1", message="card said {answer}")
    yield core
    core.close()


def renewal(core, who, pid=None, renew_to="2025-10-31", ptype="community", **kw):
    billing(core, who)
    sel = Selection(ptype, project_ids=(pid,) if pid else ())
    return core.orders.create(who, "renewal", sel, accept_terms=True, renew_mode="manual", renew_to=renew_to, **kw)


def coupon(core, who, value="100.00"):
    return core.coupons.issue(who.login, value, "USD").code


def empty_config(tmp_path):
    path = tmp_path / "empty-config.toml"
    path.write_text("", encoding="utf-8")
    return path


def expiries(core, who, pid):
    return {i.id: i.expires_at for i in core.accounts.items(who, pid)}


# -- R8: orders ------------------------------------------------------------------------------------------

def test_r8_transaction_number_has_17_digits_and_is_unique(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    txns = [core.orders.create_credit_purchase(ak, n, accept_terms=True).txn for n in range(1, 21)]
    for txn in txns:
        assert len(txn) == 17 and txn.isdigit() and txn[0] != "0"
    assert len(set(txns)) == len(txns)


def test_r8_purposes_and_labels(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    act = core.orders.create(ak, "activation", Selection("community", project_ids=(world.community.id,)),
                             accept_terms=True)
    ren = renewal(core, ak, world.community.id)
    buy = core.orders.create_credit_purchase(ak, 3, accept_terms=True)
    assert (act.purpose, act.transaction_type) == ("activation", "Activation")
    assert (ren.purpose, ren.transaction_type) == ("renewal", "Monthly Fee")
    assert (buy.purpose, buy.transaction_type) == ("credit_purchase", "Credit Purchase")
    assert act.project_type == ren.project_type == "community" and buy.project_type is None
    with pytest.raises(InvalidInput) as exc:
        core.orders.create(ak, "refund", Selection("community"), accept_terms=True)
    assert exc.value.field == "purpose"
    # Credit purchases are only for distributors.
    billing(core, actor("inst_regular"))
    with pytest.raises(PermissionDenied):
        core.orders.create_credit_purchase(actor("inst_regular"), 3, accept_terms=True)


def test_r8_items_of_one_project_type(core, world, actor):
    ak = actor("aktest")
    with pytest.raises(PermissionDenied):  # a commercial site in a community order
        renewal(core, ak, world.new_commercial.id, ptype="community")
    order = renewal(core, ak, None)  # "all" community sites of the downline
    assert order.project_type == "community"
    sites = {line.site for line in order.lines}
    assert sites <= {world.community.name, world.sub_community.name} and sites


def test_r8_states_and_labels():
    assert [s.value for s in OrderState] == ["processing", "system_processing", "succeeded", "failed",
                                             "timed_out", "cancelled"]
    assert {s.value: s.label for s in OrderState} == {
        "processing": "Processing", "system_processing": "System Processing", "succeeded": "Successful",
        "failed": "Failed", "timed_out": "Timeout", "cancelled": "Cancelled"}
    assert not OrderState.PROCESSING.is_final and OrderState.SUCCEEDED.is_final


def test_r8_new_order_is_processing_with_a_15_minute_window(core, world, actor):
    ak = actor("aktest")
    order = renewal(core, ak, world.community.id)
    assert order.state == "processing" and order.paid_at is None
    assert order.created_at == core.clock.now()
    assert order.deadline_at - order.created_at == dt.timedelta(minutes=15)


def test_r8_paid_at_the_last_second_of_the_window(core, world, actor, clock):
    ak = actor("aktest")
    order = renewal(core, ak, world.community.id)
    code = coupon(core, ak)
    clock.advance(minutes=15)
    outcome = core.payments.pay(ak, order.txn, coupons=[code])
    assert outcome.order.state == "succeeded" and outcome.order.paid_at == clock.now()


def test_r8_order_times_out_after_the_window_and_cannot_be_paid(core, world, actor, clock):
    ak = actor("aktest")
    order = renewal(core, ak, world.community.id)
    code = coupon(core, ak)
    before = expiries(core, ak, world.community.id)
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(OrderTimedOut):
        core.payments.pay(ak, order.txn, coupons=[code])
    assert core.orders.get(ak, order.txn).state == "timed_out"
    with pytest.raises(OrderStateError):
        core.payments.pay(ak, order.txn, coupons=[code])
    assert core.orders.get(ak, order.txn).state == "timed_out"
    assert expiries(core, ak, world.community.id) == before
    assert next(c for c in core.coupons.mine(ak) if c.code == code).remaining == Money(10000, "USD")


def test_r8_overdue_orders_are_listed_as_timed_out(core, world, actor, clock):
    ak = actor("aktest")
    order = renewal(core, ak, world.community.id)
    clock.advance(minutes=14)
    assert [o.state for o in core.orders.list(ak)] == ["processing"]
    clock.advance(minutes=2)
    listed = core.orders.list(ak)
    assert [(o.txn, o.state) for o in listed] == [(order.txn, "timed_out")]
    with pytest.raises(OrderStateError):
        core.orders.cancel(ak, order.txn)


def test_r8_window_is_configurable(db_url, clock, tmp_path):
    core = open_core(db_url, clock, order_window_minutes=5)
    try:
        build_world(core)
        ak = core.auth.actor("aktest")
        billing(core, ak)
        order = core.orders.create_credit_purchase(ak, 2, accept_terms=True)
        assert order.deadline_at - order.created_at == dt.timedelta(minutes=5)
        code = coupon(core, ak)
        clock.advance(minutes=5, seconds=1)
        with pytest.raises(OrderTimedOut):
            core.payments.pay(ak, order.txn, coupons=[code])
        assert core.credits.balance(ak.id) == 0
    finally:
        core.close()
    with pytest.raises(ConfigError):
        load_settings(empty_config(tmp_path), env={}, db_url=db_url, order_window_minutes=0)


def test_r8_expiry_moves_exactly_once_and_paying_twice_is_refused(core, world, actor):
    ak = actor("aktest")
    first = renewal(core, ak, world.community.id, renew_to="2025-10-31")
    second = renewal(core, ak, world.community.id, renew_to="2025-11-30")  # same items, placed before paying
    code = coupon(core, ak)
    core.payments.pay(ak, first.txn, coupons=[code])
    moved = expiries(core, ak, world.community.id)
    assert moved[world.items["apt101"].id] == moved[world.items["apt102"].id] == eod(2025, 10, 31)
    left = next(c for c in core.coupons.mine(ak) if c.code == code).remaining
    with pytest.raises(OrderStateError):
        core.payments.pay(ak, first.txn, coupons=[code])
    # The second order was priced from the old expiries: paying it would charge days already paid.
    with pytest.raises(OrderStateError, match="changed since"):
        core.payments.pay(ak, second.txn, coupons=[code])
    assert expiries(core, ak, world.community.id) == moved
    assert next(c for c in core.coupons.mine(ak) if c.code == code).remaining == left
    assert core.orders.get(ak, first.txn).state == "succeeded"
    assert core.orders.get(ak, second.txn).state == "processing"


def test_r8_expiry_moves_only_when_the_whole_order_is_paid(card_core, clock):
    core = card_core
    world = build_world(core)
    ak = core.auth.actor("aktest")
    order = renewal(core, ak, world.community.id)
    before = expiries(core, ak, world.community.id)
    core.fake.answer = ChargeStatus.PENDING  # the payer is on the provider's page
    outcome = core.payments.pay(ak, order.txn, "fakecard")
    assert outcome.order.state == "processing"
    assert expiries(core, ak, world.community.id) == before
    with pytest.raises(OrderStateError):  # no second attempt, no cancel while one is in flight (M3)
        core.payments.pay(ak, order.txn, "fakecard")
    with pytest.raises(OrderStateError):
        core.orders.cancel(ak, order.txn)
    attempt = core.orders.get(ak, order.txn).attempts[0]
    assert attempt.state == "processing" and attempt.idempotency_key.startswith(order.txn)
    done = core.payments.record_result(ak, order.txn, attempt.id,
                                       ChargeResult(ChargeStatus.PROCESSED, attempt.amount, provider_ref="fc_1"))
    assert done.order.state == "succeeded"
    after = expiries(core, ak, world.community.id)
    assert after[world.items["apt101"].id] == eod(2025, 10, 31)
    # A repeated notice (webhook retry) changes nothing.
    again = core.payments.record_result(ak, order.txn, attempt.id,
                                        ChargeResult(ChargeStatus.PROCESSED, attempt.amount, provider_ref="fc_1"))
    assert again.order.state == "succeeded"
    assert expiries(core, ak, world.community.id) == after


def test_r8_failed_payment_leaves_expiries_alone(card_core, clock):
    core = card_core
    world = build_world(core)
    ak = core.auth.actor("aktest")
    order = renewal(core, ak, world.community.id)
    before = expiries(core, ak, world.community.id)
    core.fake.answer = ChargeStatus.ERROR
    outcome = core.payments.pay(ak, order.txn, "fakecard")
    assert outcome.order.state == "failed" and outcome.order.failure_reason
    assert expiries(core, ak, world.community.id) == before
    with pytest.raises(OrderStateError):
        core.payments.pay(ak, order.txn, "fakecard")


def test_r8_cancel(core, world, actor):
    ak = actor("aktest")
    order = renewal(core, ak, world.community.id)
    cancelled = core.orders.cancel(ak, order.txn)
    assert cancelled.state == "cancelled" and cancelled.failure_reason
    with pytest.raises(OrderStateError):
        core.orders.cancel(ak, order.txn)
    code = coupon(core, ak)
    with pytest.raises(OrderStateError):
        core.payments.pay(ak, order.txn, coupons=[code])
    paid = renewal(core, ak, world.community.id)
    core.payments.pay(ak, paid.txn, coupons=[code])
    with pytest.raises(OrderStateError):
        core.orders.cancel(ak, paid.txn)
    assert core.orders.get(ak, paid.txn).state == "succeeded"


# -- R9: terms -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept", [False, None, "yes", 1])
def test_r9_terms_must_be_accepted(core, world, actor, accept):
    ak = actor("aktest")
    billing(core, ak)
    with pytest.raises(InvalidInput) as exc:
        core.orders.create(ak, "renewal", Selection("community", project_ids=(world.community.id,)),
                           accept_terms=accept, renew_mode="manual", renew_to="2025-10-31")
    assert exc.value.field == "Terms and Conditions"
    with pytest.raises(InvalidInput) as exc2:
        core.orders.create_credit_purchase(ak, 5, accept_terms=accept)
    assert exc2.value.field == "Terms and Conditions"
    assert core.orders.list(ak) == []


# -- R10: billing information ---------------------------------------------------------------------------

def test_r10_billing_information_required_before_ordering(core, world, actor):
    ak = actor("aktest")
    assert core.billing.get(ak) is None
    with pytest.raises(InvalidInput) as exc:
        core.orders.create(ak, "renewal", Selection("community", project_ids=(world.community.id,)),
                           accept_terms=True, renew_mode="manual", renew_to="2025-10-31")
    assert exc.value.field == "billing information"
    with pytest.raises(InvalidInput):
        core.orders.create_credit_purchase(ak, 5, accept_terms=True)
    assert core.orders.list(ak) == []


GOOD = dict(company="Default Company", attn="Ann Tan", address="1 Harbour Road", tel="+65 6123 4567", fax="")


@pytest.mark.parametrize("field, value, label", [
    ("company", "", "Company/Family"),
    ("company", "x" * 129, "Company/Family"),
    ("attn", "   ", "ATTN"),
    ("address", "", "Address"),
    ("address", "y" * 257, "Address"),
    ("tel", "", "TEL"),
    ("tel", "call me", "TEL"),
    ("tel", "12", "TEL"),
    ("fax", "fax!", "Fax"),
    ("fax", "+1", "Fax"),
])
def test_r10_each_bad_field_gets_its_own_message(core, world, actor, field, value, label):
    ak = actor("aktest")
    with pytest.raises(InvalidInput) as exc:
        core.billing.save(ak, **{**GOOD, field: value})
    assert exc.value.field == label and exc.value.problem
    assert str(exc.value).startswith(label + ":")
    assert core.billing.get(ak) is None  # nothing half-saved


def test_r10_remembered_per_account_and_copied_onto_orders(core, world, actor):
    ak, other = actor("aktest"), actor("other_dist")
    saved = core.billing.save(ak, **{**GOOD, "fax": "+65 6123 0000"})
    assert core.billing.get(ak) == saved
    assert saved.fax == "+65 6123 0000" and saved.company == "Default Company"
    assert core.billing.get(other) is None
    core.billing.save(ak, **{**GOOD, "company": "  New Name Pte Ltd  "})
    assert core.billing.get(ak).company == "New Name Pte Ltd"
    order = core.orders.create_credit_purchase(ak, 1, accept_terms=True)
    assert order.billing.company == "New Name Pte Ltd"
    # Later edits do not rewrite an order already placed.
    core.billing.save(ak, **GOOD)
    assert core.orders.get(ak, order.txn).billing.company == "New Name Pte Ltd"


# -- R11: credit ledger ---------------------------------------------------------------------------------

def entries(account_id):
    return list(CreditEntry.select().where(CreditEntry.account == account_id).order_by(CreditEntry.id))


def assert_ledger_consistent(core, account_id):
    running = 0
    for e in entries(account_id):
        running += e.amount
        assert e.balance_after == running >= 0
    assert core.credits.balance(account_id) == running == core.credits.ledger_sum(account_id)


def test_r11_assign_down_own_downline_writes_a_pair(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 100, "offline sale")
    assert core.credits.assign(ak, "subdist", 40) == 60
    sub = actor("subdist")
    assert core.credits.assign(sub, "inst_sub", 15) == 25
    assert core.credits.assign(ak, "inst_sub", 5) == 55  # two levels down is still its downline
    out = core.credits.log(ak)[0]
    inn = core.credits.log(actor("inst_sub"))[0]
    assert (out.kind, out.amount, out.balance_after, out.actor_login, out.counterparty_login) == \
        ("assign_out", -5, 55, "aktest", "inst_sub")
    assert (inn.kind, inn.amount, inn.balance_after, inn.actor_login, inn.counterparty_login) == \
        ("assign_in", 5, 20, "aktest", "aktest")
    kinds = [(e.kind, e.amount) for e in core.credits.log(sub)]
    assert kinds == [("assign_out", -15), ("assign_in", 40)]
    for login in ("aktest", "subdist", "inst_sub"):
        assert_ledger_consistent(core, actor(login).id)
    outs = CreditEntry.select().where(CreditEntry.kind == "assign_out").count()
    ins = CreditEntry.select().where(CreditEntry.kind == "assign_in").count()
    assert outs == ins == 3


def test_r11_assign_only_down_the_own_downline(core, world, actor):
    core.credits.add_offline("aktest", 100, "sale")
    core.credits.add_offline("subdist", 100, "sale")
    core.credits.add_offline("inst_regular", 100, "sale")
    ak, sub = actor("aktest"), actor("subdist")
    for who, to in ((ak, "other_inst"), (ak, "other_dist"), (sub, "aktest"), (sub, "inst_regular"),
                    (sub, "subdist")):
        with pytest.raises(PermissionDenied):
            core.credits.assign(who, to, 1)
    for who in ("inst_regular", "pm_regular"):
        with pytest.raises(PermissionDenied):
            core.credits.assign(actor(who), "pm_regular", 1)
    assert [core.credits.balance(actor(x).id) for x in ("aktest", "subdist", "inst_regular", "other_inst")] == \
        [100, 100, 100, 0]


def test_r11_balance_never_negative(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 10, "sale")
    with pytest.raises(InsufficientCredit):
        core.credits.assign(ak, "inst_credit", 11)
    assert core.credits.balance(ak.id) == 10 and core.credits.balance(actor("inst_credit").id) == 0
    assert len(entries(actor("inst_credit").id)) == 0  # no half pair
    for bad in (0, -5, "abc", "1.5"):
        with pytest.raises(InvalidInput) as exc:
            core.credits.assign(ak, "inst_credit", bad)
        assert exc.value.field == "Amount"
    with core.credits.write():
        with pytest.raises(InsufficientCredit):
            core.credits.consume(ak.id, 11, None)
    assert core.credits.assign(ak, "inst_credit", 10) == 0
    assert_ledger_consistent(core, ak.id)


def test_r11_consume_entry_names_actor_and_order(core, world, actor):
    ic = actor("inst_credit")
    core.credits.add_offline("inst_credit", 50, "sale")
    order = renewal(core, ic, world.new_commercial.id, ptype="commercial", pay_in="credit")
    core.payments.pay(ic, order.txn, "credit")
    log = core.credits.log(ic)
    assert [e.kind for e in log] == ["consume", "purchase"]
    consume = log[0]
    assert consume.amount == -order.total.amount and consume.order_txn == order.txn
    assert consume.actor_login == "inst_credit" and consume.balance_after == 50 - order.total.amount
    assert log[1].reference == "sale"
    assert_ledger_consistent(core, ic.id)
    # The log is the actor's own only, and can be filtered by kind.
    assert [e.kind for e in core.credits.log(ic, kind="purchase")] == ["purchase"]
    assert core.credits.log(actor("aktest")) == []


def test_r11_refund_is_a_compensating_entry(core, world, actor):
    ak = actor("aktest")
    core.credits.add_offline("aktest", 20, "sale")
    with core.credits.write():
        core.credits.consume(ak.id, 8, None)
    with core.credits.write():
        assert core.credits.refund(ak.id, 8, None, "goodwill") == 20
    assert [e.kind for e in entries(ak.id)] == ["purchase", "consume", "refund"]
    assert_ledger_consistent(core, ak.id)
    with pytest.raises(RuntimeError):  # ledger writes only inside a write transaction
        core.credits.append(ak.id, LedgerKind.PURCHASE, 1)


# -- R12: time -------------------------------------------------------------------------------------------

def test_r12_expiries_are_end_of_day_and_shown_with_offset(core, world, actor):
    ak = actor("aktest")
    item = {i.id: i for i in core.accounts.items(ak, world.community.id)}[world.items["apt101"].id]
    assert item.expires_at == eod(2025, 9, 30)
    assert core.ptime.format(item.expires_at) == "2025-09-30 23:59:59 GMT+8:00"
    assert core.ptime.offset_label(item.expires_at) == "GMT+8:00"


def test_r12_item_status_follows_the_clock(core, world, actor, clock):
    ak = actor("aktest")
    apt101 = world.items["apt101"].id
    clock.set(dt.datetime(2025, 9, 30, 23, 59, 58, tzinfo=GMT8))
    assert {i.id: i.status for i in core.accounts.items(ak, world.community.id)}[apt101] == "active"
    clock.set(dt.datetime(2025, 10, 1, 0, 0, 0, tzinfo=GMT8))
    assert {i.id: i.status for i in core.accounts.items(ak, world.community.id)}[apt101] == "expired"


@pytest.mark.parametrize("tz, label, expiry", [
    ("GMT+8", "GMT+8:00", eod(2025, 10, 11)),
    ("UTC", "GMT+0:00", eod(2025, 10, 10, dt.timezone.utc)),
    ("GMT-5", "GMT-5:00", eod(2025, 10, 10, dt.timezone(dt.timedelta(hours=-5)))),
    ("Asia/Kolkata", "GMT+5:30", eod(2025, 10, 10, dt.timezone(dt.timedelta(hours=5, minutes=30)))),
])
def test_r12_platform_timezone_is_configuration(db_url, tz, label, expiry):
    from smartpay.core.clock import FixedClock
    # 2025-09-11 01:00 in GMT+8 is still 2025-09-10 in UTC, GMT-5 and India.
    clock = FixedClock(dt.datetime(2025, 9, 11, 1, 0, tzinfo=GMT8))
    core = open_core(db_url, clock, timezone=tz)
    try:
        world = build_world(core)
        ak = core.auth.actor("aktest")
        q = core.quotes.quote(ak, "activation", Selection("community", project_ids=(world.community.id,)))
        assert q.lines[0].next_expires_at == expiry
        assert core.ptime.format(expiry).endswith(" 23:59:59 " + label)
        assert core.ptime.format(world.items["apt101"].expires_at) == "2025-09-30 23:59:59 " + label
    finally:
        core.close()


def test_r12_timezone_parsing(tmp_path):
    assert PlatformTime(parse_timezone("GMT+8")).offset_label() == "GMT+8:00"
    assert PlatformTime(parse_timezone("+05:45")).offset_label() == "GMT+5:45"
    assert PlatformTime(parse_timezone("UTC-3:30")).offset_label() == "GMT-3:30"
    for bad in ("GMT+15", "Mars/Olympus", "+8:75"):
        with pytest.raises(ConfigError):
            parse_timezone(bad)
    with pytest.raises(ConfigError):
        load_settings(empty_config(tmp_path), env={}, timezone="Nowhere/Atall")


# -- R13: payee notice ----------------------------------------------------------------------------------

def test_r13_default_payee_notice_names_smart_plus():
    assert "SMART-PLUS PTE. LTD" in DEFAULT_PAYEE_NOTICE and "Singapore" in DEFAULT_PAYEE_NOTICE
    assert Settings(db_url="sqlite:///x.db").payee_notice == DEFAULT_PAYEE_NOTICE


def test_r13_payee_notice_is_configurable(tmp_path, db_url, clock):
    cfg = tmp_path / "config.toml"
    cfg.write_text('payee_notice = "Payment recipient: ACME Billing Ltd, Mars"\n', encoding="utf-8")
    settings = load_settings(cfg, env={}, db_url=db_url)
    assert settings.payee_notice == "Payment recipient: ACME Billing Ltd, Mars"
    core = Smartpay.open(settings, clock, upgrade=True, passwords=CHEAP_PASSWORDS)
    try:
        assert core.settings.payee_notice == "Payment recipient: ACME Billing Ltd, Mars"
    finally:
        core.close()
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert "SMART-PLUS" in load_settings(empty, env={}, db_url=db_url).payee_notice


# -- R15: purchased credits land where the buyer says -------------------------------------------------

def test_r15_credits_bought_for_an_installer_land_in_its_balance(core, world, actor):
    ak, inst = actor("aktest"), actor("inst_regular")
    billing(core, ak)
    order = core.orders.create_credit_purchase(ak, 12, accept_terms=True, for_login="inst_regular")
    assert order.credit_for_login == "inst_regular"
    assert core.credits.balance(inst.id) == 0          # nothing lands before the order is paid
    paid = core.payments.pay(ak, order.txn, coupons=[coupon(core, ak)])
    assert paid.order.state == OrderState.SUCCEEDED and paid.order.credit_for_login == "inst_regular"
    assert core.credits.balance(inst.id) == 12 and core.credits.balance(ak.id) == 0
    mine = [(e.kind, e.amount, e.counterparty_login, e.order_txn) for e in core.credits.log(ak)]
    assert mine == [("assign_out", -12, "inst_regular", order.txn), ("purchase", 12, None, order.txn)]
    theirs = [(e.kind, e.amount, e.actor_login, e.order_txn) for e in core.credits.log(inst)]
    assert theirs == [("assign_in", 12, "aktest", order.txn)]
    for who in (ak, inst):
        assert_ledger_consistent(core, who.id)


def test_r15_credits_are_bought_only_for_the_buyers_own_downline(core, world, actor):
    ak = actor("aktest")
    billing(core, ak)
    with pytest.raises(NotVisible):
        core.orders.create_credit_purchase(ak, 5, accept_terms=True, for_login="other_inst")
    with pytest.raises(NotVisible):
        core.orders.create_credit_purchase(ak, 5, accept_terms=True, for_login="nobody_here")
    own = core.orders.create_credit_purchase(ak, 5, accept_terms=True, for_login="aktest")
    assert own.credit_for_login is None   # for oneself: the plain purchase

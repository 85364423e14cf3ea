"""Property tests (hypothesis) for pricing and the credit ledger, and Money.parse round trips.

Each database-backed property builds its database once (the function-scoped fixtures run once per
test function, not per example) and keeps example counts modest so the suite stays fast."""
from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
import math

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import GMT8, NOW, PASSWORD

from smartpay.core.db.models import CreditEntry
from smartpay.core.errors import InsufficientCredit, InvalidInput, PermissionDenied
from smartpay.core.money import CREDIT, Money, prorate
from smartpay.core.services.quotes import Selection

DB_SETTINGS = settings(max_examples=50, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
DAY = dt.timedelta(days=1)


def eod(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), GMT8)


def started_days(start, end):
    return math.ceil(Fraction(int((end - start).total_seconds()), 86400))


# -- pricing --------------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(price=st.integers(0, 10**7), days=st.integers(-5, 2000))
def test_prorate_is_ceiling_never_negative_and_monotone(price, days):
    value = prorate(price, days)
    expected = math.ceil(Fraction(price * max(days, 0), 30))
    assert value == expected >= 0
    assert prorate(price, days + 1) >= value
    if days == 30:
        assert value == price


PROJECTS = ("community", "single_family", "new_commercial", "old_commercial", "sub_community")


@DB_SETTINGS
@given(data=st.data())
def test_quote_totals_never_negative_and_monotone_in_renew_to(core, world, actor, clock, data):
    ak = actor("aktest")
    key = data.draw(st.sampled_from(PROJECTS), label="project")
    project = getattr(world, key)
    minutes = data.draw(st.integers(0, 3 * 24 * 60), label="minutes after NOW")
    clock.set(NOW + dt.timedelta(minutes=minutes))
    now = clock.now()
    today = now.astimezone(GMT8).date()
    latest = today + relativedelta(months=60)
    span = (latest - today).days
    a = data.draw(st.integers(1, span), label="first renew-to offset")
    b = data.draw(st.integers(a, span), label="second renew-to offset")
    ptype = project.type.value
    totals = []
    for offset in (a, b):
        day = today + dt.timedelta(days=offset)
        q = core.quotes.quote(ak, "renewal", Selection(ptype, project_ids=(project.id,)), renew_mode="manual",
                              renew_to=day)
        assert q.total.amount >= 0 and q.total_credits >= 0
        assert q.total.amount == sum(line.price.amount for line in q.lines)
        assert q.total_credits == sum(line.credits for line in q.lines)
        for line in q.lines:
            # Independently: started days from max(expiry, now) to 23:59:59 GMT+8, price × days / 30 up.
            start = max(line.expires_at, now)
            days = started_days(start, eod(day))
            p = core.price_list.price(ptype, line.service_type)
            assert line.days == days > 0
            assert line.price.amount == math.ceil(Fraction(p.per_30_days * days, 30)) >= 0
            assert line.credits == math.ceil(Fraction(p.credits_per_30_days * days, 30)) >= 0
            assert line.next_expires_at == eod(day)
        totals.append((q.total.amount, q.total_credits, {line.item_id for line in q.lines}))
    (m1, c1, items1), (m2, c2, items2) = totals
    assert m1 <= m2 and c1 <= c2
    assert items1 <= items2  # a later date never leaves out an item an earlier one included


# -- the credit ledger ----------------------------------------------------------------------------------

_tree_ids = itertools.count(1)

OPS = st.one_of(
    st.tuples(st.just("purchase"), st.integers(0, 3), st.integers(1, 50)),
    st.tuples(st.just("assign"), st.integers(0, 3), st.integers(0, 3), st.integers(1, 60)),
    st.tuples(st.just("consume"), st.integers(0, 3), st.integers(1, 60)),
)


@DB_SETTINGS
@given(ops=st.lists(OPS, min_size=1, max_size=25))
def test_ledger_balance_is_sum_of_entries_and_never_negative(core, ops):
    n = next(_tree_ids)
    a = core.accounts
    # A small tree of its own per example: dist → sub → inst, and dist → inst2.
    logins = [f"dist{n}", f"sub{n}", f"inst{n}", f"inst_b{n}"]
    a.create_account("distributor", logins[0], "D", PASSWORD)
    a.create_account("sub_distributor", logins[1], "S", PASSWORD, parent=logins[0])
    a.create_account("installer", logins[2], "I", PASSWORD, parent=logins[1])
    a.create_account("installer", logins[3], "J", PASSWORD, parent=logins[0])
    actors = [core.auth.actor(x) for x in logins]
    downline = {0: {1, 2, 3}, 1: {2}, 2: set(), 3: set()}
    model = [0, 0, 0, 0]
    for op in ops:
        if op[0] == "purchase":
            _, who, amount = op
            core.credits.add_offline(logins[who], amount, "property test")
            model[who] += amount
        elif op[0] == "assign":
            _, src, dst, amount = op
            if dst not in downline[src]:
                with pytest.raises(PermissionDenied):
                    core.credits.assign(actors[src], logins[dst], amount)
            elif model[src] < amount:
                with pytest.raises(InsufficientCredit):
                    core.credits.assign(actors[src], logins[dst], amount)
            else:
                assert core.credits.assign(actors[src], logins[dst], amount) == model[src] - amount
                model[src] -= amount
                model[dst] += amount
        else:
            _, who, amount = op
            with core.credits.write():
                if model[who] < amount:
                    with pytest.raises(InsufficientCredit):
                        core.credits.consume(actors[who].id, amount, None)
                else:
                    core.credits.consume(actors[who].id, amount, None)
                    model[who] -= amount
        assert [core.credits.balance(x.id) for x in actors] == model
    ids = [x.id for x in actors]
    for account_id, expected in zip(ids, model):
        running = 0
        for e in CreditEntry.select().where(CreditEntry.account == account_id).order_by(CreditEntry.id):
            running += e.amount
            assert e.balance_after == running >= 0
        assert running == expected == core.credits.ledger_sum(account_id) == core.credits.balance(account_id)
    outs = CreditEntry.select().where((CreditEntry.account.in_(ids)) & (CreditEntry.kind == "assign_out")).count()
    ins = CreditEntry.select().where((CreditEntry.account.in_(ids)) & (CreditEntry.kind == "assign_in")).count()
    assert outs == ins


# -- Money ----------------------------------------------------------------------------------------------

CURRENCIES = {"USD": 2, "EUR": 2, "SGD": 2, "JPY": 0, "KRW": 0, CREDIT: 0}


@settings(max_examples=200, deadline=None)
@given(currency=st.sampled_from(sorted(CURRENCIES)), data=st.data())
def test_money_plain_parse_round_trip(currency, data):
    exp = CURRENCIES[currency]
    amount = data.draw(st.integers(0, 10**12 * 10**exp - 1))
    money = Money(amount, currency)
    assert Money.parse(money.plain(), currency) == money
    if amount:
        assert money.format().replace(",", "").startswith(money.plain())


@settings(max_examples=200, deadline=None)
@given(currency=st.sampled_from(sorted(CURRENCIES)), whole=st.integers(0, 10**12 - 1), data=st.data())
def test_money_parse_reads_decimal_text_exactly(currency, whole, data):
    exp = CURRENCIES[currency]
    frac = data.draw(st.text("0123456789", min_size=0, max_size=exp))
    text = f"{whole}.{frac}" if frac else str(whole)
    parsed = Money.parse(f"  {text} ", currency)
    assert parsed.amount == whole * 10**exp + (int(frac) * 10**(exp - len(frac)) if frac else 0)
    assert Money.parse(parsed.plain(), currency) == parsed
    too_many = f"{whole}.{'5' * (exp + 1)}"
    with pytest.raises(InvalidInput):
        Money.parse(too_many, currency)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=12))
def test_money_parse_rejects_or_reads_any_text(text):
    try:
        parsed = Money.parse(text, "USD")
    except InvalidInput as exc:
        assert exc.field == "amount"
    else:
        assert parsed.amount >= 0 and Money.parse(parsed.plain(), "USD") == parsed

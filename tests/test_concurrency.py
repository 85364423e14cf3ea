"""Concurrency on the real database (R8, R11; M2, M4): several OS processes, each with its own
Smartpay on the same database (the SQLite file, or the PostgreSQL test database), start
together behind a barrier and fight over the same balance and the same orders.

Workers are started with multiprocessing's 'spawn' context, so each one imports smartpay afresh
and opens its own connection — nothing is shared but the database."""
from __future__ import annotations

import datetime as dt
import random
import traceback
from collections import Counter

import pytest

from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.db.database import write_transaction
from smartpay.core.db.models import AuditLog, CreditEntry, Item, Order, PaymentAttempt
from smartpay.core.domain import LedgerKind
from smartpay.core.errors import InsufficientCredit, OrderStateError, PaymentInProgress
from smartpay.core.services.quotes import Selection

from support import CHEAP_PASSWORDS, NOW, billing
from processes import run_behind_barrier

pytestmark = pytest.mark.slow

START_TIMEOUT = 90     # seconds a worker waits at the barrier for the others (spawn start-up included)
JOIN_TIMEOUT = 120

# Who hands credits to whom in the ledger test: the distributor down to three accounts of its
# downline, and the sub-distributor further down to its installer.
DIST_TARGETS = ("subdist", "inst_credit", "inst_regular")
DOWNLINE_CONSUMERS = ("subdist", "inst_credit", "inst_sub")


# -- workers (module level: 'spawn' pickles them by name) -------------------------------------------
def _open(db_url: str) -> Smartpay:
    core = Smartpay.open(Settings(db_url=db_url), FixedClock(NOW), passwords=CHEAP_PASSWORDS)
    core.plugins.methods()  # load plugins before the start signal, so the race is on the database
    return core


def _ledger_worker(db_url: str, seed: int, n_ops: int, barrier, results) -> None:
    """Random assign/consume operations; reports what succeeded so the parent can reconcile."""
    out = {"seed": seed, "ok": Counter(), "insufficient": 0, "assigned": Counter(), "consumed": Counter(),
           "error": None}
    try:
        core = _open(db_url)
        ak, sub = core.auth.actor("aktest"), core.auth.actor("subdist")
        ids = {login: core.auth.actor(login).id for login in DOWNLINE_CONSUMERS}
        rng = random.Random(seed)
        barrier.wait(START_TIMEOUT)
        for _ in range(n_ops):
            op = rng.choice(("assign", "assign", "consume", "sub_assign", "consume_down"))
            amount = rng.randint(1, 40)
            try:
                if op == "assign":
                    to = rng.choice(DIST_TARGETS)
                    core.credits.assign(ak, to, amount)
                    out["assigned"][("aktest", to)] += amount
                elif op == "sub_assign":
                    core.credits.assign(sub, "inst_sub", amount)
                    out["assigned"][("subdist", "inst_sub")] += amount
                else:
                    who = "aktest" if op == "consume" else rng.choice(DOWNLINE_CONSUMERS)
                    account_id = ak.id if who == "aktest" else ids[who]
                    with write_transaction(core.db):
                        core.credits.consume(account_id, amount, None)
                    out["consumed"][who] += amount
                out["ok"][op] += 1
            except InsufficientCredit:
                out["insufficient"] += 1
        core.close()
    except Exception:  # reported to the parent, which fails the test with the traceback
        barrier.abort()
        out["error"] = traceback.format_exc()
    results.put(out)


def _pay_worker(db_url: str, txns: list[str], barrier, results) -> None:
    """Pay orders with credits, one per round, every round started with the others at once;
    report 'ok' or the refusal for each."""
    out = []
    try:
        core = _open(db_url)
        ak = core.auth.actor("aktest")
        for txn in txns:
            barrier.wait(START_TIMEOUT)
            try:
                outcome = core.payments.pay(ak, txn, "credit")
                out.append((txn, "ok", outcome.order.state))
            except PaymentInProgress as exc:  # must not happen: in-core charges never leave one open
                out.append((txn, "PaymentInProgress", exc.message))
            except OrderStateError as exc:
                out.append((txn, "OrderStateError", exc.message))
        core.close()
    except Exception:
        barrier.abort()  # the others stop waiting for this one
        out.append((None, "crash", traceback.format_exc()))
    results.put(out)


def _run(target, arg_lists: list[tuple]) -> list:
    """Start one process per argument tuple behind a shared barrier; collect one result each."""
    return run_behind_barrier([(target, args) for args in arg_lists], JOIN_TIMEOUT)


# -- (a) the ledger under contention ------------------------------------------------------------------
def test_r11_concurrent_assign_and_consume_keep_the_ledger_consistent(core, world, db_url):
    start = 1500
    core.credits.add_offline("aktest", start, "offline sale")
    core.close()  # the parent stays out of the way while the workers run

    workers, n_ops = 4, 25
    out = _run(_ledger_worker, [(db_url, seed, n_ops) for seed in range(workers)])
    errors = [o["error"] for o in out if o["error"]]
    assert not errors, errors[0]

    ok = sum((o["ok"] for o in out), Counter())
    insufficient = sum(o["insufficient"] for o in out)
    assert sum(ok.values()) + insufficient == workers * n_ops
    # Demand (about 100 operations × 20 credits) exceeds the supply, so some operations must be refused
    # and some must get through — both paths ran under contention.
    assert insufficient > 0 and sum(ok.values()) > 0

    entries = list(CreditEntry.select().order_by(CreditEntry.id))
    by_account: dict[int, list[CreditEntry]] = {}
    for e in entries:
        by_account.setdefault(e.account_id, []).append(e)
    # Every balance is never negative, chains entry by entry (no two writers read the same
    # balance), and equals the sum of the account's entries.
    for account_id, rows in by_account.items():
        running = 0
        for e in rows:
            running += e.amount
            assert e.balance_after == running >= 0, (account_id, e.id, e.kind, e.amount, e.balance_after)
        assert core.credits.balance(account_id) == core.credits.ledger_sum(account_id) == running >= 0

    # Every assign_out has its assign_in: same two accounts, same amount.
    outs = Counter((e.account_id, e.counterparty_id, -e.amount) for e in entries if e.kind == LedgerKind.ASSIGN_OUT)
    ins = Counter((e.counterparty_id, e.account_id, e.amount) for e in entries if e.kind == LedgerKind.ASSIGN_IN)
    assert outs == ins
    assert sum(outs.values()) == ok["assign"] + ok["sub_assign"]

    # What the workers say they did is exactly what the ledger holds.
    login_of = {core.auth.actor(login).id: login for login in ("aktest", *DIST_TARGETS, *DOWNLINE_CONSUMERS)}
    assigned = sum((o["assigned"] for o in out), Counter())
    consumed = sum((o["consumed"] for o in out), Counter())
    ledger_assigned = Counter()
    for (src, dst, amount), n in outs.items():
        ledger_assigned[(login_of[src], login_of[dst])] += amount * n
    assert ledger_assigned == assigned
    ledger_consumed = Counter()
    for e in entries:
        if e.kind == LedgerKind.CONSUME:
            ledger_consumed[login_of[e.account_id]] += -e.amount
    assert ledger_consumed == consumed
    assert sum(1 for e in entries if e.kind == LedgerKind.CONSUME) == ok["consume"] + ok["consume_down"]

    # Credits are conserved: what was bought is either still held somewhere or was consumed.
    held = sum(core.credits.balance(a) for a in by_account)
    assert held + sum(consumed.values()) == start
    assert sum(e.amount for e in entries) == held


# -- (b) the same order paid by several processes at once --------------------------------------------
ROUNDS = 5  # each round is a fresh race; several rounds make a lost race very unlikely to hide


def _credit_order(core, world, renew_to: str, item_ids: tuple[int, ...] = ()):
    ak = core.auth.actor("aktest")
    return core.orders.create(ak, "renewal", Selection("commercial", installer="inst_credit",
                                                       project_ids=(world.new_commercial.id,), item_ids=item_ids),
                              accept_terms=True, pay_in="credit", renew_mode="manual", renew_to=renew_to)


def _round_items(core, world, r: int) -> tuple[int, ...]:
    """Round 0 races on the seed world's New Commercial order (its active items); later rounds on
    two fresh items each, so every round starts from unpaid, unmoved items."""
    if r == 0:
        return ()
    nc = world.new_commercial.id
    a = core.accounts.add_item(nc, "admin_app", f"Round {r} admin", expires="2025-09-20")
    b = core.accounts.add_item(nc, "personnel_app", f"Round {r} staff", expires="2025-08-01")
    return (a.id, b.id)


def _expiries(item_ids) -> dict[int, object]:
    return {i.id: i.expires_at for i in Item.select().where(Item.id.in_(list(item_ids)))}


def _flatten(out: list[list[tuple]]) -> list[tuple]:
    flat = [r for worker in out for r in worker]
    crashes = [r for r in flat if r[1] == "crash"]
    assert not crashes, crashes[0][2]
    return flat


def test_r8_same_order_paid_by_several_processes_is_paid_once(core, world, db_url):
    ak = core.auth.actor("aktest")
    start = 5000
    core.credits.add_offline("aktest", start, "offline sale")
    billing(core, ak)
    orders = []
    for r in range(ROUNDS):  # the seed order first: its selection is the whole project
        order = _credit_order(core, world, "2025-09-30", _round_items(core, world, r))
        assert len(order.lines) >= 2 and order.total.amount > 0
        orders.append(order)
    assert [line.subject_name for line in orders[0].lines] == ["Side Door", "Attendance"]
    items = [line.item_id for o in orders for line in o.lines]
    end = core.ptime.end_of_day(dt.date(2025, 9, 30))
    assert all(at != end for at in _expiries(items).values())
    core.close()

    workers = 4
    flat = _flatten(_run(_pay_worker, [(db_url, [o.txn for o in orders])] * workers))
    for order in orders:
        outcomes = [r for r in flat if r[0] == order.txn]
        assert Counter(r[1] for r in outcomes) == {"ok": 1, "OrderStateError": workers - 1}, outcomes
        assert all("cannot be paid again" in r[2] for r in outcomes if r[1] == "OrderStateError"), outcomes

        row = Order.get(Order.txn == order.txn)
        assert row.state == "succeeded"
        consumes = list(CreditEntry.select().where((CreditEntry.order == row.id) &
                                                   (CreditEntry.kind == LedgerKind.CONSUME)))
        assert [e.amount for e in consumes] == [-order.total.amount]  # credits consumed exactly once
        attempts = list(PaymentAttempt.select().where(PaymentAttempt.order == row.id))
        assert [a.state for a in attempts] == ["succeeded"]
        assert AuditLog.select().where((AuditLog.action == "order.paid") &
                                       (AuditLog.target == order.txn)).count() == 1
    paid = sum(o.total.amount for o in orders)
    assert core.credits.balance(ak.id) == core.credits.ledger_sum(ak.id) == start - paid
    assert CreditEntry.select().where(CreditEntry.kind == LedgerKind.CONSUME).count() == ROUNDS
    # Every item moved once, to the end of the Renew To day in platform time.
    assert _expiries(items) == {i: end for i in items}


# -- (c) different orders for the same items, paid at once -------------------------------------------
DAYS = ("2025-09-30", "2025-10-31", "2025-11-30")


def test_r8_competing_orders_for_the_same_items_move_expiry_once(core, world, db_url):
    ak = core.auth.actor("aktest")
    start = 20000
    core.credits.add_offline("aktest", start, "offline sale")
    billing(core, ak)
    rounds = []  # per round: {txn: (renew-to day, order)}, all placed before any is paid
    for r in range(ROUNDS):
        item_ids = _round_items(core, world, r)
        orders = {}
        for day in DAYS:
            o = _credit_order(core, world, day, item_ids)
            orders[o.txn] = (day, o)
        items = {line.item_id for _, o in orders.values() for line in o.lines}
        assert all({line.item_id for line in o.lines} == items for _, o in orders.values())
        rounds.append((orders, items))
    core.close()

    # Worker k pays the k-th order of every round: in each round the orders race each other.
    flat = _flatten(_run(_pay_worker, [(db_url, [list(orders)[k] for orders, _ in rounds])
                                       for k in range(len(DAYS))]))
    paid = 0
    for orders, items in rounds:
        outcomes = [r for r in flat if r[0] in orders]
        winners = [r[0] for r in outcomes if r[1] == "ok"]
        losers = [r for r in outcomes if r[1] != "ok"]
        assert len(winners) == 1 and len(losers) == len(DAYS) - 1, outcomes
        assert all(r[1] == "OrderStateError" and "changed since the order was placed" in r[2]
                   for r in losers), outcomes

        win_day, win_order = orders[winners[0]]
        end = core.ptime.end_of_day(dt.date.fromisoformat(win_day))
        assert _expiries(items) == {i: end for i in items}  # moved once, by the winner only
        states = {o.txn: o.state for o in Order.select().where(Order.txn.in_(list(orders)))}
        assert states == {txn: ("succeeded" if txn == winners[0] else "processing") for txn in orders}
        ids = [o.id for o in Order.select(Order.id).where(Order.txn.in_(list(orders)))]
        consumes = list(CreditEntry.select().where((CreditEntry.kind == LedgerKind.CONSUME) &
                                                   CreditEntry.order.in_(ids)))
        assert [(e.order.txn, e.amount) for e in consumes] == [(winners[0], -win_order.total.amount)]
        paid += win_order.total.amount
    assert core.credits.balance(ak.id) == core.credits.ledger_sum(ak.id) == start - paid
    assert PaymentAttempt.select().count() == ROUNDS

"""R7 auto-renew: a paid auto-renew order saves the payer's method and becomes a plan; the runner
charges each cycle once, off-session, 30 days from the upcoming expiry (end of day, platform
time); declines retry on schedule and finally stop the plan with the reason; --dry-run writes
nothing; two runners at once charge each due cycle exactly once."""
from __future__ import annotations

import datetime as dt
import queue
import threading
import time

import pytest

from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.db.models import (AuditLog, Item, Notification, Order, PaymentAttempt, RenewalCycle,
                                     RenewalPlan)
from smartpay.core.plugin_host import ChargeStatus, PluginHost
from smartpay.core.services.quotes import Selection

from support import BACKEND, CHEAP_PASSWORDS, GMT8, FakeCardPlugin, card_desk, eod

P = ChargeStatus
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)    # the payer sets auto-renew up
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)     # 14 h before the items expire


@pytest.fixture
def desk(db_url, clock):
    core = card_desk(db_url, clock)
    yield core
    core.close()


def set_up_plans(core, clock, n=1, **limit):
    """`n` community items expiring 2025-08-31, each put on auto-renew by its own paid order placed
    that morning: the order pays cycle 1 (→ 2025-09-30 23:59:59), the plan renews the next ones."""
    ak = core.auth.actor("aktest")
    limit = limit or {"auto_cycles": 3}
    clock.set(SET_UP_AT)
    items = []
    for k in range(n):
        item = core.accounts.add_item(core.world.community.id, "app", f"Auto {k + 1}", expires="2025-08-31")
        order = core.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                            project_ids=(core.world.community.id,),
                                                            item_ids=(item.id,)),
                                   accept_terms=True, renew_mode="auto", **limit)
        assert core.payments.pay(ak, order.txn, "fakecard").order.state == "succeeded"
        items.append(item.id)
    assert all(expiry(i) == eod(2025, 9, 30) for i in items)
    return items


def expiry(item_id):
    return Item.get_by_id(item_id).expires_at


def plan():
    return RenewalPlan.get()


def kinds(core):
    return [n.kind for n in core.notifications.recent()]


def test_r7_paid_auto_order_saves_the_method_and_creates_a_plan(desk, clock):
    [item] = set_up_plans(desk, clock)
    request = desk.fake.requests[-1]
    assert request.save_method is True  # the auto-renew order asked the provider to keep the card
    p = plan()
    assert (p.method, p.saved_method, p.cycles_limit, p.until, p.cycles_done, p.state, p.failures) == (
        "fakecard", "fc_pm_1", 3, None, 1, "active", 0)
    view = desk.renewals.plans()[0]
    assert view.item_ids == (item,) and view.payer_login == "aktest" and view.upcoming_expiry == eod(2025, 9, 30)


def test_r7_manual_orders_are_not_sent_with_save_method(desk):
    from support import community_order
    order = community_order(desk, ("apt101",))
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "fakecard")
    assert desk.fake.requests[-1].save_method is False and RenewalPlan.select().count() == 0


def test_r7_auto_renew_moves_2025_09_30_to_2025_10_30_end_of_day_gmt8(desk, clock):
    [item] = set_up_plans(desk, clock)
    clock.set(dt.datetime(2025, 9, 29, 10, 0, tzinfo=GMT8))  # 38 h ahead: not within the 24 h lead yet
    assert desk.renew_runner.run().due == 0 and desk.fake.saved_requests == []

    clock.set(RENEW_AT)
    done = []
    summary = desk.renew_runner.run(progress=done.append)
    assert (summary.due, summary.paid, summary.errors) == (1, 1, 0), summary
    assert sum(done) == 1  # the progress bar's steps
    assert expiry(item) == dt.datetime(2025, 10, 30, 23, 59, 59, tzinfo=GMT8)
    [request] = desk.fake.saved_requests
    order = Order.get(Order.txn == request.txn)
    assert request.saved_method == "fc_pm_1" and request.idempotency_key == f"{order.txn}-01"
    assert request.amount.amount == order.total > 0 and request.context.renew_mode == "auto"
    assert order.state == "succeeded" and order.renew_mode == "auto"
    assert plan().cycles_done == 2 and plan().state == "active"


def test_r7_running_twice_for_the_same_cycle_charges_once(desk, clock):
    [item] = set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    assert desk.renew_runner.run().paid == 1
    again = desk.renew_runner.run()
    assert (again.due, again.paid) == (0, 0)
    assert len(desk.fake.saved_requests) == 1 and RenewalCycle.select().count() == 1
    assert expiry(item) == eod(2025, 10, 30)


def test_r7_cycles_limit_ends_the_plan(desk, clock):
    [item] = set_up_plans(desk, clock, auto_cycles=2)  # cycle 1 paid by the order, cycle 2 by the runner
    clock.set(RENEW_AT)
    assert desk.renew_runner.run().paid == 1
    assert plan().state == "ended" and plan().stopped_reason == "all 2 cycles renewed"
    clock.set(dt.datetime(2025, 10, 30, 10, 0, tzinfo=GMT8))
    assert desk.renew_runner.run().due == 0
    assert len(desk.fake.saved_requests) == 1 and expiry(item) == eod(2025, 10, 30)


def test_r7_until_date_ends_the_plan(desk, clock):
    [item] = set_up_plans(desk, clock, auto_until="2025-10-15")
    clock.set(RENEW_AT)
    assert desk.renew_runner.run().paid == 1 and expiry(item) == eod(2025, 10, 30)
    # The next cycle would begin (2025-10-30) after the until day: the plan ends at once.
    assert plan().state == "ended" and "2025-10-15" in plan().stopped_reason
    clock.set(dt.datetime(2025, 10, 30, 10, 0, tzinfo=GMT8))
    assert desk.renew_runner.run().due == 0
    assert len(desk.fake.saved_requests) == 1 and expiry(item) == eod(2025, 10, 30)


def test_r7_declined_card_retries_on_schedule_then_stops_auto_renew(desk, clock):
    [item] = set_up_plans(desk, clock)
    desk.fake.saved_answer = P.ERROR
    clock.set(RENEW_AT)
    schedule = [24, 72, 120]  # the default renew_retry_hours
    for n, hours in enumerate(schedule, start=1):
        summary = desk.renew_runner.run()
        assert summary.declined == 1, (n, summary)
        p = plan()
        assert p.failures == n and p.state == "active" and p.next_retry_at == clock.now() + dt.timedelta(hours=hours)
        assert kinds(desk) == ["renewal_declined"] * n
        assert "card declined" in desk.notifications.recent()[0].message
        clock.advance(hours=hours - 1)
        assert desk.renew_runner.run().due == 0  # not before the retry time
        clock.advance(hours=1)
    summary = desk.renew_runner.run()  # the last retry fails too
    assert summary.declined == 1
    p = plan()
    assert p.state == "stopped" and "declined 4 times" in p.stopped_reason and "card declined" in p.stopped_reason
    assert kinds(desk) == ["renewal_stopped"] + ["renewal_declined"] * 3
    assert "is off" in desk.notifications.recent()[0].message
    assert len(desk.fake.saved_requests) == 4
    assert len({r.txn for r in desk.fake.saved_requests}) == 4  # each try is its own order
    assert [(c.cycle, c.try_no) for c in RenewalCycle.select().order_by(RenewalCycle.id)] == [(2, 1), (2, 2), (2, 3), (2, 4)]
    clock.advance(days=30)
    assert desk.renew_runner.run().due == 0 and len(desk.fake.saved_requests) == 4
    assert expiry(item) == eod(2025, 9, 30)  # never moved
    assert [p.id for p in desk.renewals.plans(state="stopped")] == [p.id]


def test_r7_a_retry_that_succeeds_clears_the_failures(desk, clock):
    [item] = set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    desk.fake.saved_answer = P.ERROR
    assert desk.renew_runner.run().declined == 1
    desk.fake.saved_answer = P.PROCESSED
    clock.advance(hours=24)
    assert desk.renew_runner.run().paid == 1
    p = plan()
    assert (p.failures, p.next_retry_at, p.cycles_done, p.state) == (0, None, 2, "active")
    # The item had expired during the retry window: the cycle runs from today (R7 quote rule).
    assert expiry(item) == eod(2025, 10, 31)


def test_r7_unknown_outcome_waits_for_reconcile_and_is_not_retried(desk, clock):
    [item] = set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    desk.fake.saved_answer = P.UNDEFINED
    assert desk.renew_runner.run().unknown == 1
    assert PaymentAttempt.select().order_by(PaymentAttempt.id.desc()).first().state == "unknown"
    clock.advance(hours=30)
    assert desk.renew_runner.run().due == 0 and len(desk.fake.saved_requests) == 1  # no retry while unknown
    clock.set(RENEW_AT + dt.timedelta(minutes=5))
    desk.fake.status_answer = P.PROCESSED
    assert desk.reconciler.run().paid == 1
    assert expiry(item) == eod(2025, 10, 30) and plan().cycles_done == 2


def test_r7_provider_crash_during_charge_is_unknown_not_a_decline(desk, clock):
    set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    desk.fake.raises = {"charge_saved"}
    summary = desk.renew_runner.run()
    assert summary.unknown == 1 and summary.declined == 0 and plan().failures == 0
    assert kinds(desk) == []


def test_r7_dry_run_lists_what_would_be_charged_and_writes_nothing(desk, clock):
    [item] = set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    counts = lambda: [m.select().count() for m in (Order, PaymentAttempt, RenewalCycle, Notification, AuditLog)]
    before = counts()
    summary = desk.renew_runner.run(dry_run=True)
    assert counts() == before and desk.fake.saved_requests == []
    assert summary.due == 1 and summary.line().startswith("renew run (dry run): 1 due")
    [due] = summary.would_charge
    assert (due.plan_id, due.payer_login, due.method, due.cycle, due.retry, due.items) == (
        plan().id, "aktest", "fakecard", 2, False, 1)
    assert due.upcoming_expiry == eod(2025, 9, 30) and due.amount.amount > 0
    assert expiry(item) == eod(2025, 9, 30)


def test_r7_uninstalled_method_stops_the_plan_with_the_reason(desk, clock):
    set_up_plans(desk, clock)
    RenewalPlan.update(method="gone").execute()  # the plugin that saved the card was uninstalled
    clock.set(RENEW_AT)
    summary = desk.renew_runner.run()
    assert summary.stopped == 1 and "no longer installed" in plan().stopped_reason
    assert kinds(desk) == ["renewal_stopped"] and desk.fake.saved_requests == []


# -- two runners at once ---------------------------------------------------------------------------
def _second_core(db_url, clock):
    plugin = FakeCardPlugin()
    settings = Settings(db_url=db_url)
    core = Smartpay.open(settings, clock, passwords=CHEAP_PASSWORDS, plugins=PluginHost(config=settings.plugin_config,
                                                             extra_plugins=[("fakecard", plugin)]))
    core.fake = plugin.method
    return core


def test_r7_two_runners_at_once_charge_each_due_cycle_exactly_once(desk, clock, db_url):
    items = set_up_plans(desk, clock, n=6)
    clock.set(RENEW_AT)
    other = _second_core(db_url, clock)
    other.plugins.methods()
    desk.plugins.methods()
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def runner(name, core):
        try:
            barrier.wait(30)
            results[name] = core.renew_runner.run()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            core.close()

    threads = [threading.Thread(target=runner, args=(n, c)) for n, c in (("a", desk), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    charged = desk.fake.saved_requests + other.fake.saved_requests
    assert len(charged) == 6 and len({r.txn for r in charged}) == 6
    assert results["a"].paid + results["b"].paid == 6
    assert RenewalCycle.select().count() == 6
    assert all(expiry(i) == eod(2025, 10, 30) for i in items)
    assert all(p.cycles_done == 2 for p in RenewalPlan.select())


@pytest.mark.postgres
@pytest.mark.skipif(BACKEND != "postgres", reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_r7_postgres_runner_skips_a_plan_another_runner_holds(desk, clock, db_url):
    set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    plan_id = plan().id
    held, release = threading.Event(), threading.Event()

    def other_runner():
        # Another machine's runner, mid-claim: it holds the plan row locked.
        with desk.db.atomic():
            RenewalPlan.select().where(RenewalPlan.id == plan_id).for_update().first()
            held.set()
            release.wait(30)
        desk.db.close()

    t = threading.Thread(target=other_runner)
    t.start()
    try:
        assert held.wait(10)
        assert desk.renew_runner.renew_one(plan_id) == "skipped"  # does not wait for the lock
        assert desk.fake.saved_requests == []
    finally:
        release.set()
        t.join(30)
    assert desk.renew_runner.renew_one(plan_id) == "paid"


def test_r7_cycle_paid_after_the_items_moved_is_refunded_and_the_plan_carries_on(desk, clock):
    [item] = set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    desk.fake.saved_answer = P.UNDEFINED
    assert desk.renew_runner.run().unknown == 1
    # Meanwhile the payer renews the item by hand, to 2025-11-30.
    ak = desk.auth.actor("aktest")
    manual = desk.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                         project_ids=(desk.world.community.id,), item_ids=(item,)),
                                accept_terms=True, renew_mode="manual", renew_to="2025-11-30")
    assert desk.payments.pay(ak, manual.txn, "fakecard").order.state == "succeeded"
    desk.fake.status_answer = P.PROCESSED  # the renewal charge went through after all
    summary = desk.reconciler.run()
    assert summary.not_applied == 1 and summary.paid == 0
    assert expiry(item) == eod(2025, 11, 30)
    assert len(desk.fake.refund_requests) == 1
    p = plan()
    assert (p.state, p.failures, p.cycles_done) == ("active", 0, 1)
    assert "payment_refunded" in kinds(desk)


def test_r7_a_cycle_try_exists_once(desk, clock):
    import peewee
    set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    desk.fake.saved_answer = P.UNDEFINED
    desk.renew_runner.run()
    row = RenewalCycle.get()
    other = Order.get(Order.id == plan().source_order_id)
    with pytest.raises(peewee.IntegrityError):
        with desk.db.atomic():
            RenewalCycle.create(plan=row.plan_id, cycle=row.cycle, try_no=row.try_no, order=other.id)


def test_r7_a_contested_batch_is_claimed_again_plan_by_plan(desk, clock, monkeypatch):
    """When another runner wins one cycle of a batch (UNIQUE violation), the batch rolls back and
    its plans are claimed one by one: the others are still charged, each once."""
    import peewee

    items = set_up_plans(desk, clock, n=3)
    clock.set(RENEW_AT)
    calls = []

    class ContestedOrders:
        """The real order service, except that a batch of cycle orders meets the UNIQUE guard, as
        when another runner created one of its (plan, cycle, try) rows first."""

        def __getattr__(self, name):
            return getattr(desk.orders, name)

        def create_for_plans(self, entries):
            calls.append(len(entries))
            if len(entries) > 1:
                raise peewee.IntegrityError("UNIQUE constraint failed: renewal_cycle.plan_id, cycle, try_no")
            return desk.orders.create_for_plans(entries)

    summary = desk.renew_runner.replacing(orders=ContestedOrders()).run()
    assert calls == [3, 1, 1, 1]
    assert summary.paid == 3 and len(desk.fake.saved_requests) == 3
    assert all(expiry(i) == eod(2025, 10, 30) for i in items)


def test_r7_paid_auto_order_without_a_saved_method_tells_the_payer(desk, clock):
    from support import community_order
    ak = desk.auth.actor("aktest")
    order = community_order(desk, ("apt101",), mode="auto", auto_cycles=3)
    desk.fake.answer = P.PENDING
    desk.payments.pay(ak, order.txn, "fakecard")
    attempt = PaymentAttempt.get(PaymentAttempt.state == "processing")
    from smartpay.core.plugin_host import ChargeResult
    outcome = desk.payments.record_result(None, order.txn, attempt.id,
                                          ChargeResult(P.PROCESSED, order.total, provider_ref="fc_x"))
    assert outcome.order.state == "succeeded" and RenewalPlan.select().count() == 0
    assert kinds(desk) == ["renewal_not_set_up"] and order.txn in desk.notifications.recent()[0].message


def test_r7_a_plan_whose_items_the_payer_can_no_longer_see_stops_alone(desk, clock):
    """Two plans of one payer are quoted together; when one plan's items are out of reach the
    other is still charged, and only the broken one stops, with the reason."""
    items = set_up_plans(desk, clock, n=2)
    clock.set(RENEW_AT)
    # The second plan's item moves to a project of another distributor's installer.
    Item.update(project=desk.world.other_community.id).where(Item.id == items[1]).execute()
    summary = desk.renew_runner.run()
    assert (summary.paid, summary.stopped) == (1, 1)
    assert expiry(items[0]) == eod(2025, 10, 30) and expiry(items[1]) == eod(2025, 9, 30)
    stopped = desk.renewals.plans(state="stopped")
    assert len(stopped) == 1 and stopped[0].item_ids == (items[1],) and "aktest" in stopped[0].stopped_reason


@pytest.fixture
def desk_of_two(db_url, clock):
    """A desk whose runner charges two plans at a time."""
    core = card_desk(db_url, clock, renew_concurrency=2)
    yield core
    core.close()


def test_r7_the_runner_records_answers_in_batches_not_one_transaction_each(desk_of_two, clock, monkeypatch):
    """Answers arrive one every latency ÷ concurrency; the runner gathers them and records many
    per transaction (it used to record them as they came: a transaction per one or two renewals)."""
    desk = desk_of_two
    items = set_up_plans(desk, clock, n=12, auto_cycles=2)
    clock.set(RENEW_AT)
    charge = desk.fake.charge_saved

    def slow(request):   # a provider with 10 ms of latency
        time.sleep(0.01)
        return charge(request)

    monkeypatch.setattr(desk.fake, "charge_saved", slow)
    record = desk.payments.record_results
    batches = []

    def counted(answers, **kw):
        batches.append(len(answers))
        return record(answers, **kw)

    monkeypatch.setattr(desk.payments, "record_results", counted)
    summary = desk.renew_runner.run()
    assert summary.paid == 12 and sum(batches) == 12
    assert len(batches) <= 3, batches   # 12 answers, 2 per 10 ms: two batches, three under load
    assert all(expiry(i) == eod(2025, 10, 30) for i in items)


def test_r7_answers_in_hand_are_recorded_while_a_slow_charge_is_still_out(desk, clock, monkeypatch):
    """Gathering answers into a batch waits at most GATHER_SECONDS (a fraction of a second): a
    provider call that hangs does not keep the others' paid cycles unrecorded until it returns."""
    set_up_plans(desk, clock, n=3)
    clock.set(RENEW_AT)
    charge = desk.fake.charge_saved
    hang, hanging = threading.Event(), threading.Event()
    first = []

    def one_hangs(request):
        if not first:
            first.append(request.txn)
            hanging.set()
            assert hang.wait(60), "the test never let the hanging charge go"
        return charge(request)

    monkeypatch.setattr(desk.fake, "charge_saved", one_hangs)
    summaries = []
    runner = threading.Thread(target=lambda: summaries.append(desk.renew_runner.run()))
    runner.start()
    try:
        assert hanging.wait(10), "the runner never charged"
        deadline = time.monotonic() + 10
        paid = 0
        while paid < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
            # succeeded orders other than the hanging one's, less the three that set the plans up
            paid = Order.select().where((Order.state == "succeeded") & (Order.txn != first[0])).count() - 3
        assert paid == 2, "the two answered cycles were not recorded while the third charge hung"
        assert Order.get(Order.txn == first[0]).state != "succeeded"
    finally:
        hang.set()
        runner.join(30)
    assert summaries and summaries[0].paid == 3


class _CtrlCWhileGathering:
    """The answers queue, but the first wait for a second answer of a batch is interrupted
    (Ctrl-C arrives while the runner gathers, with one answer already in hand)."""

    def __init__(self):
        self.real = queue.SimpleQueue()
        self.interrupted = False

    def put(self, item):
        self.real.put(item)

    def get_nowait(self):
        return self.real.get_nowait()

    def get(self, timeout=None):
        if timeout is not None and not self.interrupted:
            self.interrupted = True
            raise KeyboardInterrupt
        return self.real.get(timeout=timeout)


@pytest.mark.parametrize("interruption", ["ctrl-c while gathering", "progress callback fails"])
def test_r7_an_interrupted_run_records_every_charge_it_made_and_does_not_hang(desk_of_two, clock, monkeypatch,
                                                                             interruption):
    from smartpay.core.payments import renew_runner as renewal_runner

    desk = desk_of_two
    set_up_plans(desk, clock, n=12)
    clock.set(RENEW_AT)
    progress = None
    if interruption == "ctrl-c while gathering":
        plain_init = renewal_runner._Answers.__init__

        def interrupted_init(self):
            plain_init(self)
            self.queue = _CtrlCWhileGathering()

        monkeypatch.setattr(renewal_runner._Answers, "__init__", interrupted_init)
        expected = KeyboardInterrupt
    else:
        calls = []

        def progress(n):   # the progress bar's terminal went away on the third update
            calls.append(n)
            if len(calls) == 3:
                raise BrokenPipeError("the terminal closed")
        expected = BrokenPipeError
    raised = []

    def run():
        try:
            desk.renew_runner.run(progress=progress)
        except BaseException as exc:  # noqa: B036 — the interruption is what this test is about
            raised.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(30)
    assert not runner.is_alive(), "the interrupted run hung"
    assert raised and isinstance(raised[0], expected)
    charged = {request.txn for request in desk.fake.saved_requests}
    assert charged
    cycle_attempts = (PaymentAttempt.select(PaymentAttempt, Order).join(Order)
                      .join(RenewalCycle, on=(RenewalCycle.order == Order.id)))
    states = {a.order.txn: a.state for a in cycle_attempts}
    assert {states[txn] for txn in charged} == {"succeeded"}   # every charge made was recorded


def test_r7_a_lost_charge_declined_on_replay_after_the_window_keeps_the_decline_reason(desk, clock):
    set_up_plans(desk, clock)
    clock.set(RENEW_AT)
    desk.fake.raises = {"charge_saved"}  # the off-session charge's answer is lost: unknown
    assert desk.renew_runner.run().unknown == 1
    desk.fake.raises = set()
    desk.fake.status_answer = desk.fake.expire_answer = ChargeStatus.ERROR  # the replay is declined
    desk.fake.message = "insufficient funds"
    clock.advance(minutes=desk.settings.order_window_minutes + 5)  # reconcile asks after the window
    desk.reconciler.run()
    cycle_order = Order.select().order_by(Order.id.desc()).get()
    assert (cycle_order.state, cycle_order.failure_reason) == ("failed", "insufficient funds")
    assert plan().failures == 1
    [notice] = [n for n in Notification.select() if n.kind == "renewal_declined"]
    assert "insufficient funds" in notice.message and "window" not in notice.message

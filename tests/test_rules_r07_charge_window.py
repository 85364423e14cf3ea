"""R7: each auto-renew cycle's charge is sent inside its order's payment window, or not at all — a
claim that waited past its window is not sent and is not a decline, a cycle reconcile expired with
nothing charged is not a decline, and one worker with a slow provider still sends every charge in
time. Against the fake card provider (tests/support.py); core and database are real."""
from __future__ import annotations

import datetime as dt
import queue

import pytest

from smartpay.core.db.models import Notification, Order, RenewalPlan
from smartpay.core.plugin_host import ChargeStatus
from smartpay.core.services.quotes import Selection
from smartpay.core.payments.renew_runner import _charge_loop

from support import GMT8, FakeCard, FakeCardPlugin, billing, build_world, card_desk, open_core

P = ChargeStatus
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)


@pytest.fixture
def desk(db_url, clock):
    core = card_desk(db_url, clock)
    yield core
    core.close()


def order_of(txn) -> Order:
    return Order.get(Order.txn == txn)


def kinds():
    return [n.kind for n in Notification.select().order_by(Notification.id)]


def set_up_plans(core, clock, n=1):
    ak = core.auth.actor("aktest")
    clock.set(SET_UP_AT)
    for k in range(n):
        item = core.accounts.add_item(core.world.community.id, "app", f"Auto {k + 1}", expires="2025-08-31")
        order = core.orders.create(ak, "renewal", Selection("community", installer="inst_regular",
                                                            project_ids=(core.world.community.id,),
                                                            item_ids=(item.id,)),
                                   accept_terms=True, renew_mode="auto", auto_cycles=3)
        assert core.payments.pay(ak, order.txn, "fakecard").order.state == "succeeded"
    clock.set(RENEW_AT)


def test_r7_a_claim_past_its_window_is_not_sent_and_is_not_a_decline(desk, clock):
    set_up_plans(desk, clock)
    runner = desk.renew_runner.new_run()
    [claim], _ = runner._claim(desk.renewals.due_plan_ids())
    clock.advance(minutes=16)                     # it waited in the queue past its window
    charges, answers = queue.SimpleQueue(), queue.SimpleQueue()
    charges.put(claim)
    charges.put(None)
    _charge_loop(charges, answers, clock.now)
    sent_claim, result = answers.get_nowait()
    assert result.status == P.CANCELED and result.detail["not_sent"] and desk.fake.saved_requests == []
    desk.payments.record_results([(claim.txn, claim.attempt_id, result)])
    plan = RenewalPlan.get()
    assert order_of(claim.txn).state == "timed_out"
    assert plan.failures == 0 and plan.next_retry_at is None and "renewal_declined" not in kinds()
    assert desk.renew_runner.run().paid == 1         # due again at once: charged on the next run
    assert RenewalPlan.get().cycles_done == 2


def test_r7_a_cycle_expired_by_reconcile_with_nothing_charged_is_not_a_decline(desk, clock):
    set_up_plans(desk, clock)
    [claim], _ = desk.renew_runner.new_run()._claim(desk.renewals.due_plan_ids())
    clock.advance(minutes=16)
    desk.fake.expire_answer = P.CANCELED          # nothing exists at the provider
    assert desk.reconciler.run().timed_out == 1
    plan = RenewalPlan.get()
    assert plan.failures == 0 and "renewal_declined" not in kinds()
    assert desk.fake.expire_requests[0].saved_method == plan.saved_method   # the rebuilt off-session request


def test_r7_every_cycle_charge_is_sent_inside_its_window_even_with_a_slow_provider(db_url, clock):
    """One worker, a provider that takes a minute per charge, 20 due plans: claimed lazily, each
    cycle's charge leaves before its order's window closes."""
    sent_at: dict[str, dt.datetime] = {}

    class SlowCard(FakeCard):
        def charge_saved(self, request):
            sent_at[request.txn] = clock.now()
            clock.advance(minutes=1)
            return super().charge_saved(request)

    plugin = FakeCardPlugin()
    plugin.method = SlowCard()
    core = open_core(db_url, clock, extra=[("fakecard", plugin)], renew_concurrency=1)
    try:
        core.fake = plugin.method
        core.world = build_world(core)
        billing(core, core.auth.actor("aktest"))
        set_up_plans(core, clock, n=20)
        summary = core.renew_runner.run()
        assert summary.paid == 20 and summary.skipped == 0
        late = [o.txn for o in Order.select().where(Order.txn.in_(list(sent_at))) if sent_at[o.txn] > o.deadline_at]
        assert late == []
    finally:
        core.close()

"""M3 (unknown is a state) and R8 (expiries move once, only when paid): record_result re-checks
staleness and refunds what it cannot apply; the reconciler settles in-flight attempts, expires
overdue orders at the provider, retries open refunds, never downgrades a known outcome, hands a
plugin the original request (and still works with a plugin that takes none), and goes on past
one attempt's recording error."""
from __future__ import annotations


import pytest

from smartpay.core.db import migrations
from smartpay.core.db.models import Item, Order, PaymentAttempt, Refund
from smartpay.core.errors import PaymentInProgress
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeResult, ChargeStatus

from support import CHEAP_PASSWORDS, FakeCard, FakeCardPlugin, build_world, billing, card_desk, community_order, eod, open_core

P = ChargeStatus


@pytest.fixture
def desk(db_url, clock):
    core = card_desk(db_url, clock)
    yield core
    core.close()


def expiry(core, name):
    return Item.get_by_id(core.world.items[name].id).expires_at


def attempt_of(txn):
    return PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id.desc()).first()


def pending_order(core, names=("apt101",), renew_to="2025-10-30"):
    """An order whose fakecard payment waits on the hosted page (attempt `processing`)."""
    order = community_order(core, names, renew_to)
    core.fake.answer = P.PENDING
    outcome = core.payments.pay(core.auth.actor("aktest"), order.txn, "fakecard")
    core.fake.answer = P.PROCESSED
    assert outcome.order.state == "processing" and attempt_of(order.txn).state == "processing"
    return order


# -- record_result re-checks staleness under the lock --------------------------------------------------
def test_m3_paid_answer_for_order_whose_items_moved_refunds_once_and_moves_nothing(desk):
    ak = desk.auth.actor("aktest")
    late = pending_order(desk, renew_to="2025-10-30")
    # Meanwhile another order for the same item is paid: the item moves to 2025-11-15.
    other = community_order(desk, ("apt101",), "2025-11-15")
    assert desk.payments.pay(ak, other.txn, "fakecard").order.state == "succeeded"
    assert expiry(desk, "apt101") == eod(2025, 11, 15)

    attempt = attempt_of(late.txn)
    paid = ChargeResult(P.PROCESSED, late.total, provider_ref="fc_late")
    outcome = desk.payments.record_result(None, late.txn, attempt.id, paid)

    assert expiry(desk, "apt101") == eod(2025, 11, 15)  # not moved by the late order
    assert outcome.order.state == "failed" and "refunded" in outcome.order.failure_reason
    assert "Apt 101" in outcome.order.failure_reason
    assert [(r.txn, r.provider_ref, r.amount, r.idempotency_key) for r in desk.fake.refund_requests] == [
        (late.txn, "fc_late", late.total, f"{late.txn}-refund-01")]
    refund = Refund.get()
    assert refund.state == "succeeded" and attempt_of(late.txn).state == "refunded"
    notes = desk.notifications.for_account(ak)
    assert [n.kind for n in notes] == ["payment_refunded"] and late.txn in notes[0].message

    # The same answer again (a webhook, a reconcile run): nothing more happens.
    again = desk.payments.record_result(None, late.txn, attempt.id, paid)
    assert again.message == "already settled"
    assert len(desk.fake.refund_requests) == 1 and Refund.select().count() == 1
    assert desk.reconciler.run().refunded == 0


def test_m3_paid_answer_for_timed_out_order_whose_items_did_not_move_completes_it(desk, clock):
    order = pending_order(desk)
    Order.update(state="timed_out").where(Order.txn == order.txn).execute()  # timed out meanwhile
    outcome = desk.payments.record_result(None, order.txn, attempt_of(order.txn).id,
                                          ChargeResult(P.PROCESSED, order.total, provider_ref="fc_x"))
    assert outcome.order.state == "succeeded"
    assert expiry(desk, "apt101") == eod(2025, 10, 30)
    assert desk.fake.refund_requests == []


def test_m3_paid_answer_for_cancelled_order_is_refunded_and_the_order_stays_cancelled(desk):
    order = pending_order(desk)
    Order.update(state="cancelled").where(Order.txn == order.txn).execute()
    before = expiry(desk, "apt101")
    outcome = desk.payments.record_result(None, order.txn, attempt_of(order.txn).id,
                                          ChargeResult(P.PROCESSED, order.total, provider_ref="fc_c"))
    assert outcome.order.state == "cancelled" and expiry(desk, "apt101") == before
    assert len(desk.fake.refund_requests) == 1 and attempt_of(order.txn).state == "refunded"


def test_m3_unknown_refund_is_retried_by_reconcile_with_the_same_key(desk):
    ak = desk.auth.actor("aktest")
    late = pending_order(desk)
    other = community_order(desk, ("apt101",), "2025-11-15")
    desk.payments.pay(ak, other.txn, "fakecard")
    desk.fake.raises = {"refund"}
    desk.payments.record_result(None, late.txn, attempt_of(late.txn).id,
                                ChargeResult(P.PROCESSED, late.total, provider_ref="fc_late"))
    assert Refund.get().state == "unknown" and attempt_of(late.txn).state == "succeeded"

    desk.fake.raises = set()
    summary = desk.reconciler.run()
    assert summary.refunded == 1 and Refund.get().state == "succeeded" and attempt_of(late.txn).state == "refunded"
    keys = {r.idempotency_key for r in desk.fake.refund_requests}
    assert len(desk.fake.refund_requests) == 2 and keys == {f"{late.txn}-refund-01"}
    assert desk.reconciler.run().refunded == 0 and len(desk.fake.refund_requests) == 2


def test_m3_refused_refund_is_reported_to_the_payer(desk):
    ak = desk.auth.actor("aktest")
    late = pending_order(desk)
    desk.payments.pay(ak, community_order(desk, ("apt101",), "2025-11-15").txn, "fakecard")
    desk.fake.refund_answer = P.ERROR
    desk.payments.record_result(None, late.txn, attempt_of(late.txn).id,
                                ChargeResult(P.PROCESSED, late.total, provider_ref="fc_late"))
    assert Refund.get().state == "failed"
    assert [n.kind for n in desk.notifications.for_account(ak)] == ["refund_failed", "payment_refunded"]


# -- the reconciler -------------------------------------------------------------------------------------
def test_m3_reconcile_settles_processing_and_unknown_attempts_by_status(desk):
    ak = desk.auth.actor("aktest")
    waiting = pending_order(desk, ("apt101",))
    crashed = community_order(desk, ("apt102",), "2025-11-15")
    desk.fake.raises = {"charge"}  # the call dies mid-way: the outcome is unknown
    assert desk.payments.pay(ak, crashed.txn, "fakecard").order.state == "processing"
    assert attempt_of(crashed.txn).state == "unknown"
    desk.fake.raises = set()
    with pytest.raises(PaymentInProgress):  # no new attempt while one is unknown
        desk.payments.pay(ak, crashed.txn, "fakecard")
    with pytest.raises(Exception, match="payment in progress"):
        desk.orders.cancel(ak, crashed.txn)

    summary = desk.reconciler.run()
    assert (summary.checked, summary.paid, summary.errors) == (2, 2, 0)
    assert {txn for txn, _ in desk.fake.status_calls} == {waiting.txn, crashed.txn}
    assert expiry(desk, "apt101") == eod(2025, 10, 30) and expiry(desk, "apt102") == eod(2025, 11, 15)
    assert desk.orders.get(ak, waiting.txn).state == "succeeded"


def test_m3_reconcile_records_declines_and_keeps_pending_waiting(desk):
    ak = desk.auth.actor("aktest")
    declined = pending_order(desk, ("apt101",))
    desk.fake.status_answer = P.ERROR
    summary = desk.reconciler.run()
    assert summary.failed == 1 and desk.orders.get(ak, declined.txn).state == "failed"

    waiting = pending_order(desk, ("apt102",), "2025-11-15")
    desk.fake.status_answer = P.PENDING
    summary = desk.reconciler.run()
    assert (summary.checked, summary.still_pending) == (1, 1)
    assert desk.orders.get(ak, waiting.txn).state == "processing" and attempt_of(waiting.txn).state == "processing"


def test_m3_reconcile_expires_overdue_orders_at_the_provider(desk, clock):
    ak = desk.auth.actor("aktest")
    cancelled = pending_order(desk, ("apt101",))
    clock.advance(minutes=16)
    summary = desk.reconciler.run()
    assert desk.fake.expire_calls == [(cancelled.txn, None)] and desk.fake.status_calls == []
    assert summary.timed_out == 1
    view = desk.orders.get(ak, cancelled.txn)
    assert view.state == "timed_out" and attempt_of(cancelled.txn).state == "cancelled"
    assert expiry(desk, "apt101") == eod(2025, 9, 30)


def test_m3_paid_at_expiry_completes_the_order(desk, clock):
    ak = desk.auth.actor("aktest")
    order = pending_order(desk, ("apt101",))
    clock.advance(minutes=16)
    desk.fake.expire_answer = P.PROCESSED  # the payer paid just before the window closed
    summary = desk.reconciler.run()
    assert summary.paid == 1 and desk.orders.get(ak, order.txn).state == "succeeded"
    assert expiry(desk, "apt101") == eod(2025, 10, 30)


def test_m3_undefined_at_expiry_leaves_the_order_for_the_next_run(desk, clock):
    ak = desk.auth.actor("aktest")
    order = pending_order(desk, ("apt101",))
    clock.advance(minutes=16)
    desk.fake.expire_answer = P.UNDEFINED
    summary = desk.reconciler.run()
    assert summary.unknown == 1 and summary.timed_out == 0
    assert desk.orders.get(ak, order.txn).state == "processing" and attempt_of(order.txn).state == "unknown"
    desk.fake.expire_answer = P.CANCELED
    summary = desk.reconciler.run()
    assert summary.timed_out == 1 and desk.orders.get(ak, order.txn).state == "timed_out"
    assert len(desk.fake.expire_calls) == 2


def test_m3_overdue_orders_with_nothing_in_flight_time_out(desk, clock):
    ak = desk.auth.actor("aktest")
    order = community_order(desk, ("apt101",))
    clock.advance(minutes=16)
    assert desk.reconciler.run().timed_out == 1
    assert desk.orders.get(ak, order.txn).state == "timed_out" and desk.fake.expire_calls == []


def test_m3_reconcile_never_downgrades_a_known_outcome(desk):
    ak = desk.auth.actor("aktest")
    order = pending_order(desk, ("apt101",))
    attempt = attempt_of(order.txn).id
    desk.payments.record_result(None, order.txn, attempt, ChargeResult(P.PROCESSED, order.total, provider_ref="fc_1"))
    for late in (P.ERROR, P.CANCELED, P.UNDEFINED, P.PENDING):
        assert desk.payments.record_result(None, order.txn, attempt, ChargeResult(late)).message == "already settled"
    assert desk.orders.get(ak, order.txn).state == "succeeded" and attempt_of(order.txn).state == "succeeded"
    desk.fake.status_answer = P.ERROR
    summary = desk.reconciler.run()
    assert summary.checked == 0 and desk.fake.status_calls == []
    assert expiry(desk, "apt101") == eod(2025, 10, 30)


class BrokenCard(FakeCard):
    key = "brokencard"
    label = "Broken Card"


class BrokenCardPlugin(FakeCardPlugin):
    def __init__(self):
        self.method = BrokenCard()


def test_m3_a_raising_provider_is_reported_and_the_run_goes_on(db_url, clock):
    broken = BrokenCardPlugin()
    good = FakeCardPlugin()
    core = open_core(db_url, clock, extra=[("fakecard", good), ("brokencard", broken)])
    try:
        core.world = build_world(core)
        ak = core.auth.actor("aktest")
        billing(core, ak)
        first = community_order(core, ("apt101",))
        second = community_order(core, ("apt102",), "2025-11-15")
        for method, order in ((broken.method, first), (good.method, second)):
            method.answer = P.PENDING
            core.payments.pay(ak, order.txn, method.key)
        broken.method.raises = {"status"}
        summary = core.reconciler.run()
        assert (summary.checked, summary.errors, summary.paid) == (2, 1, 1)
        assert first.txn in summary.error_messages[0] and "ConnectionError" in summary.error_messages[0]
        assert core.orders.get(ak, first.txn).state == "processing"
        assert core.orders.get(ak, second.txn).state == "succeeded"
        broken.method.raises = set()
        assert core.reconciler.run().paid == 1 and core.orders.get(ak, first.txn).state == "succeeded"
    finally:
        core.close()


def test_m3_reconcile_twice_is_idempotent(desk, clock):
    pending_order(desk, ("apt101",))
    pending_order(desk, ("apt102",), "2025-11-15")
    first = desk.reconciler.run()
    assert first.paid == 2
    calls = len(desk.fake.status_calls)
    second = desk.reconciler.run()
    assert second.line() == ("reconcile: 0 checked, 0 paid, 0 paid but not applied, 0 failed, 0 timed out, "
                             "0 pending, 0 unknown, 0 refunded, 0 refunds open, 0 refunds failed, 0 errors")
    assert len(desk.fake.status_calls) == calls


# -- the request a plugin is asked about, and one bad attempt in a run ------------------------------
def test_m3_reconcile_passes_the_rebuilt_request_to_status_and_expire(desk, clock):
    txn = pending_order(desk).txn
    attempt = attempt_of(txn)
    desk.fake.status_answer = P.PENDING
    desk.reconciler.run()
    [asked] = desk.fake.status_requests
    assert (asked.txn, asked.amount, asked.idempotency_key) == (txn, Money(attempt.amount, attempt.unit),
                                                                attempt.idempotency_key)
    assert asked.saved_method is None and asked.description == desk.fake.requests[0].description
    clock.advance(minutes=16)
    desk.reconciler.run()
    [expired] = desk.fake.expire_requests
    assert expired.idempotency_key == attempt.idempotency_key


def test_m8_a_status_with_an_old_signature_is_a_plugin_error_and_reconcile_goes_on(db_url, clock):
    """The contract's signature is fixed (`status(txn, provider_ref, request=None)`); a plugin
    still written for the two-argument one fails in status(): reconcile counts a plugin error,
    names the plugin, and leaves the order as it was (no crash, no guess)."""
    class OldCard(FakeCard):
        def status(self, txn, provider_ref):      # the contract as it was: no `request`
            return super().status(txn, provider_ref)

    plugin = FakeCardPlugin()
    plugin.method = OldCard()
    core = open_core(db_url, clock, extra=[("fakecard", plugin)])
    try:
        core.fake = plugin.method
        core.world = build_world(core)
        billing(core, core.auth.actor("aktest"))
        txn = pending_order(core).txn
        summary = core.reconciler.run()
        assert summary.errors == 1 and "plugin error (fakecard)" in summary.error_messages[0]
        assert Order.get(Order.txn == txn).state == "processing"
    finally:
        core.close()


def test_m3_reconcile_counts_a_recording_error_and_goes_on(desk, monkeypatch):
    first = pending_order(desk).txn
    desk.fake.answer = P.PENDING
    second = community_order(desk, ["apt102"])
    desk.payments.pay(desk.auth.actor("aktest"), second.txn, "fakecard")
    real = desk.payments.record_result

    def flaky(actor, txn, attempt_id, result, window_closed=False):
        if txn == first:
            raise RuntimeError("database is locked")
        return real(actor, txn, attempt_id, result, window_closed)

    monkeypatch.setattr(desk.payments, "record_result", flaky)
    summary = desk.reconciler.run()
    assert summary.errors == 1 and summary.paid == 1 and "database is locked" in summary.error_messages[0]
    assert Order.get(Order.txn == second.txn).state == "succeeded"
    assert Order.get(Order.txn == first).state == "processing"


# -- schema -----------------------------------------------------------------------------------------------
def test_a_version_1_database_upgrades_to_version_2(db_url, clock):
    from smartpay.core.config import Settings
    from smartpay.core.context import Smartpay
    from smartpay.core.errors import ConfigError

    core = Smartpay(Settings(db_url=db_url), clock, passwords=CHEAP_PASSWORDS)
    try:
        assert migrations.upgrade(core.db, clock.now(), target=1) == [1]
        assert not core.db.table_exists("renewal_plan")
        with pytest.raises(ConfigError, match="smartpay db upgrade"):
            core.check_schema()
        assert core.upgrade() == list(range(2, migrations.LATEST + 1))
        for table in ("refund", "renewal_plan", "renewal_plan_item", "renewal_cycle", "notification",
                      "webhook_inbox"):
            assert core.db.table_exists(table), table
        core.check_schema()
        assert core.upgrade() == []
    finally:
        core.close()

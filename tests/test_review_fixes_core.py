"""Regression tests for the review's findings (issue 3) in the core: recording (M2, M3, R8),
the auto-renew runner (R7), reconciliation (M3), configuration and the payment path — against
the fake card provider from tests/support.py (the core and database are real)."""
from __future__ import annotations

import datetime as dt
import queue

import pytest

from smartpay.core.config import Settings
from smartpay.core.db.models import Notification, Order, PaymentAttempt, Refund, RenewalPlan
from smartpay.core.domain import OrderState
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeResult, ChargeStatus
from smartpay.core.services.quotes import Selection
from smartpay.core.payments.renew_runner import RenewalRunner, _charge_loop

from support import GMT8, FakeCard, FakeCardPlugin, billing, build_world, card_desk, community_order, open_core

P = ChargeStatus
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)


@pytest.fixture
def desk(db_url, clock):
    core = card_desk(db_url, clock)
    yield core
    core.close()


def attempt_of(txn) -> PaymentAttempt:
    return PaymentAttempt.select().join(Order).where(Order.txn == txn).order_by(PaymentAttempt.id.desc()).first()


def order_of(txn) -> Order:
    return Order.get(Order.txn == txn)


def kinds():
    return [n.kind for n in Notification.select().order_by(Notification.id)]


def pending_payment(core, coupons=()):
    """aktest's order for apt101, paid with the fake card, which leaves it PENDING (a hosted page)."""
    core.fake.answer = P.PENDING
    order = community_order(core, ["apt101"])
    core.payments.pay(core.auth.actor("aktest"), order.txn, "fakecard", coupons=coupons)
    return order.txn


# -- finding 1 (M2): money taken is never silently kept ----------------------------------------------------
def test_m2_paid_answer_for_a_failed_attempt_is_refunded(desk):
    desk.fake.answer = P.ERROR
    order = community_order(desk, ["apt101"])
    desk.payments.pay(desk.auth.actor("aktest"), order.txn, "fakecard")
    attempt = attempt_of(order.txn)
    assert attempt.state == "failed" and order_of(order.txn).state == "failed"
    outcome = desk.payments.record_result(None, order.txn, attempt.id,
                                          ChargeResult(P.PROCESSED, Money(attempt.amount, attempt.unit),
                                                       provider_ref="fc_late"))
    assert "refunded" in outcome.message
    assert [r.state for r in Refund.select()] == ["succeeded"]
    assert PaymentAttempt.get_by_id(attempt.id).state == "refunded"
    assert order_of(order.txn).state == "failed" and order_of(order.txn).paid_at is None
    assert desk.fake.refund_requests[0].provider_ref == "fc_late"
    assert "payment_refunded" in kinds()
    from smartpay.core.db.models import AuditLog
    assert AuditLog.select().where(AuditLog.action == "order.paid_not_applied").count() == 1


def test_m2_paid_answer_for_a_timed_out_order_whose_coupons_were_given_back_is_refunded(desk):
    code = desk.coupons.issue("aktest", "1.00", "USD").code
    txn = pending_payment(desk, coupons=[code])
    ak = desk.auth.actor("aktest")
    before = next(c for c in desk.coupons.mine(ak) if c.code == code).remaining
    assert before == Money(0, "USD")
    with desk.payments.write():                  # the order ended while its charge was still unknown
        desk.orders.finish(order_of(txn), OrderState.TIMED_OUT, "payment window passed")
    attempt = attempt_of(txn)
    desk.payments.record_result(None, txn, attempt.id,
                                ChargeResult(P.PROCESSED, Money(attempt.amount, attempt.unit), provider_ref="fc_1"))
    assert order_of(txn).state == "timed_out"                     # not completed: its coupon was given back
    assert next(c for c in desk.coupons.mine(ak) if c.code == code).remaining == Money(100, "USD")
    assert [r.state for r in Refund.select()] == ["succeeded"]
    assert desk.fake.refund_requests[0].amount == Money(attempt.amount, attempt.unit)


def test_m2_timed_out_order_without_coupons_still_completes_when_paid(desk):
    txn = pending_payment(desk)
    with desk.payments.write():
        desk.orders.finish(order_of(txn), OrderState.TIMED_OUT, "payment window passed")
    attempt = attempt_of(txn)
    desk.payments.record_result(None, txn, attempt.id,
                                ChargeResult(P.PROCESSED, Money(attempt.amount, attempt.unit), provider_ref="fc_1"))
    assert order_of(txn).state == "succeeded" and Refund.select().count() == 0


@pytest.mark.parametrize("paid", [Money(1, "USD"), "other currency"])
def test_m2_paid_amount_or_currency_other_than_asked_is_refunded_not_applied(desk, paid):
    txn = pending_payment(desk)
    attempt = attempt_of(txn)
    if paid == "other currency":
        paid = Money(attempt.amount, "EUR")
    desk.payments.record_result(None, txn, attempt.id, ChargeResult(P.PROCESSED, paid, provider_ref="fc_1"))
    order = order_of(txn)
    assert order.state == "failed" and "asked" in order.failure_reason
    refund = Refund.get()
    assert (refund.amount, refund.unit) == (paid.amount, paid.currency) and refund.state == "succeeded"
    assert desk.fake.refund_requests[0].amount == paid


def test_m2_checkout_page_expired_at_the_provider_times_the_order_out(desk):
    txn = pending_payment(desk)
    attempt = attempt_of(txn)
    expired = ChargeResult(P.CANCELED, provider_ref="cs_1", message="Stripe: the checkout session expired",
                           detail={"session": "cs_1", "session_status": "expired"})
    desk.payments.record_result(None, txn, attempt.id, expired)   # a checkout.session.expired webhook
    assert order_of(txn).state == "timed_out"


# -- finding 3 (M3): the core hands the original request to status()/expire() ---------------------------------
def test_m3_reconcile_passes_the_rebuilt_request_to_status_and_expire(desk, clock):
    txn = pending_payment(desk)
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
        txn = pending_payment(core)
        summary = core.reconciler.run()
        assert summary.errors == 1 and "plugin error (fakecard)" in summary.error_messages[0]
        assert order_of(txn).state == "processing"
    finally:
        core.close()


# -- finding 10 (M3): one attempt's database error does not abort the reconcile run --------------------------
def test_m3_reconcile_counts_a_recording_error_and_goes_on(desk, monkeypatch):
    first = pending_payment(desk)
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
    assert order_of(second.txn).state == "succeeded" and order_of(first).state == "processing"


# -- finding 2 (R7): a cycle charge is sent inside its window, or not at all ----------------------------------
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


# -- finding 11: secrets stay out of Settings' repr -------------------------------------------------------------
def test_settings_repr_hides_plugin_secrets_and_the_database_password():
    settings = Settings(db_url="postgresql://smartpay:Pa55-w0rd@db.example:5432/smartpay",
                        plugins={"stripe_pay": {"api_key": "sk_test_SECRET123"},
                                 "paypal_pay": {"client_secret": "EMU-SECRET-xyz"}})
    for text in (repr(settings), str(settings), f"{settings!r}"):
        assert "Pa55-w0rd" not in text and "sk_test_SECRET123" not in text and "EMU-SECRET-xyz" not in text
        assert "db.example:5432/smartpay" in text and "order_window_minutes=15" in text
    assert settings.plugin_config("stripe_pay") == {"api_key": "sk_test_SECRET123"}   # still there to use


# -- nit: a third-party plugin's exception text is not stored or shown ------------------------------------------
def test_m3_plugin_exception_text_is_not_stored_in_the_attempt(desk):
    desk.fake.raises = {"charge"}
    order = community_order(desk, ["apt101"])
    outcome = desk.payments.pay(desk.auth.actor("aktest"), order.txn, "fakecard")
    attempt = attempt_of(order.txn)
    assert attempt.state == "unknown"
    assert "unreachable during charge" not in attempt.detail and "unreachable" not in outcome.message
    assert "ConnectionError" in outcome.message

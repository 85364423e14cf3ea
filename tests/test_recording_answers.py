"""Recording a provider's answer (M2, M3): money taken is never silently kept. A paid answer for an
attempt or order that already ended, or for another amount or currency than asked, is refunded and
never applied; a hosted page the provider expired times the order out; a plugin's exception text is
never stored or shown. Against the fake card provider (tests/support.py); core and database are real."""
from __future__ import annotations

import pytest

from smartpay.core.db.models import AuditLog, Notification, Order, PaymentAttempt, Refund
from smartpay.core.domain import OrderState
from smartpay.core.money import Money
from smartpay.core.plugin_host import ChargeResult, ChargeStatus

from support import card_desk, community_order

P = ChargeStatus


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


def test_m3_plugin_exception_text_is_not_stored_in_the_attempt(desk):
    desk.fake.raises = {"charge"}
    order = community_order(desk, ["apt101"])
    outcome = desk.payments.pay(desk.auth.actor("aktest"), order.txn, "fakecard")
    attempt = attempt_of(order.txn)
    assert attempt.state == "unknown"
    assert "unreachable during charge" not in attempt.detail and "unreachable" not in outcome.message
    assert "ConnectionError" in outcome.message

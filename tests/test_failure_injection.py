"""M6 / R8: a failure injected between consuming credits and extending expiries rolls everything
back — the order, the ledger, the coupons, the attempts and the items are as if nothing happened —
and the same order can then be paid normally."""
from __future__ import annotations

import datetime as dt

import pytest

from smartpay.core.db.models import AuditLog, CouponEntry, CreditEntry, Item, Order, PaymentAttempt
from smartpay.core.domain import LedgerKind
from smartpay.core.money import Money
from smartpay.core.services.credits import CreditService
from smartpay.core.payments.completion import OrderCompletion

from support import billing, credit_renewal_order


class InjectedFailure(RuntimeError):
    """Stands for a crash, a bug or a lost connection in the middle of completing a payment."""


def _state(core, order_txn: str, payer_id: int, item_ids) -> dict:
    row = Order.get(Order.txn == order_txn)
    return {
        "order": row.state,
        "paid_at": row.paid_at,
        "balance": core.credits.balance(payer_id),
        "ledger_sum": core.credits.ledger_sum(payer_id),
        "consumes": CreditEntry.select().where((CreditEntry.order == row.id) &
                                               (CreditEntry.kind == LedgerKind.CONSUME)).count(),
        "attempts": [a.state for a in PaymentAttempt.select().where(PaymentAttempt.order == row.id)],
        "expiries": {i.id: i.expires_at for i in Item.select().where(Item.id.in_(list(item_ids)))},
        "paid_audit": AuditLog.select().where((AuditLog.action == "order.paid") &
                                              (AuditLog.target == order_txn)).count(),
    }


@pytest.mark.parametrize("when", ["before_expiries", "after_expiries"])
def test_r8_failure_between_consume_and_expiry_rolls_everything_back(core, world, actor, monkeypatch, when):
    """`before_expiries`: the failure lands after the credits were consumed and the order marked
    paid, before any expiry moved. `after_expiries`: the expiries moved too, inside the same
    transaction, and the failure comes before it commits."""
    ak = actor("aktest")
    order = credit_renewal_order(core, world, ak)
    items = [line.item_id for line in order.lines]
    assert items and order.total.amount > 0
    before = _state(core, order.txn, ak.id, items)
    assert before["order"] == "processing" and before["balance"] == 100 and before["consumes"] == 0

    seen = []

    class FailingCompletion(OrderCompletion):
        """The real completion, failing where the test says (handed to the payment service)."""

        def apply_effects(self, order_row, lines=None):
            # Prove where we are: inside the payment's transaction, the credits are already consumed.
            seen.append(("consumed", CreditEntry.select().where((CreditEntry.order == order_row.id) &
                                                                (CreditEntry.kind == LedgerKind.CONSUME)).count()))
            seen.append(("balance", core.credits.balance(order_row.payer_id)))
            if when == "after_expiries":
                super().apply_effects(order_row, lines)
                seen.append(("moved", sum(1 for i in Item.select().where(Item.id.in_(items))
                                          if i.expires_at == core.ptime.end_of_day(dt.date(2025, 9, 30)))))
            raise InjectedFailure("crash between consuming credits and extending expiries")

    failing = FailingCompletion(core.clock, credits=core.credits, audit=core.audit)
    with pytest.raises(InjectedFailure):
        core.payments.replacing(completion=failing).pay(ak, order.txn, "credit")
    expected_seen = [("consumed", 1), ("balance", 100 - order.total.amount)]
    if when == "after_expiries":
        expected_seen.append(("moved", len(items)))
    assert seen == expected_seen

    assert core.db.transaction_depth() == 0
    after_failure = _state(core, order.txn, ak.id, items)
    assert after_failure == before  # order still processing, no consume, balance and expiries unchanged
    assert after_failure["attempts"] == []  # no attempt left behind, let alone a succeeded one

    outcome = core.payments.pay(ak, order.txn, "credit")
    assert outcome.order.state == "succeeded"
    paid = _state(core, order.txn, ak.id, items)
    end = core.ptime.end_of_day(dt.date(2025, 9, 30))
    assert paid["order"] == "succeeded" and paid["consumes"] == 1 and paid["paid_audit"] == 1
    assert paid["balance"] == paid["ledger_sum"] == 100 - order.total.amount
    assert paid["attempts"] == ["succeeded"]
    assert paid["expiries"] == {i: end for i in items}


def test_r4_failure_while_adding_bought_credits_gives_the_coupon_back(core, world, actor, monkeypatch):
    """A credit purchase paid with a coupon: the coupon is redeemed first, then the purchase entry
    is appended. A failure there must undo the redemption too."""
    ak = actor("aktest")
    billing(core, ak)
    coupon = core.coupons.issue("aktest", "50.00", "USD")
    order = core.orders.create_credit_purchase(ak, 10, accept_terms=True)
    assert order.total == Money(10 * core.price_list.price_per_credit, "USD")

    def remaining() -> Money:
        return next(c.remaining for c in core.coupons.mine(ak) if c.code == coupon.code)

    calls = []
    original = CreditService.append

    def failing_append(self, account_id, kind, amount, *args, **kwargs):
        if kind == LedgerKind.PURCHASE:
            # The coupon has been redeemed in this transaction already.
            calls.append(remaining())
            raise InjectedFailure("crash while appending the purchase entry")
        return original(self, account_id, kind, amount, *args, **kwargs)

    monkeypatch.setattr(CreditService, "append", failing_append)
    with pytest.raises(InjectedFailure):
        core.payments.pay(ak, order.txn, coupons=[coupon.code])
    assert calls == [Money(5000, "USD") - order.total]

    row = Order.get(Order.txn == order.txn)
    assert row.state == "processing" and row.paid_at is None
    assert remaining() == Money(5000, "USD")
    assert CouponEntry.select().where(CouponEntry.order == row.id).count() == 0
    assert core.credits.balance(ak.id) == core.credits.ledger_sum(ak.id) == 0
    assert CreditEntry.select().where(CreditEntry.account == ak.id).count() == 0
    assert PaymentAttempt.select().where(PaymentAttempt.order == row.id).count() == 0

    monkeypatch.setattr(CreditService, "append", original)
    outcome = core.payments.pay(ak, order.txn, coupons=[coupon.code])
    assert outcome.order.state == "succeeded"
    assert remaining() == Money(5000, "USD") - order.total
    assert core.credits.balance(ak.id) == core.credits.ledger_sum(ak.id) == 10
    assert [a.state for a in PaymentAttempt.select().where(PaymentAttempt.order == row.id)] == ["succeeded"]

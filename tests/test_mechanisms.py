"""DESIGN.md's reliability mechanisms that no rule test names directly."""
from smartpay.core.db.models import PaymentAttempt

from support import credit_renewal_order


def test_m1_attempt_idempotency_key_derives_from_the_transaction_number(core, world, actor):
    ak = actor("aktest")
    order = credit_renewal_order(core, world, ak)
    core.payments.pay(ak, order.txn, "credit")
    keys = [a.idempotency_key for a in PaymentAttempt.select().order_by(PaymentAttempt.id)]
    assert keys == [f"{order.txn}-01"]

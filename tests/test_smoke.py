from support import credit_renewal_order


def test_credit_renewal_end_to_end(core, world, actor):
    """The seed guide's credit flow: renew New Commercial to 2025-09-30 with credits."""
    ak = actor("aktest")
    order = credit_renewal_order(core, world, ak)
    assert order.total.currency == "CREDIT" and order.total.amount > 0
    outcome = core.payments.pay(ak, order.txn, "credit")
    assert outcome.order.state == "succeeded"
    assert core.credits.balance(ak.id) == 100 - order.total.amount == core.credits.ledger_sum(ak.id)

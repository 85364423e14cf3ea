from support import billing

from smartpay.core.services.quotes import Selection


def test_credit_renewal_end_to_end(core, world, actor):
    """The seed guide's credit flow: renew New Commercial to 2025-09-30 with credits."""
    ak = actor("aktest")
    core.credits.add_offline("aktest", 100, "offline sale")
    billing(core, ak)
    order = core.orders.create(ak, "renewal", Selection("commercial", installer="inst_credit",
                                                        project_ids=(world.new_commercial.id,)),
                               accept_terms=True, pay_in="credit", renew_mode="manual", renew_to="2025-09-30")
    assert order.total.currency == "CREDIT" and order.total.amount > 0
    outcome = core.payments.pay(ak, order.txn, "credit")
    assert outcome.order.state == "succeeded"
    assert core.credits.balance(ak.id) == 100 - order.total.amount == core.credits.ledger_sum(ak.id)

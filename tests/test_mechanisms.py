"""DESIGN.md's reliability mechanisms that no rule test names directly."""
from smartpay.core.db.models import PaymentAttempt

from support import credit_renewal_order


def test_m1_attempt_idempotency_key_derives_from_the_transaction_number(core, world, actor):
    ak = actor("aktest")
    order = credit_renewal_order(core, world, ak)
    core.payments.pay(ak, order.txn, "credit")
    keys = [a.idempotency_key for a in PaymentAttempt.select().order_by(PaymentAttempt.id)]
    assert keys == [f"{order.txn}-01"]


def _rows(model):
    return [tuple(r) for r in model.select().order_by(model.id).tuples()]


def test_m4_ledgers_only_grow_earlier_entries_never_change(core, world, actor):
    from smartpay.core.db.models import CouponEntry, CreditEntry

    ak = actor("aktest")
    seen = {CreditEntry: _rows(CreditEntry), CouponEntry: _rows(CouponEntry)}

    def still_a_prefix() -> None:
        for model, before in seen.items():
            now = _rows(model)
            assert now[:len(before)] == before, f"{model.__name__}: an earlier entry changed"
            seen[model] = now

    core.coupons.issue("aktest", "30.00", "USD")
    still_a_prefix()
    order = credit_renewal_order(core, world, ak)        # adds 100 credits offline
    still_a_prefix()
    core.credits.assign(ak, "inst_credit", 10)
    still_a_prefix()
    core.payments.pay(ak, order.txn, "credit")
    still_a_prefix()
    assert len(seen[CreditEntry]) == 4 and len(seen[CouponEntry]) == 1


def test_m6_refused_input_names_the_field_and_writes_nothing(core, world, actor):
    import pytest

    from smartpay.core.db.models import AuditLog, BillingInfo, Order
    from smartpay.core.errors import InvalidInput
    from smartpay.core.services.quotes import Selection
    from support import billing

    ak = actor("aktest")
    billing(core, ak)
    before = (_rows(Order), _rows(AuditLog), _rows(BillingInfo))
    with pytest.raises(InvalidInput) as refused:
        core.billing.save(ak, "Default Company", "Ann Tan", "1 Harbour Road", "not a phone")
    assert refused.value.field.lower() == "tel"
    with pytest.raises(InvalidInput) as refused:
        core.orders.create(ak, "renewal", Selection("commercial", installer="inst_credit",
                                                    project_ids=(world.new_commercial.id,)),
                           accept_terms=True, pay_in="credit", renew_mode="manual", renew_to="2025-13-40")
    assert "renew" in refused.value.field.lower()
    assert (_rows(Order), _rows(AuditLog), _rows(BillingInfo)) == before

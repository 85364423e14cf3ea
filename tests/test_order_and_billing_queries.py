"""The order list with item counts (R8, what Orders shows) and every bad billing field at once
(R10, what Billing information shows), asked of the core on the seed guide's demo world."""
from __future__ import annotations

from smartpay.core.db.models import Project
from smartpay.core.services.order_queries import list_with_counts
from smartpay.core.services.quotes import Selection


def credit_renewal_order(core, login: str = "inst_credit"):
    """A processing order of the demo world: New Commercial renewed to 2025-09-30, paid in credits."""
    new_commercial = Project.get(Project.name == "New Commercial").id
    return core.orders.create(core.auth.actor(login), "renewal",
                              Selection("commercial", installer="inst_credit", project_ids=(new_commercial,)),
                              accept_terms=True, pay_in="credit", renew_mode="manual", renew_to="2025-09-30")


def test_r10_billing_problems_lists_every_bad_field(demo_core):
    problems = demo_core.billing.problems("", "Ann", "", "12", "fax!")
    assert set(problems) == {"Company/Family", "Address", "TEL", "Fax"}
    assert problems["Company/Family"] == "is required"
    assert demo_core.billing.problems("Co", "Ann", "1 Road", "+65 6123 4567") == {}


def test_r8_order_list_counts_items_per_order(demo_core):
    order = credit_renewal_order(demo_core)
    purchase = demo_core.orders.create_credit_purchase(demo_core.auth.actor("aktest"), 10, accept_terms=True)
    rows = list_with_counts(demo_core, demo_core.auth.actor("inst_credit"))
    assert [(r.order.txn, r.items) for r in rows] == [(order.txn, 2)]
    assert [(r.order.txn, r.items) for r in list_with_counts(demo_core, demo_core.auth.actor("aktest"))] == [
        (purchase.txn, 0)]

"""Read queries the Orders screen needs beyond OrderService.list/get: the list with each order's
number of items, in one extra query. Authorization stays with OrderService.list (the actor's own
orders); this only counts lines of the orders it returned."""
from __future__ import annotations

import peewee as pw

from ..db.models import Order, OrderItem
from ..views import Actor, OrderListRow


def list_with_counts(core, actor: Actor, state: str | None = None) -> list[OrderListRow]:
    """The actor's orders, newest first, each with how many items it pays for (0 for a credit
    purchase, which has no items)."""
    orders = core.orders.list(actor, state=state)
    if not orders:
        return []
    txns = [o.txn for o in orders]
    counts = dict(OrderItem.select(Order.txn, pw.fn.COUNT(OrderItem.id))
                  .join(Order, on=(OrderItem.order == Order.id))
                  .where(Order.txn.in_(txns) & OrderItem.item.is_null(False))
                  .group_by(Order.txn).tuples())
    return [OrderListRow(o, counts.get(o.txn, 0)) for o in orders]

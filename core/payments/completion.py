"""Completing a paid order (R5, R6, R8): its state, its items' expiries and the credit ledger move
together, once, inside the transaction that recorded the payment."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..clock import Clock
from ..db.models import Item, Order, OrderItem
from ..domain import LedgerKind, OrderState, Purpose

if TYPE_CHECKING:
    from ..services.audit import AuditService
    from ..services.credits import CreditService

ORDER_PAID = [Order.state, Order.paid_at, Order.finished_at]


class OrderCompletion:
    def __init__(self, clock: Clock, *, credits: "CreditService", audit: "AuditService"):
        self.clock, self.credits, self.audit = clock, credits, audit

    def complete(self, order: Order, lines: list[OrderItem] | None = None) -> None:
        """Paid in full: state, expiries and ledger move together, once (R8). `lines`: the order's
        lines when the caller has them already (settlement reads them under the lock)."""
        order.state = OrderState.SUCCEEDED.value
        order.paid_at = order.finished_at = self.clock.now()
        order.save(only=ORDER_PAID)
        self.apply_effects(order, lines)
        self.audit.record(None, "order.paid", order.txn, total=order.total, unit=order.unit)

    def apply_effects(self, order: Order, lines: list[OrderItem] | None = None) -> None:
        """What the order buys: credits into the payer's ledger, or its items' new expiries."""
        if order.purpose == Purpose.CREDIT_PURCHASE:
            reference = f"order {order.txn}"
            self.credits.append(order.payer_id, LedgerKind.PURCHASE, order.credit_quantity, order.payer_id,
                                order_id=order.id, reference=reference)
            if order.credit_for_id and order.credit_for_id != order.payer_id:
                # R15: bought for an account below the buyer — handed down at once, as an
                # assign_out/assign_in pair (R11) naming the order.
                self.credits.hand_down(order.payer_id, order.credit_for_id, order.credit_quantity,
                                       order_id=order.id, reference=reference)
            return
        now = self.clock.now()
        for line in lines if lines is not None else OrderItem.select().where(OrderItem.order == order.id):
            changes = {Item.expires_at: line.expires_after}
            if order.purpose == Purpose.ACTIVATION:
                changes[Item.activated_at] = now
            # The guard on the old expiry makes a second application a no-op (exactly once).
            Item.update(changes).where((Item.id == line.item_id) &
                                       (Item.expires_at.is_null() if line.expires_before is None
                                        else Item.expires_at == line.expires_before)).execute()

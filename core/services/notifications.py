"""Notifications: what an account must hear about without being at the desk — a declined
auto-renewal, a plan that stopped, a payment that had to be refunded. Written in the same
transaction as the change they describe; delivery (e-mail, chat) is left to whoever reads them."""
from __future__ import annotations

from enum import StrEnum

import peewee as pw

from ..db.models import Account, Notification, Order
from ..views import Actor, NotificationView
from .base import Service


class NotificationKind(StrEnum):
    RENEWAL_DECLINED = "renewal_declined"      # a cycle's charge failed; a retry is scheduled
    RENEWAL_STOPPED = "renewal_stopped"        # auto-renew is off, with the reason
    RENEWAL_NOT_SET_UP = "renewal_not_set_up"  # an auto-renew order was paid but no method was saved
    PAYMENT_REFUNDED = "payment_refunded"      # paid, but the order could no longer be applied
    REFUND_FAILED = "refund_failed"            # the provider refused the refund: an operator must act


class NotificationService(Service):
    def notify(self, account_id: int, kind: NotificationKind, message: str, order_id: int | None = None,
               plan_id: int | None = None) -> None:
        """Record one notification; call inside the transaction of the change it reports."""
        Notification.create(account=account_id, kind=kind.value, message=message, order=order_id, plan=plan_id,
                            created_at=self.now())

    def for_account(self, actor: Actor, limit: int = 100) -> list[NotificationView]:
        """The actor's own notifications, newest first."""
        return self._views(Notification.account == actor.id, limit)

    def recent(self, limit: int = 100, kind: str | None = None) -> list[NotificationView]:
        """Everyone's, newest first: for whoever holds the database (the operations CLI)."""
        where = (Notification.kind == kind) if kind else (Notification.id > 0)
        return self._views(where, limit)

    def _views(self, where, limit: int) -> list[NotificationView]:
        query = (Notification.select(Notification, Account.login, Order.txn)
                 .join(Account, on=(Notification.account == Account.id))
                 .join(Order, pw.JOIN.LEFT_OUTER, on=(Notification.order == Order.id))
                 .where(where).order_by(Notification.id.desc()).limit(limit))
        return [NotificationView(n.id, n.account.login, n.kind, n.message,
                                 n.order.txn if n.order_id else None, n.plan_id, n.created_at)
                for n in query]

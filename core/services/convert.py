"""Row → view conversions, in one place so every service hands out the same shapes."""
from __future__ import annotations

import datetime as dt
import json

from ..db.models import Account, Item, Order, OrderItem, PaymentAttempt, Project
from ..domain import Grant, ItemStatus, OrderState, ProjectType, Purpose, RenewMode, Role, service_label
from ..money import Money
from ..views import (AccountView, Actor, AttemptView, BillingInfoView, ItemView, OrderLineView,
                     OrderView)


def actor_of(row: Account) -> Actor:
    return Actor(row.id, row.login, row.name, Role(row.role))


def account_view(row: Account, parent_login: str | None = None) -> AccountView:
    return AccountView(row.id, row.login, row.name, Role(row.role), parent_login, row.email,
                       Grant(row.pay_by_installer), row.created_at, row.locked_until)


def item_status(expires_at: dt.datetime | None, now: dt.datetime) -> ItemStatus:
    if expires_at is None:
        return ItemStatus.INACTIVE
    return ItemStatus.ACTIVE if expires_at > now else ItemStatus.EXPIRED


def item_view(row: Item, project: Project, now: dt.datetime) -> ItemView:
    return ItemView(row.id, project.id, project.name, row.service_type,
                    service_label(project.type, row.service_type), row.subject_name, row.subject_email,
                    row.company, item_status(row.expires_at, now), row.expires_at)


def detail_of(stored: str | None) -> dict:
    """An attempt's detail as the object the plugin answered (stored as JSON text); text that is
    not a JSON object (rows written before it was) comes back as {"text": ...}."""
    if not stored:
        return {}
    try:
        parsed = json.loads(stored)
    except ValueError:
        return {"text": stored}
    return parsed if isinstance(parsed, dict) else {"text": stored}


def order_view(order: Order, payer_login: str, lines: list[OrderItem] | None = None,
               attempts: list[PaymentAttempt] | None = None,
               sites: dict[int, tuple[str, str]] | None = None, credit_for_login: str | None = None) -> OrderView:
    """`sites` maps item id → (site name, project type) for the order lines."""
    billing = BillingInfoView(**json.loads(order.billing_json))
    line_views = []
    for line in lines or ():
        site, ptype = (sites or {}).get(line.item_id, ("--", order.project_type or ""))
        item = line.item if line.item_id else None
        line_views.append(OrderLineView(
            line.item_id, site, item.company if item else None, line.service_type,
            service_label(ptype, line.service_type) if ptype else line.service_type,
            item.subject_name if item else line.service_type, item.subject_email if item else None,
            line.days, Money(line.price, order.unit), line.expires_before, line.expires_after))
    attempt_views = [AttemptView(a.id, a.method, Money(a.amount, a.unit), a.state, a.idempotency_key,
                                 a.provider_ref, a.redirect_url, detail_of(a.detail), a.created_at)
                     for a in attempts or ()]
    return OrderView(
        txn=order.txn, payer_login=payer_login, purpose=Purpose(order.purpose),
        project_type=ProjectType(order.project_type) if order.project_type else None,
        total=Money(order.total, order.unit), state=OrderState(order.state),
        created_at=order.created_at, deadline_at=order.deadline_at, paid_at=order.paid_at,
        renew_mode=RenewMode(order.renew_mode) if order.renew_mode else None,
        renew_to=order.renew_to, auto_cycles=order.auto_cycles, auto_until=order.auto_until,
        credit_quantity=order.credit_quantity, billing=billing, lines=tuple(line_views),
        attempts=tuple(attempt_views), failure_reason=order.failure_reason, credit_for_login=credit_for_login)

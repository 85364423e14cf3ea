"""The Subscription overview: every item of the operator's projects with its site, soonest expiry
first — what needs renewing — and the counts the screen heads it with. Two queries (projects,
items), however many hundred thousand items a large distributor sees."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..domain import ItemStatus, ProjectType
from ..views import Actor, ItemView

EXPIRING_SOON = dt.timedelta(days=30)


@dataclass(frozen=True)
class SubscriptionRow:
    item: ItemView
    site: str
    project_type: ProjectType


@dataclass(frozen=True)
class ItemCounts:
    total: int
    active: int
    expiring_soon: int      # active and expiring within EXPIRING_SOON
    expired: int
    inactive: int           # never activated


@dataclass(frozen=True)
class SubscriptionOverview:
    rows: tuple[SubscriptionRow, ...]
    counts: ItemCounts


def expiry_order(item: ItemView):
    """Expired and soon-to-expire first, then later expiries, never-activated last."""
    return (item.expires_at is None, item.expires_at or dt.datetime.max.replace(tzinfo=dt.timezone.utc),
            item.site, item.id)


def count_items(items: list[ItemView], now: dt.datetime) -> ItemCounts:
    by_status = {s: sum(1 for i in items if i.status == s) for s in ItemStatus}
    soon = sum(1 for i in items if i.status == ItemStatus.ACTIVE and i.expires_at - now <= EXPIRING_SOON)
    return ItemCounts(len(items), by_status[ItemStatus.ACTIVE], soon, by_status[ItemStatus.EXPIRED],
                      by_status[ItemStatus.INACTIVE])


def subscription_overview(core, actor: Actor, project_id: int | None = None) -> SubscriptionOverview:
    """The actor's visible items joined with their projects, in expiry order, and their counts;
    `project_id`: one of those projects only (a property manager's switched-to project)."""
    projects = {p.id: p for p in core.accounts.projects(actor) if project_id is None or p.id == project_id}
    rows = [SubscriptionRow(i, projects[i.project_id].name, projects[i.project_id].type)
            for i in core.accounts.visible_items(actor) if i.project_id in projects]
    rows.sort(key=lambda row: expiry_order(row.item))
    return SubscriptionOverview(tuple(rows), count_items([r.item for r in rows], core.clock.now()))

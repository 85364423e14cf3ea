"""R7 auto-renew plans: born when an auto-renew order is paid, advanced by each paid cycle,
retried after declines, stopped or ended with a recorded reason.

A plan is created when an auto-renew order is paid and the provider saved the payer's method
(`ChargeResult.saved_method`, a provider reference, not a secret). The source order paid cycle
1; `cycles_limit` counts it. Each later cycle is one order, placed and charged by the runner
(core/payments/renew_runner.py, `smartpay renew run`), and recorded through the same
`PaymentService.record_result(s)` as every payment, which calls back `on_paid` / `on_failed`
inside its transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db.database import locked
from ..db.models import Account, Item, Order, OrderItem, PaymentAttempt, RenewalCycle, RenewalPlan, RenewalPlanItem
from ..domain import OrderState, ProjectType, Purpose, RenewMode
from ..errors import NotFound, SmartpayError
from ..money import Money
from ..plugin_host import ChargeResult
from ..views import Actor, RenewalPlanView
from .base import Service
from .convert import actor_of
from .notifications import NotificationKind
from .quotes import Selection

if TYPE_CHECKING:
    from ..config import Settings
    from ..platform_time import PlatformTime
    from .audit import AuditService
    from .notifications import NotificationService
    from .quotes import QuoteService


class PlanState(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"   # auto-renew is off and someone should look: declines, lost permission, …
    ENDED = "ended"       # every cycle the payer asked for was renewed


OPEN_ORDER_STATES = (OrderState.PROCESSING.value, OrderState.SYSTEM_PROCESSING.value)
# What running a plan changes (saving only these keeps the runner's many small writes cheap).
PLAN_PROGRESS = [RenewalPlan.cycles_done, RenewalPlan.failures, RenewalPlan.next_retry_at, RenewalPlan.saved_method,
                 RenewalPlan.state, RenewalPlan.stopped_reason, RenewalPlan.updated_at]


@dataclass(frozen=True)
class DueRenewal:
    """One plan the runner would charge (what --dry-run lists)."""

    plan_id: int
    payer_login: str
    method: str
    cycle: int
    retry: bool
    items: int
    upcoming_expiry: dt.datetime | None
    amount: Money | None        # None when the cycle cannot be quoted (the reason says why)
    reason: str = ""


@dataclass
class RenewalRunSummary:
    """What one `renew run` did, counted per outcome."""

    dry_run: bool = False
    due: int = 0
    paid: int = 0
    declined: int = 0
    unknown: int = 0           # outcome unknown: reconcile settles it, the plan waits
    pending: int = 0
    refunded: int = 0          # paid, but the items had moved: refunded
    stopped: int = 0
    ended: int = 0
    skipped: int = 0           # another runner had it, or it was no longer due
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)
    would_charge: list[DueRenewal] = field(default_factory=list)

    def line(self) -> str:
        if self.dry_run:
            return f"renew run (dry run): {self.due} due; nothing was charged or written"
        return (f"renew run: {self.due} due, {self.paid} paid, {self.declined} declined, {self.unknown} unknown, "
                f"{self.pending} pending, {self.refunded} refunded, {self.stopped} stopped, {self.ended} ended, "
                f"{self.skipped} skipped, {self.errors} errors")


class RenewalService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 audit: "AuditService", notifications: "NotificationService", ptime: "PlatformTime",
                 quotes: "QuoteService", settings: "Settings"):
        super().__init__(db, clock)
        self.audit = audit
        self.notifications = notifications
        self.ptime = ptime
        self.quotes = quotes
        self.settings = settings

    # -- called by settlement (core/payments/settlement.py), inside its transaction -------------------
    def cycles_of(self, order_ids: list[int]) -> dict[int, tuple[RenewalCycle, RenewalPlan]]:
        """order id → (cycle, plan, locked) for the auto-renew cycle orders among `order_ids`."""
        cycles = list(RenewalCycle.select().where(RenewalCycle.order.in_(order_ids)))
        if not cycles:
            return {}
        plans = {p.id: p for p in locked(RenewalPlan.select().where(
            RenewalPlan.id.in_(sorted({c.plan_id for c in cycles}))).order_by(RenewalPlan.id))}
        return {c.order_id: (c, plans[c.plan_id]) for c in cycles}

    def on_paid(self, order: Order, attempt: PaymentAttempt | None, result: ChargeResult,
                cycle: tuple[RenewalCycle, RenewalPlan] | None) -> None:
        """A paid order: advance its plan's cycle, or set up a plan for a paid auto-renew order."""
        if cycle is not None:
            row, plan = cycle
            advance_paid_cycle(plan, row.cycle, result, self.now())
            self.end_if_done(plan)
            plan.updated_at = self.now()
            plan.save(only=PLAN_PROGRESS)
            return
        if order.renew_mode != RenewMode.AUTO or order.purpose != Purpose.RENEWAL or attempt is None:
            return
        if not result.saved_method:
            self.notifications.notify(
                order.payer_id, NotificationKind.RENEWAL_NOT_SET_UP,
                f"Order {order.txn} was paid, but the payment method was not saved, so auto-renew is not on; "
                f"renew these items manually or place a new auto-renew order", order_id=order.id)
            return
        if RenewalPlan.select().where(RenewalPlan.source_order == order.id).exists():
            return
        item_ids = [line.item_id for line in OrderItem.select(OrderItem.item).where(OrderItem.order == order.id)
                    if line.item_id]
        other = (RenewalPlan.select(RenewalPlan.id).join(RenewalPlanItem, on=(RenewalPlanItem.plan == RenewalPlan.id))
                 .where(RenewalPlanItem.item.in_(item_ids or [-1]) & (RenewalPlan.state == PlanState.ACTIVE.value))
                 .scalar())
        if other is not None:
            # Two auto-renew orders for the same items, both paid before either plan existed:
            # a second plan would charge every cycle twice. The order stays paid; no second plan.
            self.notifications.notify(
                order.payer_id, NotificationKind.RENEWAL_NOT_SET_UP,
                f"Order {order.txn} was paid, but its items are already renewed automatically by plan {other}, "
                f"so no second auto-renew plan was set up", order_id=order.id)
            return
        now = self.now()
        plan = RenewalPlan.create(payer=order.payer_id, method=attempt.method, saved_method=result.saved_method,
                                  source_order=order.id, project_type=order.project_type,
                                  cycles_limit=order.auto_cycles, until=order.auto_until, cycles_done=1,
                                  state=PlanState.ACTIVE.value, failures=0, created_at=now, updated_at=now)
        RenewalPlanItem.insert_many([dict(plan=plan.id, item=i) for i in item_ids]).execute()
        if self.end_if_done(plan):
            plan.save(only=PLAN_PROGRESS)
        self.audit.record(None, "renewal.plan_created", order.txn, plan=plan.id, method=attempt.method)

    def on_failed(self, order: Order, reason: str, cycle: tuple[RenewalCycle, RenewalPlan] | None) -> None:
        """A cycle's charge was declined (or its window closed): schedule the next try from
        `renew_retry_hours`, or stop the plan after the last one. A notification each time."""
        if cycle is None:
            return
        plan = cycle[1]
        if plan.state != PlanState.ACTIVE:
            return
        retries = self.settings.renew_retry_hours
        plan.failures += 1
        now = self.now()
        if plan.failures <= len(retries):
            plan.next_retry_at = now + dt.timedelta(hours=retries[plan.failures - 1])
            self.notifications.notify(
                plan.payer_id, NotificationKind.RENEWAL_DECLINED,
                f"Auto-renew (order {order.txn}) could not be charged: {reason}. We will try again at "
                f"{self.ptime.format(plan.next_retry_at)} (retry {plan.failures} of {len(retries)})",
                order_id=order.id, plan_id=plan.id)
        else:
            plan.next_retry_at = None
            self.stop_locked(plan, f"the saved payment method was declined {plan.failures} times in a row "
                                   f"(last: {reason})", order_id=order.id)
        plan.updated_at = now
        plan.save(only=PLAN_PROGRESS)

    # -- operators ------------------------------------------------------------------------------
    def plans(self, state: str | None = None, payer: Actor | None = None) -> list[RenewalPlanView]:
        """Plans, newest first; `state` filters (active, stopped, ended), `payer` narrows to one account."""
        query = RenewalPlan.select().order_by(RenewalPlan.id.desc())
        if state:
            query = query.where(RenewalPlan.state == validate.choice("state", state, PlanState).value)
        if payer is not None:
            query = query.where(RenewalPlan.payer == payer.id)
        return [self.view(p) for p in query]

    def view(self, plan: RenewalPlan) -> RenewalPlanView:
        items = self.item_ids(plan.id)
        login = Account.select(Account.login).where(Account.id == plan.payer_id).scalar()
        source = Order.select(Order.txn).where(Order.id == plan.source_order_id).scalar()
        return RenewalPlanView(plan.id, login, plan.method, source, ProjectType(plan.project_type), items,
                               plan.cycles_limit, plan.until, plan.cycles_done, plan.state, plan.stopped_reason,
                               plan.failures, plan.next_retry_at, self.upcoming_expiry(plan.id))

    def stop(self, plan_id: int, reason: str) -> RenewalPlanView:
        """Turn a plan off by hand (an operator, or the payer asking); the payer is told."""
        reason = validate.text("reason", reason, max_len=500)
        with self.write():
            plan = locked(RenewalPlan.select().where(RenewalPlan.id == plan_id)).first()
            if plan is None:
                raise NotFound(f"plan: no auto-renew plan {plan_id}")
            if plan.state == PlanState.ACTIVE:
                self.stop_locked(plan, reason)
                plan.updated_at = self.now()
                plan.save(only=PLAN_PROGRESS)
        return self.view(RenewalPlan.get_by_id(plan_id))

    # -- the runner -----------------------------------------------------------------------------
    def due_plan_ids(self) -> list[int]:
        """Active plans whose earliest item expires within `renew_lead_hours` (and no retry is
        scheduled), or whose retry is due; none with a cycle order still open."""
        now = self.now()
        horizon = now + dt.timedelta(hours=self.settings.renew_lead_hours)
        earliest = (RenewalPlanItem.select(RenewalPlanItem.plan, pw.fn.MIN(Item.expires_at).alias("upcoming"))
                    .join(Item, on=(RenewalPlanItem.item == Item.id)).group_by(RenewalPlanItem.plan))
        open_orders = (RenewalCycle.select(RenewalCycle.plan).join(Order, on=(RenewalCycle.order == Order.id))
                       .where(Order.state.in_(OPEN_ORDER_STATES)))
        query = (RenewalPlan.select(RenewalPlan.id, RenewalPlan.next_retry_at, earliest.c.upcoming)
                 .join(earliest, on=(earliest.c.plan_id == RenewalPlan.id))
                 .where((RenewalPlan.state == PlanState.ACTIVE.value) & RenewalPlan.id.not_in(open_orders))
                 .order_by(RenewalPlan.id))
        return [plan_id for plan_id, retry_at, upcoming in query.tuples()
                if is_due(RenewalPlan.next_retry_at.python_value(retry_at), Item.expires_at.python_value(upcoming),
                          now, horizon)]

    def preview(self, plan_id: int) -> DueRenewal:
        plan = RenewalPlan.get_by_id(plan_id)
        payer = actor_of(Account.get_by_id(plan.payer_id))
        amount, reason = None, ""
        try:
            quote = self.quotes.quote(payer, "renewal", Selection(plan.project_type,
                                                                       item_ids=self.item_ids(plan.id)),
                                           renew_mode="auto", auto_cycles=1, own_plans=(plan.id,))
            if quote.excluded:
                reason = quote.excluded[0].excluded_reason or ""
            else:
                amount = quote.total
        except SmartpayError as exc:
            reason = exc.message
        return DueRenewal(plan.id, payer.login, plan.method, plan.cycles_done + 1, plan.next_retry_at is not None,
                          len(self.item_ids(plan.id)), self.upcoming_expiry(plan.id), amount, reason)

    # -- shared with the runner -----------------------------------------------------------------
    def item_ids(self, plan_id: int) -> tuple[int, ...]:
        return tuple(r.item_id for r in RenewalPlanItem.select(RenewalPlanItem.item)
                     .where(RenewalPlanItem.plan == plan_id).order_by(RenewalPlanItem.item))

    def upcoming_expiry(self, plan_id: int) -> dt.datetime | None:
        value = (Item.select(pw.fn.MIN(Item.expires_at)).join(RenewalPlanItem, on=(RenewalPlanItem.item == Item.id))
                 .where(RenewalPlanItem.plan == plan_id).scalar())
        return Item.expires_at.python_value(value)

    def end_if_done(self, plan: RenewalPlan, upcoming: dt.datetime | None = None) -> bool:
        """End the plan when the payer's limit is reached: every cycle renewed, or the next cycle
        would begin after the `until` day. Returns True when it ended now."""
        if plan.state != PlanState.ACTIVE:
            return False
        if plan.cycles_limit is not None and plan.cycles_done >= plan.cycles_limit:
            reason = f"all {plan.cycles_limit} cycles renewed"
        elif plan.until is not None and self._past_until(plan, upcoming):
            reason = f"auto-renew ran until {plan.until}"
        else:
            return False
        plan.state = PlanState.ENDED.value
        plan.stopped_reason = reason
        plan.updated_at = self.now()
        self.audit.record(None, "renewal.plan_ended", str(plan.id), reason=reason)
        return True

    def _past_until(self, plan: RenewalPlan, upcoming: dt.datetime | None) -> bool:
        upcoming = upcoming if upcoming is not None else self.upcoming_expiry(plan.id)
        return upcoming is not None and self.ptime.local_date(upcoming) > plan.until

    def stop_locked(self, plan: RenewalPlan, reason: str, order_id: int | None = None) -> None:
        """Stop a plan the caller holds locked (and saves); the payer is told why."""
        plan.state = PlanState.STOPPED.value
        plan.stopped_reason = reason
        self.notifications.notify(plan.payer_id, NotificationKind.RENEWAL_STOPPED,
                                       f"Auto-renew plan {plan.id} is off: {reason}. Renew the items manually "
                                       f"or set up auto-renew again with a working payment method",
                                       order_id=order_id, plan_id=plan.id)
        self.audit.record(None, "renewal.plan_stopped", str(plan.id), reason=reason)


def is_due(retry_at: dt.datetime | None, upcoming: dt.datetime | None, now: dt.datetime,
           horizon: dt.datetime) -> bool:
    """A scheduled retry decides alone; otherwise the earliest expiry must be within the lead time."""
    if retry_at is not None:
        return retry_at <= now
    return upcoming is not None and upcoming <= horizon


def advance_paid_cycle(plan: RenewalPlan, cycle: int, result: ChargeResult, now: dt.datetime) -> None:
    """A paid cycle moves its plan on: the count, no failures or retry pending, and the token
    the provider may have renewed. (Used one by one here and in bulk by recording.)"""
    plan.cycles_done = max(plan.cycles_done, cycle)
    plan.failures = 0
    plan.next_retry_at = None
    if result.saved_method:  # the provider may hand out a fresh token
        plan.saved_method = result.saved_method
    plan.updated_at = now

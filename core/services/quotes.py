"""Quotes (R5 activate, R6 manual renew, R7 auto-renew): which items, at what price, to what
expiry. Orders are built from a fresh quote in the core — a client's prices are never trusted."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import peewee as pw
from dateutil.relativedelta import relativedelta
from peewee import fn

from .. import validate
from ..clock import Clock
from ..db.models import Item, Project
from ..domain import FREE_FIRST, SERVICE_TYPES, ProjectType, Purpose, RenewMode
from ..errors import InvalidInput, NotEligible, PermissionDenied
from ..money import Money, prorate
from ..views import Actor, Quote, QuoteLine
from .base import Service

if TYPE_CHECKING:
    from ..platform_time import PlatformTime
    from ..pricing import PriceList
    from .accounts import AccountService
    from .authz import Authorizer

PAY_IN_MONEY, PAY_IN_CREDIT = "money", "credit"
MAX_RENEW_MONTHS = 60
CYCLE_DAYS = 30
MAX_AUTO_CYCLES = 61  # 60 months of 30-day cycles, rounded up
DAY = dt.timedelta(days=1)


class PayIn(StrEnum):
    """How the payer means to pay an order: the price column, and which methods may pay it."""

    MONEY = PAY_IN_MONEY
    CREDIT = PAY_IN_CREDIT


@dataclass(frozen=True)
class Selection:
    """What the operator picked: project type, (distributors) the installer, the sites (none =
    all), the service types (none = All), or explicit item ids."""

    project_type: ProjectType | str
    installer: str | None = None
    project_ids: tuple[int, ...] = ()
    service_types: tuple[str, ...] = ()
    item_ids: tuple[int, ...] = ()


class QuoteService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 accounts: "AccountService", authz: "Authorizer", price_list: "PriceList", ptime: "PlatformTime"):
        super().__init__(db, clock)
        self.accounts = accounts
        self.authz = authz
        self.price_list = price_list
        self.ptime = ptime

    def quote(self, actor: Actor, purpose: str, selection: Selection, renew_mode: str | None = None,
              renew_to=None, auto_cycles=None, auto_until=None, *, own_plans: tuple[int, ...] | None = None,
              pay_in: str = PAY_IN_MONEY) -> Quote:
        """Price the selection. An auto-renew quote refuses items another active plan already
        renews (two plans would charge every cycle twice), except when `own_plans` — the plans
        the auto-renew runner is charging for these items — is given. `pay_in` ("money" or
        "credit") says how the payer means to pay: credits never pay auto-renew (R7).

        Refusals come in the order that matters to the payer: may this payer pay at all (R1),
        then what was asked (type, dates, pay-in), then what the selection holds."""
        purpose_ = validate.choice("purpose", purpose, Purpose)
        self.authz.require_may_pay(actor)
        if purpose_ == Purpose.CREDIT_PURCHASE:
            raise InvalidInput("purpose", "credit purchases are not quoted per item; use the credit order")
        ptype = validate.choice("type", selection.project_type, ProjectType)
        services = SERVICE_TYPES[ptype]
        for s in selection.service_types:
            if s not in services:
                raise InvalidInput("service", f"'{s}' is not a service of {ptype.label} projects "
                                              f"({', '.join(services)})")
        mode = None
        to_date = cycles = until = None
        today = self.ptime.local_date(self.now())
        if purpose_ == Purpose.RENEWAL:
            mode = validate.choice("renew-mode", renew_mode or RenewMode.MANUAL, RenewMode)
            if mode == RenewMode.MANUAL:
                to_date = self._check_renew_to(renew_to, today)
            else:
                cycles, until = self._check_auto(auto_cycles, auto_until, today)
        if validate.choice("pay-in", pay_in, PayIn) == PayIn.CREDIT and mode == RenewMode.AUTO:
            raise NotEligible("pay-in: Credits are not supported for auto-renewal (R7); pay auto-renew with "
                              "Stripe or PayPal, or renew to a date with credits")
        visible, rows = self._rows(actor, ptype, selection)
        quote = self._price(actor, purpose_, ptype, mode, to_date, cycles, until, visible, rows)
        if mode == RenewMode.AUTO and own_plans is None:
            self._refuse_items_on_plans(quote)
        return quote

    def _refuse_items_on_plans(self, quote: Quote) -> None:
        from ..db.models import RenewalPlan, RenewalPlanItem
        from .renewals import PlanState

        item_ids = [line.item_id for line in quote.lines if line.item_id]
        if not item_ids:
            return
        taken = (RenewalPlanItem.select(RenewalPlanItem.item, RenewalPlanItem.plan)
                 .join(RenewalPlan, on=(RenewalPlanItem.plan == RenewalPlan.id))
                 .where(RenewalPlanItem.item.in_(item_ids) & (RenewalPlan.state == PlanState.ACTIVE.value))
                 .order_by(RenewalPlanItem.item).tuples().first())
        if taken is not None:
            item_id, plan_id = taken
            name = next(line.subject_name for line in quote.lines if line.item_id == item_id)
            raise InvalidInput("items", f"'{name}' is already renewed automatically by auto-renew plan {plan_id}; "
                                        f"stop that plan first, or renew this item manually")

    # -- validation ---------------------------------------------------------------------------
    def _check_renew_to(self, renew_to, today: dt.date) -> dt.date:
        if renew_to in (None, ""):
            raise InvalidInput("Renew To", "choose the date to renew to")
        day = validate.date("Renew To", renew_to)
        if day <= today:
            raise InvalidInput("Renew To", f"{day} is not after today ({today})")
        limit = today + relativedelta(months=MAX_RENEW_MONTHS)
        if day > limit:
            raise InvalidInput("Renew To", f"{day} is more than {MAX_RENEW_MONTHS} months ahead (latest {limit})")
        return day

    def _check_auto(self, cycles, until, today: dt.date) -> tuple[int | None, dt.date | None]:
        if (cycles in (None, "")) == (until in (None, "")):
            raise InvalidInput("auto-renew", "say how long it lasts: a number of cycles or an end date, not both")
        if cycles not in (None, ""):
            return validate.positive_int("Cycles", cycles, MAX_AUTO_CYCLES), None
        day = validate.date("Until", until)
        if day <= today:
            raise InvalidInput("Until", f"{day} is not after today ({today})")
        if day > today + relativedelta(months=MAX_RENEW_MONTHS):
            raise InvalidInput("Until", f"{day} is more than {MAX_RENEW_MONTHS} months ahead")
        return None, day

    # -- selection --------------------------------------------------------------------------
    def _rows(self, actor: Actor, ptype: ProjectType, sel: Selection) -> tuple[dict[int, Project], list[tuple]]:
        accounts = self.accounts
        query = accounts.visible_project_query(actor).where(Project.type == ptype.value)
        if sel.installer:
            inst = self.authz.filter_installer(actor, sel.installer)
            query = query.where(Project.installer == inst.id)
        if sel.project_ids:
            query = query.where(Project.id.in_(list(sel.project_ids)))
        visible = {p.id: p for p in query}
        missing = set(sel.project_ids) - set(visible)
        if missing:
            raise PermissionDenied(f"project {min(missing)}: not a {ptype.label} project you can see")
        if not visible:
            if sel.item_ids:  # an item of nobody's visible project is refused like any unknown one
                raise PermissionDenied(f"item {min(sel.item_ids)}: not an item you can pay for here")
            return visible, []
        items = (Item.select(Item.id, Item.project, Item.service_type, Item.subject_name, Item.subject_email,
                             Item.company, Item.expires_at)
                 .where(Item.project.in_(list(visible))).order_by(Item.project, Item.id))
        if sel.service_types:
            items = items.where(Item.service_type.in_(list(sel.service_types)))
        if sel.item_ids:
            items = items.where(Item.id.in_(list(sel.item_ids)))
        rows = list(items.tuples())
        if sel.item_ids and len(rows) != len(set(sel.item_ids)):
            found = {r[0] for r in rows}
            raise PermissionDenied(f"item {min(set(sel.item_ids) - found)}: not an item you can pay for here")
        return visible, rows

    # -- pricing --------------------------------------------------------------------------------
    def _price(self, actor, purpose, ptype, mode, to_date, cycles, until, visible, rows) -> Quote:
        prices = self.price_list
        currency = prices.currency
        now = self.now()
        ptime = self.ptime
        today = ptime.local_date(now)
        labels = SERVICE_TYPES[ptype]
        first_free = self._first_free_items(ptype, visible) if any((ptype, s) in FREE_FIRST for s in labels) else set()
        standing: dict[int, str | None] = {}  # project id → refusal reason (R1), None if payable
        may_pay = self.authz.payer_checker(actor)
        lines: list[QuoteLine] = []
        excluded: list[QuoteLine] = []
        total = total_credits = 0
        counts: dict[str, int] = {}
        end_of_renewal = ptime.end_of_day(to_date) if to_date else None
        activation_expiry = ptime.end_of_day(today + dt.timedelta(days=CYCLE_DAYS))
        price_cache = {s: prices.price(ptype, s) for s in labels}

        # Quoting "all" prices tens of thousands of items, most sharing a handful of expiries and
        # service types. What an item's expiry decides (reason, days, next expiry) and what a
        # (service, days) pair costs are computed once each and reused; Money is immutable, so
        # equal amounts may share one object. The results are the same as pricing item by item.
        def timing(expires_at) -> tuple[str | None, int, dt.datetime | None, str | None]:
            """→ (reason, days, next expiry, how the price is computed)."""
            if purpose == Purpose.ACTIVATION:
                if expires_at is not None:
                    return "already activated; renew it instead", 0, None, None
                return None, CYCLE_DAYS, activation_expiry, "activation"
            if expires_at is None:
                return "not activated yet; activate it first", 0, None, None
            if mode == RenewMode.MANUAL:
                start = expires_at if expires_at > now else now
                if end_of_renewal <= start:
                    return f"already active until {ptime.format(expires_at)}, past Renew To", 0, None, None
                span = end_of_renewal - start
                days = span.days + (1 if span % DAY else 0)  # every started day counts
                return None, days, end_of_renewal, "prorate"
            # auto: one 30-day cycle from the upcoming expiry
            base = ptime.local_date(expires_at if expires_at > now else now)
            return None, CYCLE_DAYS, ptime.end_of_day(base + dt.timedelta(days=CYCLE_DAYS)), "cycle"

        def charge(stype: str, how: str, days: int) -> tuple[Money, int, int]:
            """→ (price as Money, price in minor units, price in credits)."""
            price = price_cache[stype]
            if how == "activation":
                money, credits = price.activation, price.activation_credits
            elif how == "prorate":
                money, credits = prorate(price.per_30_days, days), prorate(price.credits_per_30_days, days)
            else:
                money, credits = price.per_30_days, price.credits_per_30_days
            return Money(money, currency), money, credits

        timings: dict = {}
        charges: dict = {}
        zero = Money(0, currency)
        for item_id, project_id, stype, name, email, company, expires_at in rows:
            project = visible[project_id]
            reason = standing.get(project_id, _UNSEEN)
            if reason is _UNSEEN:
                reason = standing[project_id] = _refusal(may_pay, project)
            if reason is None:
                timed = timings.get(expires_at)
                if timed is None:
                    timed = timings[expires_at] = timing(expires_at)
                reason, days, next_expiry, how = timed
            if reason is None:
                key = (stype, how, days)
                priced = charges.get(key)
                if priced is None:
                    priced = charges[key] = charge(stype, how, days)
                price_money, money, credits = priced
                if item_id in first_free:
                    price_money, money, credits = zero, 0, 0
                lines.append(QuoteLine(item_id, project_id, project.name, company, stype, labels[stype], name, email,
                                       price_money, credits, days, expires_at, next_expiry, None))
                total += money
                total_credits += credits
                counts[stype] = counts.get(stype, 0) + 1
            else:
                excluded.append(QuoteLine(item_id, project_id, project.name, company, stype, labels[stype], name,
                                          email, zero, 0, 0, expires_at, None, reason))
        if not lines:
            # Permission before emptiness: when the payer may pay for none of the sites it picked
            # (with items or without), that refusal is the answer, not "nothing to pay for".
            for project_id, project in visible.items():
                if project_id not in standing:
                    standing[project_id] = _refusal(may_pay, project)
            if standing and all(standing.values()):
                raise PermissionDenied(next(r for r in standing.values() if r))
        return Quote(purpose, ptype, mode, to_date, cycles, until, tuple(lines), tuple(excluded),
                     Money(total, currency), total_credits, counts)

    def _first_free_items(self, ptype: ProjectType, visible: dict[int, Project]) -> set[int]:
        free_services = [s for (t, s) in FREE_FIRST if t == ptype]
        if not visible or not free_services:
            return set()
        query = (Item.select(fn.MIN(Item.id)).where(Item.project.in_(list(visible)) &
                 Item.service_type.in_(free_services)).group_by(Item.project, Item.service_type))
        return {r[0] for r in query.tuples()}


_UNSEEN = object()


def _refusal(may_pay, project: Project) -> str | None:
    try:
        may_pay(project)
    except PermissionDenied as exc:
        return exc.message
    return None

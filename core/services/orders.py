"""R8 orders: one payer, one purpose, items of one project type; a 17-digit transaction number;
a payment window; SmartPlus's states. R9 terms and R10 billing information are required to
place one. Prices come from a fresh quote, never from the caller."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db import bulk
from ..db.database import locked
from ..db.models import Account, AuditLog, BillingInfo, Item, Order, OrderItem, PaymentAttempt, Project
from ..domain import AttemptState, OrderState, PayIn, Purpose, RenewMode
from ..errors import InvalidInput, NotEligible, NotVisible, OrderStateError, PermissionDenied
from ..money import CREDIT
from ..views import Actor, BillingInfoView, OrderView, Quote
from .base import Service
from .convert import order_view
from .payment_preview import CREDIT_BUYERS, credit_purchase_preview, require_something_to_pay
from .quotes import Selection

if TYPE_CHECKING:
    from ..config import Settings
    from ..ids import IdSource
    from ..payments.contexts import PaymentContexts
    from ..payments.eligibility import PaymentMethods
    from ..pricing import PriceList
    from .audit import AuditService
    from .authz import Authorizer
    from .billing import BillingService
    from .coupons import CouponService
    from .quotes import QuoteService

# The columns create_for_plans writes, in its rows' order.
_PLAN_ORDER = [Order.txn, Order.payer, Order.purpose, Order.unit, Order.total, Order.state, Order.created_at,
               Order.deadline_at, Order.terms_accepted_at, Order.billing_json, Order.project_type, Order.renew_mode,
               Order.auto_cycles, Order.auto_until]
_PLAN_LINE = [OrderItem.order, OrderItem.item, OrderItem.project, OrderItem.service_type, OrderItem.days,
              OrderItem.price, OrderItem.expires_before, OrderItem.expires_after]
PAY_IN = tuple(p.value for p in PayIn)


class OrderService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, settings: "Settings", ids: "IdSource",
                 price_list: "PriceList", audit: "AuditService", authz: "Authorizer", billing: "BillingService",
                 coupons: "CouponService", quotes: "QuoteService", contexts: "PaymentContexts",
                 methods: "PaymentMethods"):
        super().__init__(db, clock)
        self.settings, self.ids, self.price_list = settings, ids, price_list
        self.audit, self.authz, self.billing, self.coupons, self.quotes = audit, authz, billing, coupons, quotes
        self.contexts, self.methods = contexts, methods

    def create(self, actor: Actor, purpose: str, selection: Selection, *, accept_terms: bool,
               pay_in: PayIn | str = PayIn.MONEY, renew_mode: str | None = None, renew_to=None,
               auto_cycles=None, auto_until=None) -> OrderView:
        """Place an order for the selected items. The quote is recomputed here. May this payer
        pay at all (R1) is asked first: it is the refusal that matters most."""
        self.authz.require_may_pay(actor)
        if pay_in not in PAY_IN:
            raise InvalidInput("pay-in", f"'{pay_in}' is not one of: {', '.join(PAY_IN)}")
        self._require_terms(accept_terms)
        billing = self.billing.require(actor)
        quote = self.quotes.quote(actor, purpose, selection, renew_mode, renew_to, auto_cycles, auto_until,
                                  pay_in=pay_in)
        require_something_to_pay(quote)
        unit, total = ((CREDIT, quote.total_credits) if pay_in == PayIn.CREDIT
                       else (quote.total.currency, quote.total.amount))
        if pay_in == PayIn.CREDIT:
            self._require_credit_eligible(actor, quote)
        with self.write():
            order = self._insert(actor, quote.purpose.value, unit, total, billing, quote=quote)
            OrderItem.insert_many([
                dict(order=order.id, item=line.item_id, project=line.project_id, service_type=line.service_type,
                     days=line.days, price=line.credits if pay_in == PayIn.CREDIT else line.price.amount,
                     expires_before=line.expires_at, expires_after=line.next_expires_at)
                for line in quote.lines]).execute()
            self.audit.record(actor, "order.create", order.txn, purpose=order.purpose, total=total, unit=unit,
                                   items=len(quote.lines))
        return self.get(actor, order.txn)

    def create_credit_purchase(self, actor: Actor, quantity, *, accept_terms: bool,
                               for_login: str | None = None) -> OrderView:
        """A distributor buys credits; paid with Stripe, PayPal or coupons. R15: `for_login` (an
        account in the buyer's downline — the installer chosen in the flow) is where the credits
        land once paid: the buyer's ledger records the purchase and an assign_out, the other's
        the assign_in, all naming the order."""
        self.authz.require_role(actor, CREDIT_BUYERS, "Purchase credits")
        prices = self.price_list
        purchase = credit_purchase_preview(prices.money(prices.price_per_credit), quantity)
        quantity_ = purchase.quantity
        self._require_terms(accept_terms)
        billing = self.billing.require(actor)
        with self.write():
            target = None
            if for_login and for_login.strip() and for_login.strip() != actor.login:
                target = self.authz.downline_account(actor, for_login.strip(), "for")
            order = self._insert(actor, Purpose.CREDIT_PURCHASE.value, purchase.total.currency,
                                 purchase.total.amount, billing, credit_quantity=quantity_)
            if target is not None:
                Order.update(credit_for=target.id).where(Order.id == order.id).execute()
            OrderItem.create(order=order, service_type="credit", days=0, price=order.total)
            self.audit.record(actor, "order.create", order.txn, purpose=order.purpose, credits=quantity_,
                              **({"credit_for": target.login} if target is not None else {}))
        return self.get(actor, order.txn)

    def create_for_plans(self, entries: list[tuple]) -> list[Order]:
        """The orders of auto-renew cycles (R7), placed by the runner inside its transaction, one
        per (plan, payer, quote lines, total), in bulk. The payer accepted the terms when setting
        up auto-renew (the plan's source order); billing information is the payer's current one,
        else the source order's. Returns the orders in the entries' order."""
        if not entries:
            return []
        now = self.now()
        deadline = now + dt.timedelta(minutes=self.settings.order_window_minutes)
        sources = {o.id: o for o in Order.select(Order.id, Order.terms_accepted_at, Order.billing_json)
                   .where(Order.id.in_(list({plan.source_order_id for plan, *_ in entries})))}
        billing = {row.account_id: json.dumps(dataclasses.asdict(BillingInfoView(
                       row.company, row.attn, row.address, row.tel, row.fax)))
                   for row in BillingInfo.select().where(BillingInfo.account.in_(list({p.id for _, p, *_ in entries})))}
        txns = self._fresh_txns(len(entries))
        # One executemany per table (core/db/bulk.py): peewee's insert_many builds SQL per value.
        rows = [(txn, payer.id, Purpose.RENEWAL.value, total.currency, total.amount, OrderState.PROCESSING.value, now,
                 deadline, sources[plan.source_order_id].terms_accepted_at,
                 billing.get(payer.id, sources[plan.source_order_id].billing_json), plan.project_type,
                 RenewMode.AUTO.value, plan.cycles_limit, plan.until)
                for txn, (plan, payer, lines, total) in zip(txns, entries)]
        bulk.insert_many(Order, _PLAN_ORDER, rows)
        # Only the new ids are read back: every other column is in hand.
        ids = dict(Order.select(Order.txn, Order.id).where(Order.txn.in_(txns)).tuples())
        orders = {row[0]: Order(id=ids[row[0]], **{f.name: v for f, v in zip(_PLAN_ORDER, row)}) for row in rows}
        bulk.insert_many(OrderItem, _PLAN_LINE, [
            (orders[txn].id, line.item_id, line.project_id, line.service_type, line.days, line.price.amount,
             line.expires_at, line.next_expires_at)
            for txn, (_, _, lines, _) in zip(txns, entries) for line in lines])
        bulk.insert_many(AuditLog, [AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.target, AuditLog.detail], [
            (now, None, "order.create", txn, json.dumps(
                dict(purpose=Purpose.RENEWAL.value, total=total.amount, unit=total.currency, items=len(lines),
                     plan=plan.id), default=str, sort_keys=True))
            for txn, (plan, _, lines, total) in zip(txns, entries)])
        return [orders[txn] for txn in txns]

    def _fresh_txns(self, n: int) -> list[str]:
        """`n` transaction numbers no order has yet (17 random digits: a clash is very rare)."""
        for _ in range(5):
            txns = list(dict.fromkeys(self.ids.txn() for _ in range(n)))
            taken = {t for (t,) in Order.select(Order.txn).where(Order.txn.in_(txns)).tuples()}
            if len(txns) == n and not taken:
                return txns
        raise OrderStateError("could not allocate transaction numbers; try again")

    def _require_terms(self, accept_terms: bool) -> None:
        if accept_terms is not True:
            raise InvalidInput("Terms and Conditions", "accept the Terms and Conditions to place the order")

    def _require_credit_eligible(self, actor: Actor, quote: Quote) -> None:
        projects = {line.project_id for line in quote.lines}
        context = self.contexts.build(actor, quote.purpose, quote.project_type, projects, quote.renew_mode,
                                      money_total=None, credit_total=quote.total_credits)
        option = self.methods.evaluate(self.methods.credit(), context)
        if not option.eligible:
            raise NotEligible(option.reason)

    def _insert(self, actor: Actor, purpose: str, unit: str, total: int, billing, quote: Quote | None = None,
                credit_quantity: int | None = None) -> Order:
        now = self.now()
        fields = dict(payer=actor.id, purpose=purpose, unit=unit, total=total, state=OrderState.PROCESSING.value,
                      created_at=now, deadline_at=now + dt.timedelta(minutes=self.settings.order_window_minutes),
                      terms_accepted_at=now, billing_json=json.dumps(dataclasses.asdict(billing)),
                      credit_quantity=credit_quantity)
        if quote is not None:
            fields.update(project_type=quote.project_type.value,
                          renew_mode=quote.renew_mode.value if quote.renew_mode else None,
                          renew_to=quote.renew_to, auto_cycles=quote.auto_cycles, auto_until=quote.auto_until)
        for _ in range(5):
            txn = self.ids.txn()
            if not Order.select().where(Order.txn == txn).exists():
                return Order.create(txn=txn, **fields)
        raise OrderStateError("could not allocate a transaction number; try again")

    # -- reading ----------------------------------------------------------------------------------
    def row(self, actor: Actor, txn: str, for_update: bool = False) -> Order:
        query = Order.select().where(Order.txn == (txn or "").strip())
        order = (locked(query) if for_update else query).first()
        # A missing order and another party's get the same answer (nothing learned about others).
        if order is None or (order.payer_id != actor.id and not (
                actor.role.is_distributor and self.authz.in_downline(actor.id, order.payer_id))):
            raise NotVisible(f"order: no order {txn} that you can see")
        return order

    def get(self, actor: Actor, txn: str) -> OrderView:
        order = self.row(actor, txn)
        return self.view(order)

    def view(self, order: Order) -> OrderView:
        return self.views([order])[order.id]

    def views(self, orders: list[Order]) -> dict[int, OrderView]:
        """Full views (lines, attempts) of several orders, by order id, in four queries."""
        ids = [o.id for o in orders]
        lines: dict[int, list[OrderItem]] = {}
        for line in (OrderItem.select(OrderItem, Item).join(Item, pw.JOIN.LEFT_OUTER, on=(OrderItem.item == Item.id))
                     .where(OrderItem.order.in_(ids)).order_by(OrderItem.id)):
            lines.setdefault(line.order_id, []).append(line)
        project_ids = {line.project_id for rows in lines.values() for line in rows if line.project_id}
        projects = {p.id: p for p in Project.select().where(Project.id.in_(list(project_ids) or [-1]))}
        attempts: dict[int, list[PaymentAttempt]] = {}
        for attempt in PaymentAttempt.select().where(PaymentAttempt.order.in_(ids)).order_by(PaymentAttempt.id):
            attempts.setdefault(attempt.order_id, []).append(attempt)
        logins = dict(Account.select(Account.id, Account.login).where(Account.id.in_(
            list({o.payer_id for o in orders} | {o.credit_for_id for o in orders if o.credit_for_id}))).tuples())
        views = {}
        for order in orders:
            rows = lines.get(order.id, [])
            sites = {line.item_id: (projects[line.project_id].name, projects[line.project_id].type)
                     for line in rows if line.project_id}
            views[order.id] = order_view(order, logins.get(order.payer_id), rows, attempts.get(order.id, []), sites,
                                         logins.get(order.credit_for_id))
        return views

    def list(self, actor: Actor, state: str | None = None, limit: int | None = None) -> list[OrderView]:
        """The actor's own orders, newest first (lines and attempts left out: see get())."""
        self.expire_overdue()
        query = (Order.select(Order, Account.id, Account.login).join(Account, on=(Order.payer == Account.id))
                 .where(Order.payer == actor.id).order_by(Order.created_at.desc(), Order.id.desc()))
        if state:
            query = query.where(Order.state == validate.choice("state", state, OrderState).value)
        if limit:
            query = query.limit(limit)
        return [order_view(o, o.payer.login) for o in query]

    # -- changing state -----------------------------------------------------------------------
    def cancel(self, actor: Actor, txn: str) -> OrderView:
        with self.write():
            order = self.row(actor, txn, for_update=True)
            if order.payer_id != actor.id:
                raise PermissionDenied(f"order {txn}: only the payer may cancel it")
            if order.state != OrderState.PROCESSING:
                raise OrderStateError(f"order {txn} is {OrderState(order.state).label}; only a processing "
                                      f"order can be cancelled")
            if self.in_flight(order):
                raise OrderStateError(f"order {txn} has a payment in progress; wait for it to settle")
            self.finish(order, OrderState.CANCELLED, "cancelled by the payer")
            self.audit.record(actor, "order.cancel", txn)
        return self.get(actor, txn)

    def in_flight(self, order: Order) -> bool:
        """M3: an attempt that is processing or unknown blocks new attempts and cancelling."""
        return PaymentAttempt.select().where(
            (PaymentAttempt.order == order.id) &
            PaymentAttempt.state.in_([AttemptState.PROCESSING.value, AttemptState.UNKNOWN.value])).exists()

    def finish(self, order: Order, state: OrderState, reason: str | None = None) -> None:
        """End an unpaid order: coupons it had taken are given back by compensating entries."""
        self.coupons.restore_for_order(order.id)
        order.state = state.value
        order.finished_at = self.now()
        order.failure_reason = reason
        order.save(only=[Order.state, Order.finished_at, Order.failure_reason])  # the caller holds the lock

    def expire_overdue(self) -> int:
        """Time out processing orders past their window with nothing in flight (R8)."""
        now = self.now()
        candidates = [o.id for o in Order.select(Order.id).where(
            (Order.state == OrderState.PROCESSING.value) & (Order.deadline_at < now))]
        expired = 0
        for order_id in candidates:
            with self.write():
                order = locked(Order.select().where(Order.id == order_id)).first()
                if order.state == OrderState.PROCESSING and order.deadline_at < now and not self.in_flight(order):
                    self.finish(order, OrderState.TIMED_OUT, "payment window passed")
                    expired += 1
        return expired

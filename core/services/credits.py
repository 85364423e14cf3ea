"""R11: the prepaid credit ledger. Append-only (M4): every change is a new entry carrying actor,
counterparty, order and the balance after it; the balance is the newest entry's balance_after
and always equals the sum of the account's entries. A balance never goes negative."""
from __future__ import annotations

import peewee as pw

from .. import validate
from ..db.database import locked
from ..db.models import Account, CreditEntry, Order
from ..domain import LedgerKind, Role
from ..errors import InsufficientCredit, InvalidInput
from ..views import Actor, LedgerEntryView
from .base import Service

MAX_CREDITS = 10**9


class CreditService(Service):
    def balance(self, account_id: int) -> int:
        return (CreditEntry.select(CreditEntry.balance_after).where(CreditEntry.account == account_id)
                .order_by(CreditEntry.id.desc()).limit(1).scalar()) or 0

    def append(self, account_id: int, kind: LedgerKind, amount: int, actor_id: int | None = None,
               counterparty_id: int | None = None, order_id: int | None = None,
               reference: str | None = None) -> int:
        """Add one entry inside the caller's write transaction; returns the balance after.
        The account row is locked first (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
        transaction already holds the write lock) so two writers cannot read the same balance."""
        if self.db.transaction_depth() == 0:
            raise RuntimeError("credit ledger writes must run inside a write transaction")
        locked(Account.select(Account.id).where(Account.id == account_id)).execute()
        after = self.balance(account_id) + amount
        if after < 0:
            raise InsufficientCredit(f"Insufficient credit: {self.balance(account_id)} available, "
                                     f"{-amount} needed")
        CreditEntry.create(account=account_id, kind=kind.value, amount=amount, balance_after=after,
                           actor=actor_id, counterparty=counterparty_id, order=order_id,
                           reference=reference, at=self.now())
        return after

    # -- operations -------------------------------------------------------------------------
    def add_offline(self, to: str, amount, reference: str) -> int:
        """Admin: record credits sold outside smartpay (a `purchase` entry)."""
        amount_ = validate.positive_int("amount", amount, MAX_CREDITS)
        reference_ = validate.text("reference", reference, max_len=255)
        with self.write():
            row = self.core.authz.account_row(to, "to")
            if row.role == Role.PLATFORM:
                raise InvalidInput("to", "the platform account holds no credits")
            after = self.append(row.id, LedgerKind.PURCHASE, amount_, reference=reference_)
            self.core.audit.record(None, "credits.add_offline", row.login, amount=amount_, reference=reference_)
        return after

    def assign(self, actor: Actor, to: str, amount) -> int:
        """Hand credits down the actor's own downline: an assign_out/assign_in pair in one
        transaction. Returns the actor's balance after."""
        self.core.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "Assign credits")
        amount_ = validate.positive_int("amount", amount, MAX_CREDITS)
        with self.write():
            target = self.core.authz.account_row(to, "user")
            self.core.authz.require_downline(actor, target, "user")
            # Lock both accounts in id order so two opposite assignments cannot deadlock.
            for account_id in sorted((actor.id, target.id)):
                locked(Account.select(Account.id).where(Account.id == account_id)).execute()
            after = self.append(actor.id, LedgerKind.ASSIGN_OUT, -amount_, actor.id, target.id)
            self.append(target.id, LedgerKind.ASSIGN_IN, amount_, actor.id, actor.id)
            self.core.audit.record(actor, "credits.assign", target.login, amount=amount_)
        return after

    def consume(self, payer_id: int, amount: int, order_id: int, actor_id: int | None = None) -> int:
        return self.append(payer_id, LedgerKind.CONSUME, -amount, actor_id or payer_id, order_id=order_id)

    def refund(self, account_id: int, amount: int, order_id: int | None, reference: str,
               actor_id: int | None = None) -> int:
        """A compensating entry: give back credits an order consumed (M4: never edit the consume)."""
        if amount <= 0:
            raise InvalidInput("amount", "must be greater than 0")
        return self.append(account_id, LedgerKind.REFUND, amount, actor_id, order_id=order_id, reference=reference)

    # -- reading ------------------------------------------------------------------------------
    def my_balance(self, actor: Actor) -> int:
        return self.balance(actor.id)

    def log(self, actor: Actor, kind: str | None = None, limit: int | None = None) -> list[LedgerEntryView]:
        """The actor's own ledger, newest first."""
        Actor_ = Account.alias()
        Counter = Account.alias()
        query = (CreditEntry.select(CreditEntry, Actor_.id, Actor_.login, Counter.id, Counter.login, Order.id, Order.txn)
                 .join(Actor_, pw.JOIN.LEFT_OUTER, on=(CreditEntry.actor == Actor_.id))
                 .switch(CreditEntry).join(Counter, pw.JOIN.LEFT_OUTER, on=(CreditEntry.counterparty == Counter.id))
                 .switch(CreditEntry).join(Order, pw.JOIN.LEFT_OUTER, on=(CreditEntry.order == Order.id))
                 .where(CreditEntry.account == actor.id).order_by(CreditEntry.id.desc()))
        if kind:
            query = query.where(CreditEntry.kind == validate.choice("type", kind, LedgerKind).value)
        if limit:
            query = query.limit(limit)
        return [LedgerEntryView(e.id, e.at, e.kind, e.amount, e.balance_after,
                                e.actor.login if e.actor_id else None,
                                e.counterparty.login if e.counterparty_id else None,
                                e.order.txn if e.order_id else None, e.reference) for e in query]

    def ledger_sum(self, account_id: int) -> int:
        """Sum of all entries: equals balance() by construction; tests and audits check it."""
        return CreditEntry.select(pw.fn.COALESCE(pw.fn.SUM(CreditEntry.amount), 0)).where(
            CreditEntry.account == account_id).scalar()

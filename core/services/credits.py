"""R11: the prepaid credit ledger. Append-only (M4): every change is a new entry carrying actor,
counterparty, order and the balance after it; the balance is the newest entry's balance_after
and always equals the sum of the account's entries. A balance never goes negative."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db.database import locked
from ..db.models import Account, CreditEntry, Order
from ..domain import LedgerKind, Role
from ..errors import InsufficientCredit, InvalidInput
from ..views import Actor, CsvExport, LedgerEntryView
from .base import Service

if TYPE_CHECKING:
    from ..platform_time import PlatformTime
    from .audit import AuditService
    from .authz import Authorizer

MAX_CREDITS = 10**9
# What the Credit Logs screen and the CSV call each entry type (the stored values stay the keys).
KIND_LABELS = {
    LedgerKind.PURCHASE: "Purchase",
    LedgerKind.ASSIGN_OUT: "Assigned Out",
    LedgerKind.ASSIGN_IN: "Assigned In",
    LedgerKind.CONSUME: "Consumed",
    LedgerKind.REFUND: "Refund",
}
CSV_COLUMNS = ("Time", "Type", "Amount", "Balance After", "By", "Counterparty", "Order", "Reference")


def kind_label(kind: str) -> str:
    try:
        return KIND_LABELS[LedgerKind(kind)]
    except ValueError:
        return kind


def filter_ledger(entries: list[LedgerEntryView], kind: str | None = None, text: str = "",
                  since: dt.date | None = None, until: dt.date | None = None,
                  ptime=None, haystacks: list[str] | None = None) -> list[LedgerEntryView]:
    """The entries matching a type, a free text (login, order number, reference, type label — any
    part, case-insensitive) and a platform-time date range. Pure and in memory: the screen filters
    a loaded ledger on every keystroke without going back to the database. `haystacks`
    (ledger_haystacks(entries), computed once per load) spares rebuilding the searched text."""
    kind_ = validate.choice("type", kind, LedgerKind).value if kind else None
    needle = (text or "").strip().casefold()
    if (since or until) and ptime is None:
        raise ValueError("a date range needs the platform time")
    if haystacks is None and needle:
        haystacks = ledger_haystacks(entries)
    out = []
    for i, e in enumerate(entries):
        if kind_ and e.kind != kind_:
            continue
        if needle and needle not in haystacks[i]:
            continue
        if since or until:
            day = ptime.local_date(e.at)
            if (since and day < since) or (until and day > until):
                continue
        out.append(e)
    return out


def ledger_haystacks(entries: list[LedgerEntryView]) -> list[str]:
    """What the text filter searches in, per entry (casefolded)."""
    return [" ".join(filter(None, (kind_label(e.kind), e.actor_login, e.counterparty_login, e.order_txn,
                                   e.reference, str(e.amount)))).casefold() for e in entries]


def _cell(text: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula (references are typed by people)."""
    text = text or ""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def balance_series(entries: list[LedgerEntryView], points: int = 120) -> list[int]:
    """Balance after each entry, oldest first, at most the last `points` of them (the sparkline).
    A whole ledger starts from the 0 every account opens with, so even one entry draws a rise."""
    newest_first = entries[:points]
    series = [e.balance_after for e in reversed(newest_first)]
    return ([0] + series) if len(entries) <= points else series


class CreditService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 audit: "AuditService", authz: "Authorizer", ptime: "PlatformTime"):
        super().__init__(db, clock)
        self.audit = audit
        self.authz = authz
        self.ptime = ptime

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
            row = self.authz.account_row(to, "to")
            if row.role == Role.PLATFORM:
                raise InvalidInput("to", "the platform account holds no credits")
            after = self.append(row.id, LedgerKind.PURCHASE, amount_, reference=reference_)
            self.audit.record(None, "credits.add_offline", row.login, amount=amount_, reference=reference_)
        return after

    def check_assign(self, actor: Actor, to: str, amount) -> tuple[str, int]:
        """Everything assign() checks, without writing: who may assign, the amount, the user in
        the actor's downline and the balance. Returns (login, amount) for the confirmation step."""
        self.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "Assign credits")
        form = validate.Form()  # the form's labels: Amount, User — both problems at once
        amount_ = form.check(validate.positive_int, "Amount", amount, MAX_CREDITS)
        if amount_ is not None:
            available = self.balance(actor.id)
            if amount_ > available:
                form.add("Amount", f"{amount_:,} is more than your available credit ({available:,})")
        login = (to or "").strip()
        if not login:
            form.add("User", "choose a user from your downline")
        form.done()
        # Someone else's account is refused like a missing one (NotVisible), after the fields.
        target = self.authz.downline_account(actor, login, "User")
        return target.login, amount_

    def assign(self, actor: Actor, to: str, amount) -> int:
        """Hand credits down the actor's own downline: an assign_out/assign_in pair in one
        transaction. Returns the actor's balance after."""
        self.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "Assign credits")
        amount_ = validate.positive_int("Amount", amount, MAX_CREDITS)
        with self.write():
            target = self.authz.downline_account(actor, (to or "").strip(), "User")
            after = self.hand_down(actor.id, target.id, amount_)
            self.audit.record(actor, "credits.assign", target.login, amount=amount_)
        return after

    def hand_down(self, from_id: int, to_id: int, amount: int, order_id: int | None = None,
                  reference: str | None = None) -> int:
        """The assign_out/assign_in pair (R11), inside the caller's write transaction, by `from_id`;
        returns its balance after. The caller has checked that `to_id` is in its downline."""
        # Lock both accounts in id order so two opposite assignments cannot deadlock.
        for account_id in sorted((from_id, to_id)):
            locked(Account.select(Account.id).where(Account.id == account_id)).execute()
        after = self.append(from_id, LedgerKind.ASSIGN_OUT, -amount, from_id, to_id, order_id, reference)
        self.append(to_id, LedgerKind.ASSIGN_IN, amount, from_id, from_id, order_id, reference)
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
        """The actor's own ledger, newest first, in one query (with who acted, the counterparty
        and the order's transaction number)."""
        Actor_ = Account.alias()
        Counter = Account.alias()
        query = (CreditEntry.select(CreditEntry.id, CreditEntry.at, CreditEntry.kind, CreditEntry.amount,
                                    CreditEntry.balance_after, Actor_.login, Counter.login, Order.txn,
                                    CreditEntry.reference)
                 .join(Actor_, pw.JOIN.LEFT_OUTER, on=(CreditEntry.actor == Actor_.id))
                 .switch(CreditEntry).join(Counter, pw.JOIN.LEFT_OUTER, on=(CreditEntry.counterparty == Counter.id))
                 .switch(CreditEntry).join(Order, pw.JOIN.LEFT_OUTER, on=(CreditEntry.order == Order.id))
                 .where(CreditEntry.account == actor.id).order_by(CreditEntry.id.desc()))
        if kind:
            query = query.where(CreditEntry.kind == validate.choice("type", kind, LedgerKind).value)
        if limit:
            query = query.limit(limit)
        # Tuples, not model instances: a 10,000-entry ledger loads in one pass without building
        # three model objects per row (peewee still applies each field's converter).
        return [LedgerEntryView(*row) for row in query.tuples()]

    def export_csv(self, actor: Actor, path: str | Path, kind: str | None = None, text: str = "",
                   overwrite: bool = False) -> CsvExport:
        """Write the actor's own ledger, filtered as on screen (filter_ledger), to a CSV file.
        An existing file is never replaced unless `overwrite` says so (the screen asks first)."""
        raw = str(path or "").strip()
        if not raw:
            raise InvalidInput("path", "enter a file name for the CSV")
        target = Path(raw).expanduser()
        if target.is_dir():
            raise InvalidInput("path", f"{target} is a folder; add a file name")
        if not target.parent.is_dir():
            raise InvalidInput("path", f"folder {target.parent} does not exist")
        if target.exists() and not overwrite:
            raise InvalidInput("path", f"{target} already exists; choose another name or confirm replacing it")
        rows = filter_ledger(self.log(actor), kind=kind, text=text)
        try:
            with open(target, "w" if overwrite else "x", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(CSV_COLUMNS)
                for e in rows:
                    writer.writerow((self.ptime.format(e.at), kind_label(e.kind), e.amount, e.balance_after,
                                     _cell(e.actor_login), _cell(e.counterparty_login), e.order_txn or "",
                                     _cell(e.reference)))
        except FileExistsError:
            raise InvalidInput("path", f"{target} already exists; choose another name or confirm replacing it") from None
        except OSError as exc:
            raise InvalidInput("path", f"cannot write {target}: {exc.strerror or exc}") from None
        return CsvExport(str(target.resolve()), len(rows))

    def ledger_sum(self, account_id: int) -> int:
        """Sum of all entries: equals balance() by construction; tests and audits check it."""
        return CreditEntry.select(pw.fn.COALESCE(pw.fn.SUM(CreditEntry.amount), 0)).where(
            CreditEntry.account == account_id).scalar()

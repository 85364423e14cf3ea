"""R4 coupons: prepaid vouchers sold by the platform. Each coupon has an append-only ledger
(issue, redeem, restore); its remainder is the newest entry's balance_after."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db.database import locked
from ..db.models import Account, Coupon, CouponEntry
from ..errors import InsufficientCoupon, InvalidInput, NotEligible
from ..money import Money, check_currency
from ..views import Actor, CouponView
from .base import Service

if TYPE_CHECKING:
    from ..ids import IdSource
    from ..platform_time import PlatformTime
    from .audit import AuditService
    from .authz import Authorizer

class CouponService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 audit: "AuditService", authz: "Authorizer", ids: "IdSource", ptime: "PlatformTime"):
        super().__init__(db, clock)
        self.audit = audit
        self.authz = authz
        self.ids = ids
        self.ptime = ptime

    def issue(self, owner: str, value: str, currency: str, expires=None) -> CouponView:
        """Platform: sell a coupon to an account."""
        form = validate.Form()  # every bad field at once: Value, Currency, Expires
        currency_ = form.check(check_currency, currency, "Currency")
        face = form.check(Money.parse, value, currency_, "Value") if currency_ else None
        if face is not None and face.amount <= 0:
            form.add("Value", "must be greater than 0")
        expires_at = (form.check(validate.instant, "Expires", expires, self.ptime.tz, end_of_day=True)
                      if expires not in (None, "") else None)
        if expires_at is not None and expires_at <= self.now():
            form.add("Expires", "is already in the past")
        form.done()
        with self.write():
            row = self.authz.account_row(owner, "owner")
            coupon = Coupon.create(code=self.ids.coupon_code(), owner=row, face_value=face.amount, currency=currency_,
                                   expires_at=expires_at, issued_at=self.now())
            CouponEntry.create(coupon=coupon, kind="issue", amount=face.amount, balance_after=face.amount,
                               at=self.now())
            self.audit.record(None, "coupon.issue", coupon.code, owner=row.login, value=face.plain(),
                                   currency=currency_)
        return CouponView(coupon.code, row.login, face, face, expires_at, coupon.issued_at)

    def remaining(self, coupon_id: int) -> int:
        return (CouponEntry.select(CouponEntry.balance_after).where(CouponEntry.coupon == coupon_id)
                .order_by(CouponEntry.id.desc()).limit(1).scalar()) or 0

    def for_owner(self, owner_id: int, usable_only: bool = False, currency: str | None = None) -> list[CouponView]:
        latest = (CouponEntry.select(CouponEntry.coupon, pw.fn.MAX(CouponEntry.id).alias("last"))
                  .group_by(CouponEntry.coupon).alias("latest"))
        Last = CouponEntry.alias()
        query = (Coupon.select(Coupon, Account.login, Last.balance_after)
                 .join(Account, on=(Coupon.owner == Account.id))
                 .switch(Coupon).join(latest, on=(latest.c.coupon_id == Coupon.id))
                 .join(Last, on=(Last.id == latest.c.last))
                 .where(Coupon.owner == owner_id).order_by(Coupon.expires_at.asc(nulls="LAST"), Coupon.id))
        if currency:
            query = query.where(Coupon.currency == currency)
        now = self.now()
        out = []
        for c in query.objects():
            view = CouponView(c.code, c.login, Money(c.face_value, c.currency), Money(c.balance_after, c.currency),
                              c.expires_at, c.issued_at)
            if not usable_only or view.usable_at(now):
                out.append(view)
        return out

    def mine(self, actor: Actor, usable_only: bool = False) -> list[CouponView]:
        return self.for_owner(actor.id, usable_only)

    def redeem(self, owner_id: int, code: str, up_to: Money, order_id: int) -> Money:
        """Inside the payment transaction: take at most `up_to` from the owner's coupon."""
        coupon = locked(Coupon.select().where(Coupon.code == (code or "").strip().upper())).first()
        if coupon is None or coupon.owner_id != owner_id:
            raise NotEligible(f"coupon: '{code}' is not one of your coupons")
        if coupon.currency != up_to.currency:
            raise NotEligible(f"coupon: {coupon.code} is in {coupon.currency}, the order is in {up_to.currency}")
        if coupon.expires_at is not None and coupon.expires_at <= self.now():
            raise NotEligible(f"coupon: {coupon.code} expired on {self.ptime.format(coupon.expires_at)}")
        left = self.remaining(coupon.id)
        if left <= 0:
            raise InsufficientCoupon(f"coupon: {coupon.code} has nothing left")
        taken = min(left, up_to.amount)
        CouponEntry.create(coupon=coupon, kind="redeem", amount=-taken, balance_after=left - taken,
                           order=order_id, at=self.now())
        return Money(taken, coupon.currency)

    def restore_for_order(self, order_id: int) -> int:
        """Compensate every redemption of an order that did not complete; returns the amount
        given back. Runs inside the caller's write transaction."""
        restored = 0
        net: dict[int, int] = {}
        for e in CouponEntry.select().where(CouponEntry.order == order_id).order_by(CouponEntry.id):
            net[e.coupon_id] = net.get(e.coupon_id, 0) + e.amount
        for coupon_id, amount in sorted(net.items()):   # coupons locked in id order, as redeem locks one
            if amount < 0:
                # Locked as redeem() locks it: a redemption of the same coupon at the same moment
                # (PostgreSQL) waits, so both chain their balance_after from the same ledger.
                locked(Coupon.select().where(Coupon.id == coupon_id)).first()
                left = self.remaining(coupon_id)
                CouponEntry.create(coupon=coupon_id, kind="restore", amount=-amount, balance_after=left - amount,
                                   order=order_id, at=self.now())
                restored += -amount
        return restored

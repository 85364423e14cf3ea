"""R10: billing information — required before paying, remembered per account, validated."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db.models import BillingInfo
from ..errors import InvalidInput
from ..views import Actor, BillingInfoView
from .base import Service

if TYPE_CHECKING:
    from .audit import AuditService

_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,32}$")


def _phone(field: str, value: str, required: bool) -> str:
    number = validate.text(field, value, max_len=32, required=required)
    if number and (not _PHONE.match(number) or sum(c.isdigit() for c in number) < 5):
        kind = "fax" if field == "Fax" else "phone"
        raise InvalidInput(field, f"{validate.quoted(number)} is not a {kind} number (at least 5 digits; digits, spaces, "
                                  f"+ ( ) - only)")
    return number


# The form's fields in screen order, each with its check (names as on screen: errors carry them).
FIELD_CHECKS = (
    ("Company/Family", lambda v: validate.text("Company/Family", v)),
    ("ATTN", lambda v: validate.text("ATTN", v)),
    ("Address", lambda v: validate.text("Address", v, max_len=256)),
    ("TEL", lambda v: _phone("TEL", v, required=True)),
    ("Fax", lambda v: _phone("Fax", v, required=False)),
)


def _checked(form: "validate.Form", company: str, attn: str, address: str, tel: str, fax: str) -> list:
    return [form.check(check, value) for (_, check), value in zip(FIELD_CHECKS, (company, attn, address, tel, fax))]


def billing_problems(company: str, attn: str, address: str, tel: str, fax: str = "") -> dict[str, str]:
    """Every bad field at once (field → problem), so a form can mark them all in one go."""
    form = validate.Form()
    _checked(form, company, attn, address, tel, fax)
    return form.problems


def check_billing(company: str, attn: str, address: str, tel: str, fax: str = "") -> BillingInfoView:
    """Validate all fields; raises InvalidInput naming every bad one (InvalidInput.problems), as on screen."""
    form = validate.Form()
    values = _checked(form, company, attn, address, tel, fax)
    form.done()
    return BillingInfoView(*values)


class BillingService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, audit: "AuditService"):
        super().__init__(db, clock)
        self.audit = audit

    def get(self, actor: Actor) -> BillingInfoView | None:
        row = BillingInfo.get_or_none(BillingInfo.account == actor.id)
        if row is None:
            return None
        return BillingInfoView(row.company, row.attn, row.address, row.tel, row.fax)

    def problems(self, company: str, attn: str, address: str, tel: str, fax: str = "") -> dict[str, str]:
        """Every bad field of a billing form at once (field as on screen → problem); empty when
        save() would accept it."""
        return billing_problems(company, attn, address, tel, fax)

    def save(self, actor: Actor, company: str, attn: str, address: str, tel: str, fax: str = "") -> BillingInfoView:
        info = check_billing(company, attn, address, tel, fax)
        with self.write():
            fields = dict(company=info.company, attn=info.attn, address=info.address, tel=info.tel,
                          fax=info.fax, updated_at=self.now())
            # One upsert: two first saves at once (two sessions of one account) cannot both insert.
            BillingInfo.insert(account=actor.id, **fields).on_conflict(
                conflict_target=[BillingInfo.account], update=fields).execute()
            self.audit.record(actor, "billing.save", actor.login)
        return info

    def require(self, actor: Actor) -> BillingInfoView:
        info = self.get(actor)
        if info is None:
            raise InvalidInput("billing information", "complete Company/Family, ATTN, Address and TEL "
                                                      "before paying")
        return info

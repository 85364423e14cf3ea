"""R10: billing information — required before paying, remembered per account, validated."""
from __future__ import annotations

import re

from .. import validate
from ..db.models import BillingInfo
from ..errors import InvalidInput
from ..views import Actor, BillingInfoView
from .base import Service

_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,32}$")


def check_billing(company: str, attn: str, address: str, tel: str, fax: str = "") -> BillingInfoView:
    """Validate all fields; raises InvalidInput for the first bad one, named as on screen."""
    company_ = validate.text("Company/Family", company)
    attn_ = validate.text("ATTN", attn)
    address_ = validate.text("Address", address, max_len=256)
    tel_ = validate.text("TEL", tel, max_len=32)
    if not _PHONE.match(tel_) or sum(c.isdigit() for c in tel_) < 5:
        raise InvalidInput("TEL", f"'{tel_}' is not a phone number (digits, spaces, + ( ) - only)")
    fax_ = validate.text("Fax", fax, max_len=32, required=False)
    if fax_ and (not _PHONE.match(fax_) or sum(c.isdigit() for c in fax_) < 5):
        raise InvalidInput("Fax", f"'{fax_}' is not a fax number (digits, spaces, + ( ) - only)")
    return BillingInfoView(company_, attn_, address_, tel_, fax_)


class BillingService(Service):
    def get(self, actor: Actor) -> BillingInfoView | None:
        row = BillingInfo.get_or_none(BillingInfo.account == actor.id)
        if row is None:
            return None
        return BillingInfoView(row.company, row.attn, row.address, row.tel, row.fax)

    def save(self, actor: Actor, company: str, attn: str, address: str, tel: str, fax: str = "") -> BillingInfoView:
        info = check_billing(company, attn, address, tel, fax)
        with self.write():
            fields = dict(company=info.company, attn=info.attn, address=info.address, tel=info.tel,
                          fax=info.fax, updated_at=self.now())
            updated = BillingInfo.update(**fields).where(BillingInfo.account == actor.id).execute()
            if not updated:
                BillingInfo.create(account=actor.id, **fields)
            self.core.audit.record(actor, "billing.save", actor.login)
        return info

    def require(self, actor: Actor) -> BillingInfoView:
        info = self.get(actor)
        if info is None:
            raise InvalidInput("billing information", "complete Company/Family, ATTN, Address and TEL "
                                                      "before paying")
        return info

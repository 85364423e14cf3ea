"""The grant choices exactly as SmartPlus labels them (R2), for "Pay by Installer" and
"Pay By PM" selects, and a short form for table cells."""
from __future__ import annotations

from smartpay.core.domain import GRANT_LABELS, Grant

GRANT_OPTIONS: list[tuple[str, str]] = [(GRANT_LABELS[g], g.value) for g in (Grant.NONE, Grant.REGULAR, Grant.CREDIT)]


def short_grant(grant: Grant | str) -> str:
    """"Credit (Supported for …)" → "Credit": the full label is too wide for a table cell."""
    return GRANT_LABELS[Grant(grant)].split(" (")[0]

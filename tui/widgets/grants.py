"""The grant choices exactly as SmartPlus labels them (R2), for "Pay by Installer" and
"Pay By PM" selects, and a short form for table cells."""
from __future__ import annotations

from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from smartpay.core.domain import GRANT_LABELS, Grant

GRANT_OPTIONS: list[tuple[str, str]] = [(GRANT_LABELS[g], g.value) for g in (Grant.NONE, Grant.REGULAR, Grant.CREDIT)]


def short_grant(grant: Grant | str) -> str:
    """"Credit (Supported for …)" → "Credit": the full label is too wide for a table cell."""
    return GRANT_LABELS[Grant(grant)].split(" (")[0]



class GrantSelect(Select[str]):
    """A grant's select showing every value; the ones the core refuses here (its GrantChoice
    answers, e.g. Credit on a project created before the cut-off) are greyed, with the reason in
    their label, and cannot be picked with the keys or the mouse."""

    def set_choices(self, choices) -> None:
        """`choices`: the core's GrantChoice list (grants.pay_by_pm_choices), in its order."""
        self._refused = {c.grant.value for c in choices if not c.allowed}
        current = self.value
        self.set_options([(c.label if c.allowed else f"{short_grant(c.grant)} — not here: {c.reason}", c.grant.value)
                          for c in choices])
        self.value = current

    def _setup_options_renderables(self) -> None:
        super()._setup_options_renderables()
        overlay = self.query_one(SelectOverlay)
        for index, (_, value) in enumerate(self._options):
            if value in getattr(self, "_refused", ()):
                overlay.disable_option_at_index(index)

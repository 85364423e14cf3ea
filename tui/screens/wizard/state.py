"""What the operator chose so far in the subscription wizard. One mutable object shared by the
steps: going Back shows the same choices, and a refused step changes none of them."""
from __future__ import annotations

from dataclasses import dataclass, field

from smartpay.core.domain import PayIn, ProjectType, Purpose, RenewMode
from smartpay.core.services.quotes import Selection

# Pages of the wizard and the step (1–4) of "1 Purchase Types 2 Purchase Details 3 Payment
# Information 4 Confirmation" each belongs to.
PAGES = {"types": 1, "details": 2, "renewal": 2, "credits": 2, "billing": 3, "confirm": 4}
STEP_TITLES = ("Purchase Types", "Purchase Details", "Payment Information", "Confirmation")


@dataclass
class WizardChoices:
    purpose: Purpose = Purpose.RENEWAL
    installer: str = ""                 # distributors: "" = all installers of the downline
    project_type: ProjectType = ProjectType.COMMERCIAL
    pm_project: int | None = None       # property managers: the project switched to
    sites: set[int] = field(default_factory=set)   # checked site ids (the CheckTable's own set)
    site_count: int = 0                 # how many sites the sites step lists
    service_types: tuple[str, ...] = ()  # the types ticked (when not all of them)
    all_services: bool = True            # "All": every service type, new ones included
    pay_in: PayIn = PayIn.MONEY
    renew_mode: RenewMode = RenewMode.MANUAL
    renew_to: str = ""
    auto_by: str = "cycles"             # "cycles" or "until"
    auto_cycles: str = "1"
    auto_until: str = ""
    credits: str = ""
    accept_terms: bool = False

    @property
    def is_credit_purchase(self) -> bool:
        return self.purpose == Purpose.CREDIT_PURCHASE

    def selection(self) -> Selection:
        """The core's Selection: every listed site checked is sent as "all" (no id list), so
        quoting 10,000 sites does not ship 10,000 ids."""
        everything = self.site_count > 0 and len(self.sites) == self.site_count
        ids = () if everything and self.pm_project is None else tuple(sorted(self.sites))
        return Selection(self.project_type, installer=self.installer or None, project_ids=ids,
                         service_types=() if self.all_services else self.service_types)

    def renew_kwargs(self) -> dict:
        if self.purpose != Purpose.RENEWAL:
            return {}
        if self.renew_mode == RenewMode.MANUAL:
            return dict(renew_mode=RenewMode.MANUAL, renew_to=self.renew_to)
        if self.auto_by == "cycles":
            return dict(renew_mode=RenewMode.AUTO, auto_cycles=self.auto_cycles)
        return dict(renew_mode=RenewMode.AUTO, auto_until=self.auto_until)

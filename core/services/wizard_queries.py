"""Read-only questions the subscription wizard asks: which sites may be listed (fast enough for a
distributor's 10,000), and may this selection be paid in money or in credits (R1–R3)? The
verdict is the one the payment step and `orders.create` reach, asked early so the operator
learns it on the step where the choice was made, with the reason, and keeps what was selected."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ..domain import Grant, ProjectType, Purpose, RenewMode
from ..money import Money
from ..plugin_host import Eligibility
from ..views import Actor

PAY_IN_MONEY, PAY_IN_CREDIT = "money", "credit"


def pay_in_verdict(core, actor: Actor, pay_in: str, purpose: Purpose | str, project_type: ProjectType | str,
                   project_ids: Iterable[int], renew_mode: RenewMode | str | None = None,
                   money_total: Money | None = None, credit_total: int = 0) -> Eligibility:
    """Eligible, or not with the reason, to pay `project_ids` in `pay_in` ("money" or "credit").

    Credit asks the credit method itself (R3: commercial projects created on or after the
    cut-off, not auto-renew, the balance covers `credit_total`; pass 0 while the total is not
    known yet). Money is refused only to a payer whose grant is Credit (grants are exclusive)."""
    purpose_ = Purpose(purpose)
    mode = RenewMode(renew_mode) if renew_mode else None
    ids = list(project_ids)
    if pay_in == PAY_IN_CREDIT:
        context = core.payment_contexts.build(actor, purpose_, ProjectType(project_type), ids, mode,
                                        money_total=None, credit_total=credit_total)
        option = core.payment_methods.evaluate(core.payment_methods.credit(), context)
        return Eligibility(option.eligible, option.reason)
    context = core.payment_contexts.build(actor, purpose_, ProjectType(project_type), ids, mode,
                                    money_total=money_total or core.price_list.money(0))
    if context.grant == Grant.CREDIT:
        return Eligibility.no(f"Your payment permission is \"{Grant.CREDIT.label}\"; choose Credit Payment")
    return Eligibility.ok()


@dataclass(frozen=True)
class SiteRow:
    """One line of the wizard's sites step."""

    id: int
    name: str
    type: ProjectType
    installer_login: str
    created_at: dt.datetime
    pay_by_pm: Grant


def sites(core, actor: Actor, project_type: ProjectType | str, installer: str | None = None) -> list[SiteRow]:
    """The sites of `project_type` the actor may see (distributors: optionally one installer's),
    by name, in one query returning tuples: a distributor's 10,000 sites list in a blink, where
    building full project views (item counts, managers) would take a second."""
    from ..db.models import Account, Project
    query = core.accounts.visible_project_query(actor).where(Project.type == ProjectType(project_type).value)
    if installer:
        query = query.where(Project.installer == core.authz.filter_installer(actor, installer).id)
    query = query.select(Project.id, Project.name, Project.type, Account.login, Project.created_at,
                         Project.pay_by_pm).order_by(Project.name, Project.id)
    return [SiteRow(id_, name, ProjectType(type_), login, created, Grant(grant))
            for id_, name, type_, login, created, grant in query.tuples()]

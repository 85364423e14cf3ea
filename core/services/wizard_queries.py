"""Read-only questions the subscription wizard asks: what the operator starts with (billing,
balance, the ways to pay its grant allows, the methods installed), which sites may be listed
(fast enough for a distributor's 10,000), and may this selection be paid in money or in credits
(R1–R3)? The verdict is the one the payment step and `orders.create` reach, asked early so the
operator learns it on the step where the choice was made, with the reason, and keeps what was
selected."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ..domain import Grant, PayIn, ProjectType, Purpose, RenewMode, Role
from ..errors import NotEligible
from ..money import Money
from ..plugin_host import Eligibility
from ..views import AccountView, Actor, BillingInfoView, ProjectView, Quote
from .payment_preview import MethodBrief, PayInChoices, methods_for, pay_in_choices, require_something_to_pay
from .quotes import Selection


@dataclass(frozen=True)
class WizardStart:
    """What the wizard opens with, read in one call."""

    billing: BillingInfoView | None
    balance: int
    per_credit: Money
    today: dt.date
    pay_in: PayInChoices                   # distributors: both; installers: from Pay by Installer
    installers: tuple[AccountView, ...]    # distributors: whose projects to pay for
    projects: tuple[ProjectView, ...]      # property managers: the projects they manage
    project_pay_in: dict[int, PayInChoices]  # property managers: per project, from its Pay By PM
    money_methods: tuple[MethodBrief, ...]       # installed methods paying in money, in host order
    auto_renew_methods: tuple[MethodBrief, ...]  # of those, the ones auto-renew may use (R4, R7)


def wizard_start(core, actor: Actor) -> WizardStart:
    """The operator's billing information, credit balance, the price of a credit, today in platform
    time, and the ways to pay its grant allows (R1/R2). A payer who may pay for nothing (an
    installer without "Pay by Installer", the platform) is refused here, before any wizard opens:
    PermissionDenied with the reason, the first refusal that matters (R1)."""
    core.authz.require_may_pay(actor)
    installers: tuple[AccountView, ...] = ()
    projects: tuple[ProjectView, ...] = ()
    choices = pay_in_choices(None)
    if actor.role.is_distributor:
        installers = tuple(core.accounts.users(actor, role="installer"))
    elif actor.role == Role.INSTALLER:
        choices = pay_in_choices(core.accounts.me(actor).pay_by_installer)
    elif actor.role == Role.PROPERTY_MANAGER:
        projects = tuple(core.accounts.projects(actor))
    prices = core.price_list
    return WizardStart(
        billing=core.billing.get(actor), balance=core.credits.my_balance(actor),
        per_credit=prices.money(prices.price_per_credit), today=core.ptime.local_date(core.clock.now()),
        pay_in=choices, installers=installers, projects=projects,
        project_pay_in={p.id: pay_in_choices(p.pay_by_pm) for p in projects},
        money_methods=methods_for(core.plugins.methods(), PayIn.MONEY),
        auto_renew_methods=methods_for(core.plugins.methods(), PayIn.MONEY, RenewMode.AUTO))


def payable_quote(core, actor: Actor, pay_in: PayIn, purpose: Purpose, selection: Selection, *, final: bool,
                  **renew) -> Quote:
    """A fresh quote of `selection` that can be ordered and paid in `pay_in`, or the refusal:
    InvalidInput("items") when nothing is left to pay for (R6), NotEligible with the reason
    when the payer may not pay it so (R1–R3). `final`: the renewal term is the one chosen (the
    credit balance and auto-renew are checked only then)."""
    quote = core.quotes.quote(actor, purpose, selection, **renew)
    require_something_to_pay(quote)
    verdict = pay_in_verdict(core, actor, pay_in, purpose, selection.project_type,
                             {line.project_id for line in quote.lines},
                             quote.renew_mode if final else None, money_total=quote.total,
                             credit_total=quote.total_credits if final else 0)
    if not verdict.eligible:
        raise NotEligible(verdict.reason)
    return quote


def pay_in_verdict(core, actor: Actor, pay_in: PayIn | str, purpose: Purpose | str, project_type: ProjectType | str,
                   project_ids: Iterable[int], renew_mode: RenewMode | str | None = None,
                   money_total: Money | None = None, credit_total: int = 0) -> Eligibility:
    """Eligible, or not with the reason, to pay `project_ids` in `pay_in` ("money" or "credit").

    Credit asks the credit method itself (R3: commercial projects created on or after the
    cut-off, not auto-renew, the balance covers `credit_total`; pass 0 while the total is not
    known yet). Money is refused only to a payer whose grant is Credit (grants are exclusive)."""
    purpose_ = Purpose(purpose)
    mode = RenewMode(renew_mode) if renew_mode else None
    ids = list(project_ids)
    if PayIn(pay_in) == PayIn.CREDIT:
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

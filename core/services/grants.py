"""R2: who below an operator may pay, and how. A distributor sets an installer's "Pay by
Installer"; an installer sets a project's "Pay By PM"."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from dataclasses import dataclass

from .. import validate
from ..clock import Clock
from ..db.database import locked
from ..db.models import Account, Project
from ..domain import Grant, ProjectType, Purpose, RenewMode, Role
from ..errors import InvalidInput, NotEligible
from ..money import CREDIT, Money
from ..plugin_host import PaymentContext, ProjectFacts
from ..views import AccountView, Actor, ProjectView
from .base import Service
from .convert import account_view

if TYPE_CHECKING:
    from ..payments.eligibility import PaymentMethods
    from .audit import AuditService
    from .authz import Authorizer


@dataclass(frozen=True)
class GrantChoice:
    """One value of a grant's select: whether it may be set here, and if not, why."""

    grant: Grant
    label: str
    allowed: bool
    reason: str = ""


class GrantService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, audit: "AuditService", authz: "Authorizer",
                 methods: "PaymentMethods"):
        super().__init__(db, clock)
        self.audit = audit
        self.authz = authz
        self.methods = methods

    def set_pay_by_installer(self, actor: Actor, installer: str, grant: str) -> AccountView:
        grant_ = validate.choice("Pay by Installer", grant, Grant)
        self.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "Pay by Installer")
        with self.write():
            found = self.authz.downline_account(actor, installer, "installer")
            row = locked(Account.select().where(Account.id == found.id)).first()
            if row.role != Role.INSTALLER:
                raise InvalidInput("installer", f"'{row.login}' is not an installer")
            old = row.pay_by_installer
            row.pay_by_installer = grant_.value
            # M7: this column only, under the row lock (a login writes failed_logins meanwhile).
            Account.update(pay_by_installer=grant_.value).where(Account.id == row.id).execute()
            self.audit.record(actor, "grant.pay_by_installer", row.login, old=old, new=grant_.value)
        return account_view(row, row.parent.login if row.parent_id else None)

    def set_pay_by_pm(self, actor: Actor, project: int | str, grant: str) -> ProjectView:
        grant_ = validate.choice("Pay By PM", grant, Grant)
        self.authz.require_role(actor, (Role.INSTALLER,), "Pay By PM")
        with self.write():
            found = self.authz.visible_project(actor, project)
            row = locked(Project.select().where(Project.id == found.id)).first()
            if row.type == ProjectType.SINGLE_FAMILY:
                raise InvalidInput("project", "single-family projects have no property manager")
            if grant_ == Grant.CREDIT:
                why = self._credit_refused(row)
                if why:
                    raise NotEligible(f"Pay By PM: {Grant.CREDIT.label} cannot be granted on project "
                                      f"“{row.name}”: {why}")
            old = row.pay_by_pm
            row.pay_by_pm = grant_.value
            Project.update(pay_by_pm=grant_.value).where(Project.id == row.id).execute()
            self.audit.record(actor, "grant.pay_by_pm", str(row.id), old=old, new=grant_.value)
        return ProjectView(row.id, row.name, ProjectType(row.type), actor.login, row.created_at, grant_)

    def pay_by_pm_choices(self, actor: Actor, project: int | str) -> list[GrantChoice]:
        """The values of a project's Pay By PM select, each allowed or refused with the reason
        (R2, R3): Credit only where credits could ever pay for this project."""
        self.authz.require_role(actor, (Role.INSTALLER,), "Pay By PM")
        row = self.authz.visible_project(actor, project)
        credit_refused = self._credit_refused(row)
        return [GrantChoice(g, g.label, not (g == Grant.CREDIT and credit_refused),
                            credit_refused if g == Grant.CREDIT else "") for g in Grant]

    def _credit_refused(self, project: Project) -> str:
        """Why credits could never pay for `project` (the credit method's own rule, R3: commercial,
        created on or after its cut-off), or "" when they could."""
        try:
            method = self.methods.credit()
        except NotEligible as exc:
            return exc.message
        context = PaymentContext(
            payer_id=project.installer_id, payer_login="", role=Role.PROPERTY_MANAGER, grant=Grant.CREDIT,
            purpose=Purpose.RENEWAL, project_type=ProjectType(project.type),
            projects=(ProjectFacts(project.id, project.name, ProjectType(project.type), project.created_at),),
            renew_mode=RenewMode.MANUAL, amount=Money(0, CREDIT), credit_balance=0, now=self.now())
        verdict = method.check_eligibility(context)
        return "" if verdict.eligible else verdict.reason

    def project(self, actor: Actor, project: int | str) -> ProjectView:
        row = self.authz.visible_project(actor, project)
        return ProjectView(row.id, row.name, ProjectType(row.type), row.installer.login, row.created_at,
                           Grant(row.pay_by_pm))



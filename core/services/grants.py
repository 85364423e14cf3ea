"""R2: who below an operator may pay, and how. A distributor sets an installer's "Pay by
Installer"; an installer sets a project's "Pay By PM"."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db.database import locked
from ..db.models import Account, Project
from ..domain import Grant, ProjectType, Role
from ..errors import InvalidInput
from ..views import AccountView, Actor, ProjectView
from .base import Service
from .convert import account_view

if TYPE_CHECKING:
    from .audit import AuditService
    from .authz import Authorizer


class GrantService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, audit: "AuditService", authz: "Authorizer"):
        super().__init__(db, clock)
        self.audit = audit
        self.authz = authz

    def set_pay_by_installer(self, actor: Actor, installer: str, grant: str) -> AccountView:
        grant_ = validate.choice("pay-by-installer", grant, Grant)
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
        grant_ = validate.choice("pay-by-pm", grant, Grant)
        self.authz.require_role(actor, (Role.INSTALLER,), "Pay By PM")
        with self.write():
            found = self.authz.visible_project(actor, project)
            row = locked(Project.select().where(Project.id == found.id)).first()
            if row.type == ProjectType.SINGLE_FAMILY:
                raise InvalidInput("project", "single-family projects have no property manager")
            old = row.pay_by_pm
            row.pay_by_pm = grant_.value
            Project.update(pay_by_pm=grant_.value).where(Project.id == row.id).execute()
            self.audit.record(actor, "grant.pay_by_pm", str(row.id), old=old, new=grant_.value)
        return ProjectView(row.id, row.name, ProjectType(row.type), actor.login, row.created_at, grant_)

    def project(self, actor: Actor, project: int | str) -> ProjectView:
        row = self.authz.visible_project(actor, project)
        return ProjectView(row.id, row.name, ProjectType(row.type), row.installer.login, row.created_at,
                           Grant(row.pay_by_pm))



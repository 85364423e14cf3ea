"""Accounts, projects and billable items: the admin operations that build the world, and the
listings operators see (always limited to what the actor may see)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from .. import validate
from ..clock import Clock
from ..db.database import locked
from ..db.models import Account, Item, Project, ProjectManager
from ..domain import ALLOWED_PARENTS, SERVICE_TYPES, Grant, ProjectType, Role
from ..errors import InvalidInput, PermissionDenied
from ..views import AccountView, Actor, ItemView, ProjectView
from .base import Service
from .convert import account_view, item_view

if TYPE_CHECKING:
    from ..passwords import Passwords
    from ..platform_time import PlatformTime
    from .audit import AuditService
    from .authz import Authorizer


class AccountService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 audit: "AuditService", authz: "Authorizer", ptime: "PlatformTime", passwords: "Passwords"):
        super().__init__(db, clock)
        self.passwords = passwords
        self.audit = audit
        self.authz = authz
        self.ptime = ptime

    # -- admin (whoever holds the database) -------------------------------------------------
    def create_account(self, role: str, login: str, name: str, password: str,
                       parent: str | None = None, email: str | None = None) -> AccountView:
        form = validate.Form()
        role_ = form.check(validate.choice, "Role", role, Role)
        login_ = form.check(validate.login, login, "Login")
        name_ = form.check(validate.text, "Name", name)
        email_ = form.check(validate.email, email, "Email")
        form.check(self.passwords.check, password)
        if login_ and Account.select().where(Account.login == login_).exists():
            form.add("Login", f"{validate.quoted(login_)} is already taken")
        form.done()
        password_hash = self.passwords.hash(password)
        with self.write():
            parent_row = self.authz.account_row(parent, "parent") if parent else None
            parent_role = Role(parent_row.role) if parent_row else None
            if parent_role not in ALLOWED_PARENTS[role_]:
                wanted = " or ".join(r.label if r else "no parent" for r in ALLOWED_PARENTS[role_])
                raise InvalidInput("Parent", f"a {role_.label} must sit below {wanted}")
            if Account.select().where(Account.login == login_).exists():
                raise InvalidInput("Login", f"{validate.quoted(login_)} is already taken")
            row = Account.create(login=login_, name=name_, role=role_.value, parent=parent_row,
                                 email=email_, password_hash=password_hash, created_at=self.now())
            self.audit.record(None, "account.create", login_, role=role_.value,
                                   parent=parent_row.login if parent_row else None)
        return account_view(row, parent_row.login if parent_row else None)

    def create_project(self, installer: str, type: str, name: str, created_at=None) -> ProjectView:
        ptype = validate.choice("type", type, ProjectType)
        name_ = validate.text("name", name)
        when = (validate.instant("created-at", created_at, self.ptime.tz)
                if created_at not in (None, "") else self.now())
        with self.write():
            inst = self.authz.account_row(installer, "installer")
            if inst.role != Role.INSTALLER:
                raise InvalidInput("installer", f"'{inst.login}' is a {Role(inst.role).label}, not an installer")
            row = Project.create(name=name_, type=ptype.value, installer=inst, created_at=when)
            self.audit.record(None, "project.create", str(row.id), installer=inst.login, type=ptype.value)
        return ProjectView(row.id, row.name, ptype, inst.login, row.created_at, Grant(row.pay_by_pm))

    def add_item(self, project: int | str, service: str, subject: str, email: str | None = None,
                 company: str | None = None, expires=None) -> ItemView:
        subject_ = validate.text("subject", subject)
        email_ = validate.email(email)
        company_ = validate.text("company", company, required=False) or None
        expires_at = (validate.instant("expires", expires, self.ptime.tz, end_of_day=True)
                      if expires not in (None, "") else None)
        with self.write():
            proj = self.authz.project_row(project)
            services = SERVICE_TYPES[ProjectType(proj.type)]
            if service not in services:
                raise InvalidInput("service", f"'{service}' is not a service of {ProjectType(proj.type).label} "
                                              f"projects ({', '.join(services)})")
            row = Item.create(project=proj, service_type=service, subject_name=subject_, subject_email=email_,
                              company=company_, activated_at=expires_at and self.now(),
                              expires_at=expires_at, created_at=self.now())
            self.audit.record(None, "item.create", str(row.id), project=proj.id, service=service)
        return item_view(row, proj, self.now())

    def assign_manager(self, project: int | str, manager: str) -> None:
        with self.write():
            proj = self.authz.project_row(project)
            pm = self.authz.account_row(manager, "manager")
            if pm.role != Role.PROPERTY_MANAGER:
                raise InvalidInput("manager", f"'{pm.login}' is not a property manager")
            if pm.parent_id != proj.installer_id:
                raise InvalidInput("manager", f"'{pm.login}' does not belong to the project's installer")
            if proj.type == ProjectType.SINGLE_FAMILY:
                raise InvalidInput("project", "single-family projects have no property manager")
            ProjectManager.insert(project=proj, manager=pm).on_conflict_ignore().execute()
            self.audit.record(None, "project.assign_manager", str(proj.id), manager=pm.login)

    # -- a distributor's downline (the Users screen) -----------------------------------------
    def create_user(self, actor: Actor, role: str, login: str, name: str, password: str,
                    email: str | None = None, parent: str | None = None,
                    pay_by_installer: str = "none") -> AccountView:
        """A distributor or sub-distributor adds an installer or a sub-distributor to its
        downline (R1): below itself, or below a sub-distributor of its own downline. Installers
        get their "Pay by Installer" grant (R2) in the same step."""
        self.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "users")
        # Every problem of the form at once (labels as on the New user form), before any write.
        form = validate.Form()
        role_ = form.check(validate.choice, "Role", role, Role)
        if role_ is not None and role_ not in (Role.INSTALLER, Role.SUB_DISTRIBUTOR):
            form.add("Role", f"distributors create installers and sub-distributors, not {role_.label}")
        parent_row = Account.get_by_id(actor.id)
        if parent and parent.strip() != actor.login:
            # Someone else's account is refused like a missing one (NotVisible), not as a field.
            parent_row = self.authz.downline_account(actor, parent.strip(), "Parent")
            if not Role(parent_row.role).is_distributor:
                form.add("Parent", f"{validate.quoted(parent_row.login)} is a {Role(parent_row.role).label}; "
                                   "users sit below a distributor or sub-distributor")
        login_ = form.check(validate.login, login, "Login")
        if login_ and Account.select().where(Account.login == login_).exists():
            form.add("Login", f"{validate.quoted(login_)} is already taken")
        name_ = form.check(validate.text, "Name", name)
        email_ = form.check(validate.email, email, "Email")
        form.check(self.passwords.check, password)
        grant_ = form.check(validate.choice, "Pay by Installer", pay_by_installer or "none", Grant)
        if role_ is not None and role_ != Role.INSTALLER and grant_ not in (None, Grant.NONE):
            form.add("Pay by Installer", "only installers have a Pay by Installer grant")
        form.done()
        password_hash = self.passwords.hash(password)
        with self.write():  # checked again where it counts: a login taken meanwhile is refused
            if Account.select().where(Account.login == login_).exists():
                raise InvalidInput("Login", f"{validate.quoted(login_)} is already taken")
            row = Account.create(login=login_, name=name_, role=role_.value, parent=parent_row, email=email_,
                                 password_hash=password_hash, pay_by_installer=grant_.value,
                                 created_at=self.now())
            self.audit.record(actor, "account.create", login_, role=role_.value, parent=parent_row.login,
                                   pay_by_installer=grant_.value)
        return account_view(row, parent_row.login)

    def update_user(self, actor: Actor, login: str, name: str, email: str | None = None,
                    pay_by_installer: str | None = None) -> AccountView:
        """Edit a downline account's name and email and, for installers, its "Pay by
        Installer" grant (R2). Only accounts in the actor's downline (R1)."""
        self.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "users")
        form = validate.Form()
        name_ = form.check(validate.text, "Name", name)
        email_ = form.check(validate.email, email, "Email")
        grant_ = form.check(validate.choice, "Pay by Installer", pay_by_installer, Grant) if pay_by_installer else None
        with self.write():
            found = self.authz.downline_account(actor, login, "user")
            row = locked(Account.select().where(Account.id == found.id)).first()
            if grant_ is not None and row.role != Role.INSTALLER and grant_ != Grant.NONE:
                form.add("Pay by Installer", f"{validate.quoted(row.login)} is not an installer")
            form.done()
            # M7: only the columns this edit changes are written (a whole-row save would write
            # back failed_logins/locked_until read before a concurrent login changed them).
            changes, columns = {}, {}
            for field_, column, old, new in (("name", Account.name, row.name, name_),
                                             ("email", Account.email, row.email, email_)):
                if old != new:
                    changes.setdefault("fields", []).append(field_)
                    columns[column] = new
                    setattr(row, field_, new)
            if grant_ is not None and row.role == Role.INSTALLER and row.pay_by_installer != grant_.value:
                changes.update(old_grant=row.pay_by_installer, pay_by_installer=grant_.value)
                columns[Account.pay_by_installer] = row.pay_by_installer = grant_.value
            if columns:
                Account.update(columns).where(Account.id == row.id).execute()
                self.audit.record(actor, "account.update", row.login, **changes)
        return account_view(row, row.parent.login if row.parent_id else None)

    # -- operator views --------------------------------------------------------------------
    def me(self, actor: Actor) -> AccountView:
        row = Account.get_by_id(actor.id)
        return account_view(row, row.parent.login if row.parent_id else None)

    def users(self, actor: Actor, search: str = "", role: str | None = None) -> list[AccountView]:
        """The actor's downline (Users screen): distributors only. One query — the downline is
        walked by a recursive CTE and rows come back as tuples — because a large distributor's
        10,000 installers must open without visible lag."""
        self.authz.require_role(actor, (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR), "users")
        Child, Parent = Account.alias(), Account.alias()
        downline = (Account.select(Account.id).where(Account.parent == actor.id)
                    .cte("downline", recursive=True, columns=("id",)))
        downline = downline.union_all(Child.select(Child.id).join(downline, on=(Child.parent == downline.c.id)))
        query = (Account.select(Account.id, Account.login, Account.name, Account.role, Parent.login, Account.email,
                                Account.pay_by_installer, Account.created_at, Account.locked_until)
                 .join(downline, on=(Account.id == downline.c.id))
                 .join(Parent, pw.JOIN.LEFT_OUTER, on=(Account.parent == Parent.id))
                 .with_cte(downline).order_by(Account.login))
        if role:
            query = query.where(Account.role == validate.choice("role", role, Role).value)
        if search:
            like = f"%{search.strip()}%"
            query = query.where(Account.login ** like | Account.name ** like)
        return [AccountView(id_, login, name, Role(role_), parent, email, Grant(grant), created, locked)
                for id_, login, name, role_, parent, email, grant, created, locked in query.tuples()]

    def visible_project_query(self, actor: Actor) -> pw.ModelSelect:
        """Projects the actor may see: its downline's (distributors), its own (installers),
        the ones it manages (PMs)."""
        query = Project.select(Project, Account.id, Account.login).join(Account, on=(Project.installer == Account.id))
        if actor.role.is_distributor:
            installers = [i for i in self.authz.downline_ids(actor.id)]
            return query.where(Project.installer.in_(installers or [-1]))
        if actor.role == Role.INSTALLER:
            return query.where(Project.installer == actor.id)
        if actor.role == Role.PROPERTY_MANAGER:
            managed = ProjectManager.select(ProjectManager.project).where(ProjectManager.manager == actor.id)
            return query.where(Project.id.in_(managed))
        raise PermissionDenied("projects: the platform account has no projects")

    def projects(self, actor: Actor, installer: str | None = None, type: str | None = None) -> list[ProjectView]:
        query = self.visible_project_query(actor)
        if installer:
            inst = self.authz.filter_installer(actor, installer)
            query = query.where(Project.installer == inst.id)
        if type:
            query = query.where(Project.type == validate.choice("type", type, ProjectType).value)
        projects = list(query.order_by(Project.type, Project.name, Project.id))
        ids = [p.id for p in projects] or [-1]
        now = self.now()
        counts = {r.project_id: (r.n, r.active) for r in Item.select(
            Item.project, pw.fn.COUNT(Item.id).alias("n"),
            pw.fn.SUM(pw.Case(None, [(Item.expires_at > now, 1)], 0)).alias("active"))
            .where(Item.project.in_(ids)).group_by(Item.project)}
        managers: dict[int, list[str]] = {}
        for link in (ProjectManager.select(ProjectManager.project, Account.login)
                     .join(Account, on=(ProjectManager.manager == Account.id))
                     .where(ProjectManager.project.in_(ids))):
            managers.setdefault(link.project_id, []).append(link.manager.login)
        return [ProjectView(p.id, p.name, ProjectType(p.type), p.installer.login, p.created_at, Grant(p.pay_by_pm),
                            counts.get(p.id, (0, 0))[0], int(counts.get(p.id, (0, 0))[1] or 0),
                            tuple(sorted(managers.get(p.id, ()))))
                for p in projects]

    def visible_items(self, actor: Actor) -> list[ItemView]:
        """Every item of every project the actor may see, in one query (the Subscription
        overview of a distributor with thousands of projects)."""
        projects = self.visible_project_query(actor).select(Project.id)
        now = self.now()
        query = (Item.select(Item, Project).join(Project, on=(Item.project == Project.id))
                 .where(Item.project.in_(projects)).order_by(Item.project, Item.id))
        return [item_view(i, i.project, now) for i in query]

    def items(self, actor: Actor, project: int | str) -> list[ItemView]:
        proj = self.authz.visible_project(actor, project)
        now = self.now()
        return [item_view(i, proj, now) for i in Item.select().where(Item.project == proj.id).order_by(Item.id)]

"""R1/R2 authorization, enforced here for every service operation — never only in the UI.

The hierarchy is a tree of accounts (distributor → sub-distributor → installer → PM). Checks walk
up the parent chain of the target (a handful of rows), so they stay cheap at any tree size.
"""
from __future__ import annotations

from typing import Callable

from ..db.models import Account, Project, ProjectManager
from ..domain import Grant, Role
from ..errors import NotFound, NotVisible, PermissionDenied
from ..views import Actor
from .base import Service


_NO_PAY_BY_INSTALLER = ("Pay by Installer: your distributor has not granted you permission to pay; "
                        "ask your distributor to set it")
_PLATFORM_DOES_NOT_PAY = "the platform account does not pay for services"


class Authorizer(Service):
    def account_row(self, login_or_id: str | int, field: str = "login") -> Account:
        query = (Account.id == login_or_id) if isinstance(login_or_id, int) else (Account.login == login_or_id)
        row = Account.get_or_none(query)
        if row is None:
            raise NotFound(f"{field}: no account '{login_or_id}'")
        return row

    def project_row(self, project_id: int | str, field: str = "project") -> Project:
        try:
            pid = int(project_id)
        except (TypeError, ValueError):
            raise NotFound(f"{field}: '{project_id}' is not a project number") from None
        row = Project.get_or_none(Project.id == pid)
        if row is None:
            raise NotFound(f"{field}: no project {pid}")
        return row

    def chain(self, account_id: int | None) -> list[int]:
        """Ids of the account's ancestors, nearest first (one small query per level)."""
        out: list[int] = []
        current = Account.select(Account.parent).where(Account.id == account_id).scalar() if account_id else None
        while current is not None and current not in out:
            out.append(current)
            current = Account.select(Account.parent).where(Account.id == current).scalar()
        return out

    def in_downline(self, ancestor_id: int, account_id: int) -> bool:
        return ancestor_id in self.chain(account_id)

    def downline_ids(self, root_id: int) -> set[int]:
        """Every account below `root_id`, one query per level of the tree."""
        found: set[int] = set()
        frontier = [root_id]
        while frontier:
            rows = [r.id for r in Account.select(Account.id).where(Account.parent.in_(frontier))]
            rows = [r for r in rows if r not in found]
            found.update(rows)
            frontier = rows
        return found

    @staticmethod
    def require_role(actor: Actor, roles: tuple[Role, ...], action: str) -> None:
        if actor.role not in roles:
            allowed = ", ".join(r.label for r in roles)
            raise PermissionDenied(f"{action}: only {allowed} accounts may do this, not {actor.role.label}")

    # -- projects ---------------------------------------------------------------------
    def manages(self, actor: Actor, project: Project) -> bool:
        return ProjectManager.select().where((ProjectManager.project == project.id) &
                                             (ProjectManager.manager == actor.id)).exists()

    def can_view_project(self, actor: Actor, project: Project) -> bool:
        if actor.role.is_distributor:
            return self.in_downline(actor.id, project.installer_id)
        if actor.role == Role.INSTALLER:
            return project.installer_id == actor.id
        if actor.role == Role.PROPERTY_MANAGER:
            return self.manages(actor, project)
        return False

    def require_view_project(self, actor: Actor, project: Project) -> None:
        if not self.can_view_project(actor, project):
            raise NotVisible(hidden_project(project.id))

    def visible_project(self, actor: Actor, project_id: int | str) -> Project:
        """The project, if the actor may see it. A missing project and another party's get the
        same answer: an operator learns nothing about what others have."""
        try:
            row = self.project_row(project_id)
        except NotFound:
            raise NotVisible(hidden_project(project_id)) from None
        self.require_view_project(actor, row)
        return row

    def require_may_pay(self, actor: Actor) -> None:
        """R1 about the payer alone, asked before anything about the selection: an installer
        without "Pay by Installer" (or the platform account) may pay for nothing, and hearing
        "nothing to pay for" or "choose a date" first would hide the refusal that matters."""
        if actor.role == Role.INSTALLER:
            if Grant(Account.select(Account.pay_by_installer).where(Account.id == actor.id).scalar()) == Grant.NONE:
                raise PermissionDenied(_NO_PAY_BY_INSTALLER)
        elif actor.role == Role.PLATFORM:
            raise PermissionDenied(_PLATFORM_DOES_NOT_PAY)

    def payer_grant(self, actor: Actor, project: Project) -> Grant | None:
        """R1: may `actor` pay for `project`? Returns the grant that applies (None for
        distributors, who need none) or raises PermissionDenied with the reason."""
        return self.payer_checker(actor)(project)

    def payer_checker(self, actor: Actor) -> Callable[[Project], Grant | None]:
        """R1 as a function of the project, with what it needs loaded once — for quoting
        thousands of items without a query per project."""
        if actor.role.is_distributor:
            in_downline: dict[int, bool] = {}

            def check(project: Project) -> Grant | None:
                if project.installer_id not in in_downline:
                    in_downline[project.installer_id] = self.in_downline(actor.id, project.installer_id)
                if not in_downline[project.installer_id]:
                    raise PermissionDenied(f"project {project.id}: not in your downline")
                return None
            return check
        if actor.role == Role.INSTALLER:
            grant = Grant(Account.get_by_id(actor.id).pay_by_installer)

            def check(project: Project) -> Grant | None:
                if project.installer_id != actor.id:
                    raise PermissionDenied(f"project {project.id}: not one of your projects")
                if grant == Grant.NONE:
                    raise PermissionDenied(_NO_PAY_BY_INSTALLER)
                return grant
            return check
        if actor.role == Role.PROPERTY_MANAGER:
            managed = {r.project_id for r in ProjectManager.select(ProjectManager.project)
                       .where(ProjectManager.manager == actor.id)}

            def check(project: Project) -> Grant | None:
                if project.id not in managed:
                    raise PermissionDenied(f"project {project.id}: you do not manage this project")
                grant = Grant(project.pay_by_pm)
                if grant == Grant.NONE:
                    raise PermissionDenied(f"Pay By PM: the installer has not granted you permission to pay "
                                           f"for '{project.name}'")
                return grant
            return check

        def refuse(project: Project) -> Grant | None:
            raise PermissionDenied(_PLATFORM_DOES_NOT_PAY)
        return refuse

    # -- accounts -------------------------------------------------------------------------
    def require_downline(self, actor: Actor, target: Account, field: str = "user") -> None:
        if not actor.role.is_distributor or not self.in_downline(actor.id, target.id):
            raise NotVisible(hidden_account(field, target.login))

    def filter_installer(self, actor: Actor, login: str, field: str = "installer") -> Account:
        """The account named by an "installer" filter (projects, quotes, the wizard's sites) — one
        whose projects the actor may see: itself, an account of its downline (distributors), its
        own installer (a PM). A missing login and another party's installer get the same answer,
        where an empty list would say "it exists, but it is not yours"."""
        row = Account.get_or_none(Account.login == (login or "").strip())
        if row is None or not (row.id == actor.id or self._may_see_projects_of(actor, row.id)):
            raise NotVisible(hidden_account(field, login))
        return row

    def _may_see_projects_of(self, actor: Actor, account_id: int) -> bool:
        if actor.role.is_distributor:
            return self.in_downline(actor.id, account_id)
        if actor.role == Role.PROPERTY_MANAGER:
            return self.chain(actor.id)[:1] == [account_id]
        return False

    def downline_account(self, actor: Actor, login: str, field: str = "user") -> Account:
        """An account of the actor's downline; a missing login and someone else's get the same answer."""
        row = Account.get_or_none(Account.login == (login or "").strip())
        if row is None:
            raise NotVisible(hidden_account(field, login))
        self.require_downline(actor, row, field)
        return row


def hidden_project(project_id) -> str:
    return f"project: no project {project_id} that you can see"


def hidden_account(field: str, login) -> str:
    return f"{field}: no account '{login}' in your downline"

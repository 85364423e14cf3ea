"""PaymentContext: what a method's eligibility is decided on (payer, role, grant, projects,
purpose, renew mode, amount, balances), built from the database for an order or a quote."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..clock import Clock
from ..db.models import Account, Order, OrderItem, Project
from ..domain import Grant, ProjectType, Purpose, RenewMode, Role
from ..money import CREDIT, Money
from ..plugin_host import PaymentContext, ProjectFacts
from ..views import Actor

if TYPE_CHECKING:
    from ..services.authz import Authorizer
    from ..services.coupons import CouponService
    from ..services.credits import CreditService


class PaymentContexts:
    def __init__(self, clock: Clock, *, authz: "Authorizer", credits: "CreditService", coupons: "CouponService"):
        self.clock, self.authz, self.credits, self.coupons = clock, authz, credits, coupons

    def build(self, actor: Actor, purpose: Purpose, project_type: ProjectType | None, project_ids: Iterable[int],
              renew_mode: RenewMode | None, money_total: Money | None,
              credit_total: int | None = None) -> PaymentContext:
        """The context of paying `money_total` (or `credit_total` credits) for these projects.
        R1/R2: the payer's grant for them — for a property manager the narrowest of its
        projects' Pay By PM grants; for an installer its own Pay by Installer (a credit purchase
        has no project); distributors need none. A manager whose projects grant differently may
        use neither family."""
        projects = list(Project.select().where(Project.id.in_(list(project_ids) or [-1])).order_by(Project.id))
        check = self.authz.payer_checker(actor)
        grants = {check(p) for p in projects} or {None}
        grant = None
        if actor.role == Role.PROPERTY_MANAGER:
            # R2: every project of the order must grant the same way; projects granting differently
            # (regular and credit) leave no family the manager may use for all of them.
            grant = None if grants == {None} else next(iter(grants)) if len(grants) == 1 else Grant.NONE
        elif actor.role == Role.INSTALLER:
            grant = next(iter(grants))
            if grant is None:
                grant = Grant(Account.get_by_id(actor.id).pay_by_installer)
        amount = money_total if money_total is not None else Money(credit_total or 0, CREDIT)
        return PaymentContext(
            payer_id=actor.id, payer_login=actor.login, role=actor.role, grant=grant, purpose=purpose,
            project_type=project_type,
            projects=tuple(ProjectFacts(p.id, p.name, ProjectType(p.type), p.created_at) for p in projects),
            renew_mode=renew_mode, amount=amount, credit_balance=self.credits.balance(actor.id),
            coupons=tuple(self.coupons.for_owner(actor.id, usable_only=True)) if money_total else (),
            now=self.clock.now())

    def for_order(self, actor: Actor, order: Order) -> PaymentContext:
        project_ids = {line.project_id for line in OrderItem.select(OrderItem.project)
                       .where(OrderItem.order == order.id) if line.project_id}
        total = Money(order.total, order.unit)
        return self.build(actor, Purpose(order.purpose), ProjectType(order.project_type) if order.project_type
                          else None, project_ids, RenewMode(order.renew_mode) if order.renew_mode else None,
                          None if total.is_credit else total, total.amount if total.is_credit else None)

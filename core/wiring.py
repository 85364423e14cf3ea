"""The one place the core's services are built and handed their collaborators.

Every service takes what it uses in its constructor, by name and typed; this function builds
them in dependency order (each only after what it needs), so the graph has no cycles and a
reader sees it here in one page. `Smartpay` (core/context.py) builds it on first use."""
from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from .clock import Clock
from .config import Settings
from .ids import IdSource
from .payments.completion import OrderCompletion
from .payments.contexts import PaymentContexts
from .payments.eligibility import PaymentMethods
from .payments.offline import OfflinePayments
from .payments.reconcile import Reconciler
from .payments.refunds import RefundService
from .payments.renew_runner import AutoRenewRunner
from .payments.requests import ChargeRequests
from .payments.service import PaymentService
from .payments.settlement import Settlement
from .payments.status import PaymentStatusService
from .payments.webhook_inbox import WebhookInboxService
from .passwords import Passwords
from .platform_time import PlatformTime
from .plugin_host import PluginHost
from .pricing import PriceList
from .services.accounts import AccountService
from .services.audit import AuditService
from .services.auth import AuthService
from .services.authz import Authorizer
from .services.billing import BillingService
from .services.coupons import CouponService
from .services.credits import CreditService
from .services.grants import GrantService
from .services.notifications import NotificationService
from .services.orders import OrderService
from .services.quotes import QuoteService
from .services.renewals import RenewalService
from .services.ssh_keys import SshKeyService


@dataclass(frozen=True)
class Services:
    audit: AuditService
    authz: Authorizer
    auth: AuthService
    accounts: AccountService
    grants: GrantService
    billing: BillingService
    notifications: NotificationService
    credits: CreditService
    coupons: CouponService
    quotes: QuoteService
    payment_contexts: PaymentContexts
    payment_methods: PaymentMethods
    orders: OrderService
    renewals: RenewalService
    refunds: RefundService
    payments: PaymentService
    payment_status: PaymentStatusService
    reconciler: Reconciler
    offline_payments: OfflinePayments
    webhook_inbox: WebhookInboxService
    renew_runner: AutoRenewRunner
    ssh_keys: SshKeyService


def wire(db: pw.Database, clock: Clock, *, settings: Settings, ptime: PlatformTime, plugins: PluginHost,
         price_list: PriceList, ids: IdSource, passwords: Passwords) -> Services:
    audit = AuditService(db, clock)
    authz = Authorizer(db, clock)
    accounts = AccountService(db, clock, audit=audit, authz=authz, ptime=ptime, passwords=passwords)
    notifications = NotificationService(db, clock)
    credits = CreditService(db, clock, audit=audit, authz=authz, ptime=ptime)
    coupons = CouponService(db, clock, audit=audit, authz=authz, ids=ids, ptime=ptime)
    billing = BillingService(db, clock, audit=audit)
    quotes = QuoteService(db, clock, accounts=accounts, authz=authz, price_list=price_list, ptime=ptime)
    contexts = PaymentContexts(clock, authz=authz, credits=credits, coupons=coupons)
    methods = PaymentMethods(plugins)
    requests = ChargeRequests(contexts)
    completion = OrderCompletion(clock, credits=credits, audit=audit)
    orders = OrderService(db, clock, settings=settings, ids=ids, price_list=price_list, audit=audit, authz=authz,
                          billing=billing, coupons=coupons, quotes=quotes, contexts=contexts, methods=methods)
    renewals = RenewalService(db, clock, audit=audit, notifications=notifications, ptime=ptime, quotes=quotes,
                              settings=settings)
    refunds = RefundService(db, clock, plugins=plugins, requests=requests, audit=audit, notifications=notifications)
    settlement = Settlement(db, clock, ptime=ptime, plugins=plugins, completion=completion, orders=orders,
                            refunds=refunds, renewals=renewals, audit=audit)
    payments = PaymentService(db, clock, ptime=ptime, methods=methods, contexts=contexts, requests=requests,
                              completion=completion, settlement=settlement, orders=orders, credits=credits,
                              coupons=coupons)
    return Services(
        audit=audit, authz=authz, accounts=accounts, notifications=notifications, credits=credits, coupons=coupons,
        billing=billing, quotes=quotes, payment_contexts=contexts, payment_methods=methods, orders=orders,
        renewals=renewals, refunds=refunds, payments=payments,
        auth=AuthService(db, clock, audit=audit, authz=authz, ptime=ptime, settings=settings, passwords=passwords),
        grants=GrantService(db, clock, audit=audit, authz=authz, methods=methods),
        ssh_keys=SshKeyService(db, clock, audit=audit, authz=authz),
        payment_status=PaymentStatusService(db, clock, ptime=ptime, orders=orders, payments=payments),
        reconciler=Reconciler(db, clock, orders=orders, payments=payments, refunds=refunds),
        offline_payments=OfflinePayments(db, clock, methods=methods, payments=payments, orders=orders, audit=audit),
        webhook_inbox=WebhookInboxService(db, clock, plugins=plugins, payments=payments),
        renew_runner=AutoRenewRunner(db, clock, settings=settings, methods=methods, contexts=contexts,
                                     completion=completion, payments=payments, orders=orders, quotes=quotes,
                                     renewals=renewals))

"""`Smartpay`: the core opened on one database, one clock, one configuration and one plugin
host. The CLI and the TUI build one and call its services; nothing else reaches the models."""
from __future__ import annotations

import threading
import weakref
from functools import cached_property
from typing import TYPE_CHECKING

import peewee as pw

from .clock import Clock, SystemClock
from .config import Settings, load_settings
from .db import migrations
from .db.database import db_proxy, open_database
from .errors import ConfigError
from .ids import IdSource
from .platform_time import PlatformTime
from .passwords import Passwords
from .plugin_host import PluginHost
from .pricing import PriceList, load_price_list

if TYPE_CHECKING:
    from .payments.contexts import PaymentContexts
    from .payments.eligibility import PaymentMethods
    from .payments.reconcile import Reconciler
    from .payments.offline import OfflinePayments
    from .payments.refunds import RefundService
    from .payments.renew_runner import AutoRenewRunner
    from .payments.service import PaymentService
    from .payments.status import PaymentStatusService
    from .payments.webhook_inbox import WebhookInboxService
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
    from .wiring import Services


# The models reach the database through one module-level proxy, so every core of a process must
# hand them the same peewee Database for the same URL: two cores on one URL (two runners on two
# threads) then share it, and peewee gives each thread its own connection and transaction.
_open_databases: "weakref.WeakValueDictionary[str, pw.Database]" = weakref.WeakValueDictionary()
_open_lock = threading.Lock()


def _database_for(url: str) -> pw.Database:
    with _open_lock:
        db = _open_databases.get(url)
        if db is None:
            db = _open_databases[url] = open_database(url)
        else:
            db_proxy.initialize(db)
        return db


class Smartpay:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None,
                 plugins: PluginHost | None = None, price_list: PriceList | None = None,
                 ids: IdSource | None = None, passwords: Passwords | None = None):
        self.settings: Settings = settings or load_settings()
        self.clock: Clock = clock or SystemClock()
        self.ptime: PlatformTime = self.settings.platform_time
        self.db: pw.Database = _database_for(self.settings.db_url)
        self.plugins: PluginHost = plugins or PluginHost(config=self.settings.plugin_config)
        self._price_list = price_list
        self.ids: IdSource = ids or IdSource()
        # Injected, never switched by the environment: tests hand in a cheap hasher.
        self.passwords: Passwords = passwords or Passwords()

    @classmethod
    def open(cls, settings: Settings | None = None, clock: Clock | None = None, upgrade: bool = False,
             **kwargs) -> "Smartpay":
        """Open and check the schema. `upgrade=True` applies pending migrations first (what
        `smartpay db upgrade` does); otherwise an out-of-date schema is an error that says so."""
        core = cls(settings, clock, **kwargs)
        if upgrade:
            core.upgrade()
        else:
            core.check_schema()
        return core

    def upgrade(self) -> list[int]:
        return migrations.upgrade(self.db, self.clock.now())

    def check_schema(self) -> None:
        version = migrations.current_version(self.db)
        if version != migrations.LATEST:
            raise ConfigError(f"database: schema is at version {version}, this smartpay needs "
                              f"{migrations.LATEST}; run `smartpay db upgrade`")

    def close(self) -> None:
        """Close this thread's connection (peewee keeps one per thread)."""
        if not self.db.is_closed():
            self.db.close()

    @property
    def price_list(self) -> PriceList:
        if self._price_list is None:
            self._price_list = load_price_list(self.settings.price_list)
        return self._price_list

    # Services: built together on first use (core/wiring.py), so start-up stays cheap.
    @cached_property
    def services(self) -> "Services":
        from .wiring import wire
        return wire(self.db, self.clock, settings=self.settings, ptime=self.ptime, plugins=self.plugins,
                    price_list=self.price_list, ids=self.ids, passwords=self.passwords)

    @property
    def audit(self) -> "AuditService":
        return self.services.audit

    @property
    def authz(self) -> "Authorizer":
        return self.services.authz

    @property
    def auth(self) -> "AuthService":
        return self.services.auth

    @property
    def accounts(self) -> "AccountService":
        return self.services.accounts

    @property
    def grants(self) -> "GrantService":
        return self.services.grants

    @property
    def billing(self) -> "BillingService":
        return self.services.billing

    @property
    def quotes(self) -> "QuoteService":
        return self.services.quotes

    @property
    def orders(self) -> "OrderService":
        return self.services.orders

    @property
    def payment_contexts(self) -> "PaymentContexts":
        return self.services.payment_contexts

    @property
    def payment_methods(self) -> "PaymentMethods":
        return self.services.payment_methods

    @property
    def payments(self) -> "PaymentService":
        return self.services.payments

    @property
    def payment_status(self) -> "PaymentStatusService":
        return self.services.payment_status

    @property
    def credits(self) -> "CreditService":
        return self.services.credits

    @property
    def coupons(self) -> "CouponService":
        return self.services.coupons

    @property
    def notifications(self) -> "NotificationService":
        return self.services.notifications

    @property
    def reconciler(self) -> "Reconciler":
        return self.services.reconciler

    @property
    def offline_payments(self) -> "OfflinePayments":
        return self.services.offline_payments

    @property
    def renewals(self) -> "RenewalService":
        return self.services.renewals

    @property
    def renew_runner(self) -> "AutoRenewRunner":
        return self.services.renew_runner

    @property
    def webhook_inbox(self) -> "WebhookInboxService":
        return self.services.webhook_inbox

    @property
    def refunds(self) -> "RefundService":
        return self.services.refunds

    @property
    def ssh_keys(self) -> "SshKeyService":
        return self.services.ssh_keys

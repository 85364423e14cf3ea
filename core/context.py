"""`Smartpay`: the core opened on one database, one clock, one configuration and one plugin
host. The CLI and the TUI build one and call its services; nothing else reaches the models."""
from __future__ import annotations

import threading
import weakref
from functools import cached_property

import peewee as pw

from .clock import Clock, SystemClock
from .config import Settings, load_settings
from .db import migrations
from .db.database import db_proxy, open_database
from .errors import ConfigError
from .ids import IdSource
from .passwords import Passwords
from .plugin_host import PluginHost
from .pricing import PriceList, load_price_list


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
        self.settings = settings or load_settings()
        self.clock = clock or SystemClock()
        self.ptime = self.settings.platform_time
        self.db: pw.Database = _database_for(self.settings.db_url)
        self.plugins = plugins or PluginHost(config=self.settings.plugin_config)
        self._price_list = price_list
        self.ids = ids or IdSource()
        # Injected, never switched by the environment: tests hand in a cheap hasher.
        self.passwords = passwords or Passwords()

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

    # Services, built on first use so start-up stays cheap.
    @cached_property
    def audit(self):
        from .services.audit import AuditService
        return AuditService(self)

    @cached_property
    def authz(self):
        from .services.authz import Authorizer
        return Authorizer(self)

    @cached_property
    def auth(self):
        from .services.auth import AuthService
        return AuthService(self)

    @cached_property
    def accounts(self):
        from .services.accounts import AccountService
        return AccountService(self)

    @cached_property
    def grants(self):
        from .services.grants import GrantService
        return GrantService(self)

    @cached_property
    def billing(self):
        from .services.billing import BillingService
        return BillingService(self)

    @cached_property
    def quotes(self):
        from .services.quotes import QuoteService
        return QuoteService(self)

    @cached_property
    def orders(self):
        from .services.orders import OrderService
        return OrderService(self)

    @cached_property
    def payments(self):
        from .services.payments import PaymentService
        return PaymentService(self)

    @cached_property
    def payment_status(self):
        from .services.payment_status import PaymentStatusService
        return PaymentStatusService(self)

    @cached_property
    def credits(self):
        from .services.credits import CreditService
        return CreditService(self)

    @cached_property
    def coupons(self):
        from .services.coupons import CouponService
        return CouponService(self)

    @cached_property
    def notifications(self):
        from .services.notifications import NotificationService
        return NotificationService(self)

    @cached_property
    def reconciler(self):
        from .services.reconcile import Reconciler
        return Reconciler(self)

    @cached_property
    def renewals(self):
        from .services.renewals import RenewalService
        return RenewalService(self)

    @cached_property
    def webhook_inbox(self):
        from .services.webhook_inbox import WebhookInboxService
        return WebhookInboxService(self)

    @cached_property
    def refunds(self):
        from .services.refunds import RefundService
        return RefundService(self)

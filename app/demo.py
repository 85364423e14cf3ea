"""The demo database: the seed guide's world, seeded through the core's services.

`smartpay demo` (and `make demo`) opens `demo.db` in the user data dir (or `--db URL`), seeds
it when it is empty, and describes what it holds. Seeding runs in one transaction: a failure
leaves the database as it was. Dates the seed guide fixes stay fixed (the 2025-06-01 credit
cut-off, "Attendance" expiring 2025-06-23 14:55:06); other expiries are relative to the clock's
today, so a fresh demo always shows items about to expire, active, expired and never paid.

The demo accounts share one password, printed on purpose: they are demo accounts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from smartpay.core.db.database import write_transaction
from smartpay.core.db.models import MODELS, Account, SchemaVersion
from smartpay.core.errors import ConfigError
from smartpay.core.views import CouponView, ItemView, ProjectView

DEMO_PASSWORD = "demo-password"
DISTRIBUTOR = "aktest"

# (role, login, name, parent)
ACCOUNTS = [
    ("distributor", "aktest", "AK Test Distribution", None),
    ("sub_distributor", "aksub", "AK Sub Distribution", "aktest"),
    ("installer", "inst_none", "Nordic Installs (no permission)", "aktest"),
    ("installer", "inst_regular", "Regular Installs (Stripe/PayPal Coupon)", "aktest"),
    ("installer", "inst_credit", "Credit Installs (Credit)", "aktest"),
    ("installer", "inst_sub", "Harbour Installs", "aksub"),
    ("property_manager", "pm_regular", "Sunrise PM", "inst_regular"),
    ("property_manager", "pm_credit", "New Commercial PM", "inst_credit"),
]
# (granting distributor, installer, grant)
INSTALLER_GRANTS = [("aktest", "inst_none", "none"), ("aktest", "inst_regular", "regular"),
                    ("aktest", "inst_credit", "credit"), ("aksub", "inst_sub", "regular")]
BILLING = {
    "aktest": ("AK Test Ltd", "Ann Tan", "1 Harbour Road, Singapore", "+65 6123 4567"),
    "inst_credit": ("Default Company", "Ben Lim", "8 Market Street, Singapore", "+65 6234 5678"),
}


def default_demo_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("smartpay", appauthor=False))
    return f"sqlite:///{data_dir / 'demo.db'}"


def is_empty(core) -> bool:
    return not Account.select().exists()


def is_demo(core) -> bool:
    """Every demo account is there: the database was seeded by `smartpay demo`."""
    logins = [login for _, login, _, _ in ACCOUNTS]
    return Account.select().where(Account.login.in_(logins)).count() == len(logins)


def reset(core) -> None:
    """Drop every table and migrate again. Refuses a database that is neither empty nor the
    demo's, so a mistyped --db cannot wipe real data."""
    from smartpay.core.db import migrations
    if migrations.current_version(core.db) > 0 and not is_empty(core) and not is_demo(core):
        raise ConfigError("db: this database holds data that is not the demo's; --reset only wipes demo databases")
    import peewee as pw
    if isinstance(core.db, pw.SqliteDatabase):
        # SQLite checks foreign keys row by row while dropping; the whole schema goes anyway.
        core.db.pragma("foreign_keys", 0)
        try:
            core.db.drop_tables(MODELS + [SchemaVersion], safe=True)
        finally:
            core.db.pragma("foreign_keys", 1)
    else:
        core.db.drop_tables(MODELS + [SchemaVersion], safe=True, cascade=True)
    core.upgrade()


def seed(core) -> bool:
    """Seed the demo world if the database holds no accounts; True when it did."""
    if not is_empty(core):
        return False
    today = core.ptime.local_date(core.clock.now())

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    a = core.accounts
    with write_transaction(core.db):
        for role, login, name, parent in ACCOUNTS:
            a.create_account(role, login, name, DEMO_PASSWORD, parent=parent, email=f"{login}@example.com")
        for granter, installer, grant in INSTALLER_GRANTS:
            core.grants.set_pay_by_installer(core.auth.actor(granter), installer, grant)

        # R3's boundary: one minute before the cut-off and one after it.
        new = a.create_project("inst_credit", "commercial", "New Commercial", "2025-06-01T09:30:00")
        a.add_item(new.id, "door", "Main Door", expires=day(60))  # the first door is free
        a.add_item(new.id, "personnel_app", "Test 1", company="Default Company", expires=day(5))
        a.add_item(new.id, "premium_feature", "Attendance", expires="2025-06-23T14:55:06")
        a.add_item(new.id, "admin_app", "Reception")  # never activated
        old = a.create_project("inst_credit", "commercial", "Old Commercial", "2025-05-31T23:59:00")
        a.add_item(old.id, "door", "Lobby Door", expires=day(20))
        a.add_item(old.id, "personnel_app", "Old App", company="Default Company", expires=day(20))

        sunrise = a.create_project("inst_regular", "community", "Sunrise Community", "2024-01-15")
        a.add_item(sunrise.id, "app", "Apt 101", email="a101@example.com", expires=day(20))
        a.add_item(sunrise.id, "app", "Apt 102", expires=day(35))
        a.add_item(sunrise.id, "app", "Apt 103")
        a.add_item(sunrise.id, "pm_app", "Front Desk", expires=day(20))
        a.add_item(sunrise.id, "premium_plan", "Package Room", expires=day(-3))
        lee = a.create_project("inst_regular", "single_family", "Lee House", "2024-03-01")
        a.add_item(lee.id, "app", "Lee Family", email="lee@example.com", expires=day(20))
        a.add_item(lee.id, "third_party_lock", "Front Lock")
        villa = a.create_project("inst_none", "single_family", "Quiet Villa", "2024-06-01")
        a.add_item(villa.id, "app", "Villa Owner", expires=day(10))
        harbour = a.create_project("inst_sub", "community", "Harbour View", "2024-05-01")
        a.add_item(harbour.id, "app", "Harbour 1", expires=day(20))

        a.assign_manager(sunrise.id, "pm_regular")
        a.assign_manager(new.id, "pm_credit")
        core.grants.set_pay_by_pm(core.auth.actor("inst_regular"), sunrise.id, "regular")
        core.grants.set_pay_by_pm(core.auth.actor("inst_credit"), new.id, "credit")

        core.coupons.issue("aktest", "50.00", "USD", day(365))
        core.coupons.issue("aktest", "20.00", "USD", day(180))
        core.coupons.issue("inst_regular", "30.00", "USD", day(365))

        core.credits.add_offline("aktest", 500, "DEMO-INV-0001 (offline sale)")
        ak = core.auth.actor("aktest")
        core.credits.assign(ak, "inst_credit", 100)
        core.credits.assign(ak, "pm_credit", 40)
        for login, info in BILLING.items():
            core.billing.save(core.auth.actor(login), *info)
    return True


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    role: str
    parent_login: str | None
    pay_by_installer: str | None
    credits: int


@dataclass(frozen=True)
class DemoProject:
    project: ProjectView
    items: tuple[ItemView, ...]


@dataclass(frozen=True)
class DemoSummary:
    accounts: tuple[DemoAccount, ...]
    projects: tuple[DemoProject, ...]
    coupons: tuple[CouponView, ...]


def summary(core) -> DemoSummary:
    """What the demo distributor's tree holds, read through the services."""
    ak = core.auth.actor(DISTRIBUTOR)
    people = [core.accounts.me(ak)] + core.accounts.users(ak)
    accounts = tuple(DemoAccount(u.login, u.name, u.role.value, u.parent_login,
                                 u.pay_by_installer.value if u.role == "installer" else None,
                                 core.credits.balance(u.id)) for u in people)
    projects = tuple(DemoProject(p, tuple(core.accounts.items(ak, p.id))) for p in core.accounts.projects(ak))
    coupons = tuple(c for u in people for c in core.coupons.for_owner(u.id))
    return DemoSummary(accounts, projects, coupons)

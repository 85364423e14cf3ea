"""Test support shared by the suite: databases, the fixed clock, and the seed guide's world."""
from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

GMT8 = dt.timezone(dt.timedelta(hours=8))
# A fixed "now": 2025-09-10 14:00 GMT+8.
NOW = dt.datetime(2025, 9, 10, 14, 0, tzinfo=GMT8)
PASSWORD = "correct-horse-1"
BACKEND = os.environ.get("SMARTPAY_TEST_DB", "sqlite")


def pg_admin_url() -> str | None:
    return os.environ.get("SMARTPAY_TEST_PG_ADMIN")


def create_pg_database() -> tuple[str, callable]:
    """A fresh database on the test server; returns its URL and a function that drops it."""
    import psycopg2

    admin = pg_admin_url()
    name = f"smartpay_test_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    parsed = urlparse(admin)
    url = parsed._replace(path=f"/{name}").geturl()

    def drop() -> None:
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()

    return url, drop


@dataclass
class World:
    """The seed guide's world, small: ids and logins tests refer to."""

    aktest: object            # distributor
    subdist: object           # sub-distributor under aktest
    inst_none: object         # installer with "No Permission"
    inst_regular: object      # installer with "Stripe/PayPal Coupon"
    inst_credit: object       # installer with "Credit"
    inst_sub: object          # installer under the sub-distributor (regular)
    other_dist: object        # an unrelated distributor
    other_inst: object        # its installer (regular)
    pm: object                # pm_regular: PM of inst_regular's community (Pay By PM set per test)
    new_commercial: object    # inst_credit, created 2025-06-01 00:00 GMT+8 (credit-eligible)
    old_commercial: object    # inst_credit, created 2025-05-31 23:59 GMT+8 (not eligible)
    community: object         # inst_regular
    single_family: object     # inst_regular
    sub_community: object     # inst_sub
    other_community: object   # other_inst
    items: dict               # name → ItemView


def build_world(core) -> World:
    a = core.accounts
    acc = {}
    for role, login, parent in [
        ("distributor", "aktest", None), ("sub_distributor", "subdist", "aktest"),
        ("installer", "inst_none", "aktest"), ("installer", "inst_regular", "aktest"),
        ("installer", "inst_credit", "aktest"), ("installer", "inst_sub", "subdist"),
        ("distributor", "other_dist", None), ("installer", "other_inst", "other_dist"),
        ("property_manager", "pm_regular", "inst_regular"), ("property_manager", "pm_credit", "inst_credit"),
    ]:
        acc[login] = a.create_account(role, login, login.replace("_", " ").title(), PASSWORD, parent=parent)
    ak = core.auth.actor("aktest")
    core.grants.set_pay_by_installer(ak, "inst_regular", "regular")
    core.grants.set_pay_by_installer(ak, "inst_credit", "credit")
    core.grants.set_pay_by_installer(core.auth.actor("subdist"), "inst_sub", "regular")
    core.grants.set_pay_by_installer(core.auth.actor("other_dist"), "other_inst", "regular")
    p = {
        "new_commercial": a.create_project("inst_credit", "commercial", "New Commercial", "2025-06-01T00:00:00+08:00"),
        "old_commercial": a.create_project("inst_credit", "commercial", "Old Commercial", "2025-05-31T23:59:00+08:00"),
        "community": a.create_project("inst_regular", "community", "Sunrise Community", "2024-01-15"),
        "single_family": a.create_project("inst_regular", "single_family", "Lee House", "2024-03-01"),
        "sub_community": a.create_project("inst_sub", "community", "Harbour View", "2024-05-01"),
        "other_community": a.create_project("other_inst", "community", "Elsewhere Towers", "2024-02-01"),
    }
    items = {}
    nc = p["new_commercial"].id
    items["door1"] = a.add_item(nc, "door", "Main Door")
    items["door2"] = a.add_item(nc, "door", "Side Door", expires="2025-09-20")
    items["test1"] = a.add_item(nc, "personnel_app", "Test 1", company="Default Company")
    items["attendance"] = a.add_item(nc, "premium_feature", "Attendance", expires="2025-06-23T14:55:06")
    items["old_app"] = a.add_item(p["old_commercial"].id, "personnel_app", "Old App", expires="2025-09-30")
    items["apt101"] = a.add_item(p["community"].id, "app", "Apt 101", email="a101@example.com", expires="2025-09-30")
    items["apt102"] = a.add_item(p["community"].id, "app", "Apt 102", expires="2025-10-15")
    items["apt103"] = a.add_item(p["community"].id, "app", "Apt 103")
    items["house"] = a.add_item(p["single_family"].id, "app", "Lee Family", expires="2025-09-30")
    items["harbour"] = a.add_item(p["sub_community"].id, "app", "Harbour 1", expires="2025-09-30")
    items["elsewhere"] = a.add_item(p["other_community"].id, "app", "Else 1", expires="2025-09-30")
    a.assign_manager(p["community"].id, "pm_regular")
    a.assign_manager(p["new_commercial"].id, "pm_credit")
    return World(acc["aktest"], acc["subdist"], acc["inst_none"], acc["inst_regular"], acc["inst_credit"],
                 acc["inst_sub"], acc["other_dist"], acc["other_inst"], acc["pm_regular"], p["new_commercial"],
                 p["old_commercial"], p["community"], p["single_family"], p["sub_community"],
                 p["other_community"], items)


def billing(core, actor) -> None:
    core.billing.save(actor, "Default Company", "Ann Tan", "1 Harbour Road, Singapore", "+65 6123 4567")

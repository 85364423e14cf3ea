"""Test support shared by the suite: databases, the fixed clock, and the seed guide's world."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import queue
import shutil
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

from argon2 import PasswordHasher, profiles

from smartpay.core import hookimpl
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.money import Money
from smartpay.core.passwords import Passwords
from smartpay.core.plugin_host import (ChargeRequest, ChargeResult, ChargeStatus, PaymentMethod, PluginHost,
                                       RefundRequest, WebhookEvent, WebhookRejected)
from smartpay.core.services.quotes import Selection

GMT8 = dt.timezone(dt.timedelta(hours=8))
# The suite creates hundreds of throwaway accounts: every core it opens gets this hasher.
CHEAP_PASSWORDS = Passwords(PasswordHasher.from_parameters(profiles.CHEAPEST))
# A fixed "now": 2025-09-10 14:00 GMT+8.
NOW = dt.datetime(2025, 9, 10, 14, 0, tzinfo=GMT8)
PASSWORD = "correct-horse-1"
BACKEND = os.environ.get("SMARTPAY_TEST_DB", "sqlite")
DAY = dt.timedelta(days=1)


def pg_admin_url() -> str | None:
    return os.environ.get("SMARTPAY_TEST_PG_ADMIN")


def _admin_run(*statements: tuple) -> None:
    import psycopg2

    conn = psycopg2.connect(pg_admin_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(*statement)
    finally:
        conn.close()


def _drop_now(name: str) -> None:
    _admin_run(("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)),
               (f'DROP DATABASE IF EXISTS "{name}"',))


class _Dropper:
    """Drops finished test databases on a background thread. PostgreSQL's DROP DATABASE waits for
    a checkpoint (a second or more on a busy machine) and no test needs its result; the queue is
    short, so a slow server makes tests wait rather than pile up databases on its disk."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._thread: threading.Thread | None = None

    def drop(self, name: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drop-test-databases", daemon=True)
            self._thread.start()
        self._queue.put(name)

    def _run(self) -> None:
        while (name := self._queue.get()) is not None:
            try:
                _drop_now(name)
            except Exception as exc:  # noqa: BLE001 — one failed drop must not stop the others
                print(f"could not drop test database {name}: {exc}", flush=True)

    def finish(self) -> None:
        """Wait until every queued database is dropped (the end of a test session)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


_dropper = _Dropper()
finish_drops = _dropper.finish


def create_pg_database(template: str | None = None) -> tuple[str, callable]:
    """A fresh database on the test server (a copy of `template` if given); returns its URL and a
    function that drops it (in the background: finish_drops() waits for every drop)."""
    name = f"smartpay_test_{uuid.uuid4().hex[:12]}"
    _admin_run((f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),))
    url = urlparse(pg_admin_url())._replace(path=f"/{name}").geturl()
    return url, lambda: _dropper.drop(name)


class _MigratedTemplate:
    """One migrated, empty database per test process, copied for each test that migrates its
    database anyway (the `core` fixture): a copy costs a file copy on SQLite and a CREATE DATABASE
    … TEMPLATE on PostgreSQL, where migrating costs most of a second. Nothing else is in it, so
    a copy is exactly what migrating a fresh database would have made."""

    def __init__(self) -> None:
        self._made: str | None = None   # the SQLite file, or the PostgreSQL database's name

    def _make(self, sqlite_dir) -> str:
        from smartpay.core.clock import FixedClock

        if BACKEND != "postgres":
            path = f"{sqlite_dir}/migrated-template.db"
            Smartpay.open(Settings(db_url=f"sqlite:///{path}"), FixedClock(NOW), upgrade=True).close()
            return path
        url, _ = create_pg_database()
        Smartpay.open(Settings(db_url=url), FixedClock(NOW), upgrade=True).close()
        return urlparse(url).path.lstrip("/")

    @contextlib.contextmanager
    def copy(self, sqlite_file, sqlite_dir):
        if self._made is None:
            self._made = self._make(sqlite_dir)
        if BACKEND != "postgres":
            shutil.copyfile(self._made, sqlite_file)
            yield f"sqlite:///{sqlite_file}"
            return
        url, drop = create_pg_database(template=self._made)
        try:
            yield url
        finally:
            drop()

    def discard(self) -> None:
        if self._made is not None and BACKEND == "postgres":
            _drop_now(self._made)
        self._made = None


migrated_template = _MigratedTemplate()


@contextlib.contextmanager
def fresh_db_url(sqlite_file, migrated_from=None):
    """A fresh database on the backend under test: the SQLite file `sqlite_file`, or a new
    database on the PostgreSQL test server (dropped afterwards). Empty, unless `migrated_from` (a
    folder for the SQLite template) asks for a copy of a migrated one."""
    if BACKEND == "postgres" and not pg_admin_url():
        import pytest
        pytest.skip("SMARTPAY_TEST_DB=postgres but SMARTPAY_TEST_PG_ADMIN is not set (run via tests/pg_run.py)")
    if migrated_from is not None:
        with migrated_template.copy(sqlite_file, migrated_from) as url:
            yield url
        return
    if BACKEND != "postgres":
        yield f"sqlite:///{sqlite_file}"
        return
    url, drop = create_pg_database()
    try:
        yield url
    finally:
        drop()


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


def credit_renewal_order(core, world, ak):
    """The seed guide's credit flow (smoke and failure-injection tests): New Commercial to 2025-09-30 on credits."""
    core.credits.add_offline("aktest", 100, "offline sale")
    billing(core, ak)
    return core.orders.create(ak, "renewal", Selection("commercial", installer="inst_credit",
                                                       project_ids=(world.new_commercial.id,)),
                              accept_terms=True, pay_in="credit", renew_mode="manual", renew_to="2025-09-30")


# -- expected values, computed by the tests themselves (not by the core) ------------------------------

def eod(y, m, d, tz=GMT8):
    """End of a day (23:59:59) in platform time, the instant expiries land on; several rule tests expect it."""
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=tz)


def days_covered(start, end):
    """Started days between two instants (every started day counts), computed here, not by the core."""
    span = end - start
    return span.days + (1 if span % DAY else 0)


def ceil_div(a, b):
    """Integer division rounding up, so expected prices need no floats."""
    return -(-a // b)


def prorated(per_30, days):
    """A per-30-days price for `days` days, rounded up: the tests' own reckoning of the proration rule."""
    return ceil_div(per_30 * days, 30)


# -- a core with a fake card provider -------------------------------------------------------------------

WEBHOOK_TEST_SECRET = "whsec_fake_test_only"  # HMAC key of FakeCard webhooks; tests only


class FakeCard(PaymentMethod):
    """An outside provider (like Stripe) that answers at once with `answer`, so payment tests need no network.

    By default each charge gets its own reference (fc_1, fc_2, ...) and a refusal carries none and the
    message "card declined"; `fixed_ref` gives every answer (refusals too) that one reference, and
    `message` may name the answer with {answer}.

    The rest of the provider contract, for reconcile, refunds, webhooks and auto-renew tests:
    - a paid charge with `request.save_method` returns `saved_method` "fc_pm_<n>";
    - `status()` answers `status_answer`, `expire()` answers `expire_answer`, `charge_saved()` answers
      `saved_answer` (each PROCESSED carries the amount and a reference), `refund()` answers `refund_answer`;
    - an operation named in `raises` (e.g. {"status"}) raises ConnectionError instead;
    - every call is recorded (`requests`, `status_calls`, `expire_calls`, `saved_requests`, `refund_requests`);
    - webhooks: JSON bodies signed with HMAC-SHA256 of WEBHOOK_TEST_SECRET in `x-fake-signature`
      (`FakeCard.webhook(...)` builds body and headers).
    """

    key = "fakecard"
    label = "Fake Card"
    supports_auto_renew = True
    settles_in_core = False

    def __init__(self, fixed_ref: str | None = None, message: str = "card declined"):
        self.answer = ChargeStatus.PROCESSED
        self.requests: list[ChargeRequest] = []
        self.fixed_ref = fixed_ref
        self.message = message
        self.status_answer = ChargeStatus.PROCESSED
        self.expire_answer = ChargeStatus.CANCELED
        self.saved_answer = ChargeStatus.PROCESSED
        self.refund_answer = ChargeStatus.PROCESSED
        self.raises: set[str] = set()
        self.status_calls: list[tuple[str, str | None]] = []
        self.expire_calls: list[tuple[str, str | None]] = []
        self.status_requests: list[ChargeRequest | None] = []   # the rebuilt request the core passed (or None)
        self.expire_requests: list[ChargeRequest | None] = []
        self.saved_requests: list[ChargeRequest] = []
        self.refund_requests: list[RefundRequest] = []
        self._numbers = itertools.count(1)

    def _maybe_raise(self, operation: str) -> None:
        if operation in self.raises:
            raise ConnectionError(f"fake provider unreachable during {operation}")

    def charge(self, request):
        self.requests.append(request)
        self._maybe_raise("charge")
        if self.answer == ChargeStatus.PROCESSED:
            ref = self.fixed_ref or f"fc_{len(self.requests)}"
            saved = f"fc_pm_{len(self.requests)}" if request.save_method else None
            return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=ref, saved_method=saved)
        return ChargeResult(self.answer, provider_ref=self.fixed_ref, message=self.message.format(answer=self.answer))

    def _answer(self, status, ref, amount=None) -> ChargeResult:
        if status == ChargeStatus.PROCESSED:
            return ChargeResult(status, amount, provider_ref=ref)
        return ChargeResult(status, provider_ref=ref, message=self.message.format(answer=status))

    def status(self, txn, provider_ref, request=None):
        self.status_calls.append((txn, provider_ref))
        self.status_requests.append(request)
        self._maybe_raise("status")
        return self._answer(self.status_answer, provider_ref or f"fc_found_{txn}")

    def expire(self, txn, provider_ref, request=None):
        self.expire_calls.append((txn, provider_ref))
        self.expire_requests.append(request)
        self._maybe_raise("expire")
        return self._answer(self.expire_answer, provider_ref)

    def charge_saved(self, request):
        self.saved_requests.append(request)
        self._maybe_raise("charge_saved")
        return self._answer(self.saved_answer, f"fc_saved_{next(self._numbers)}", request.amount)

    def refund(self, request):
        self.refund_requests.append(request)
        self._maybe_raise("refund")
        if self.refund_answer == ChargeStatus.PROCESSED:
            return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=f"re_{request.idempotency_key}")
        return ChargeResult(self.refund_answer, message="refund refused")

    # -- webhooks --------------------------------------------------------------------------------
    @staticmethod
    def webhook(event_id: str, txn: str | None, ref: str | None, status: str | None = "processed",
                amount: int | None = None, currency: str = "USD", secret: str = WEBHOOK_TEST_SECRET,
                ) -> tuple[bytes, dict[str, str]]:
        """A notification body and its headers, signed with `secret` (pass another to forge one)."""
        body = json.dumps({"id": event_id, "type": f"charge.{status or 'info'}", "txn": txn, "ref": ref,
                           "status": status, "amount": amount, "currency": currency}).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "X-Fake-Signature": f"sha256={signature}"}

    def parse_webhook(self, headers, body):
        given = headers.get("x-fake-signature", "")
        expected = "sha256=" + hmac.new(WEBHOOK_TEST_SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise WebhookRejected("signature does not match")
        try:
            data = json.loads(body)
        except ValueError:
            raise WebhookRejected("body is not JSON") from None
        result = None
        if data.get("status"):
            amount = Money(data["amount"], data["currency"]) if data.get("amount") is not None else None
            result = ChargeResult(ChargeStatus(data["status"]), amount, provider_ref=data.get("ref"),
                                  message=f"webhook {data['id']}")
        return WebhookEvent(event_id=data["id"], type=data["type"], txn=data.get("txn"),
                            provider_ref=data.get("ref"), result=result)


class FakeCardPlugin:
    """Registers one FakeCard (options passed through) as an extra plugin, the way a real payment plugin would."""

    __version__ = "1.0"

    def __init__(self, **card_options):
        self.method = FakeCard(**card_options)

    @hookimpl
    def register_payment_methods(self, register):
        register(self.method)


def open_core(db_url, clock, extra=(), ids=None, **settings):
    """A migrated core with its own `settings` and `extra` plugins (and `ids`, a SeededIds for
    repeatable transaction numbers), for tests the default `core` fixture won't fit."""
    s = Settings(db_url=db_url, **settings)
    host = PluginHost(config=s.plugin_config, extra_plugins=extra)
    return Smartpay.open(s, clock, upgrade=True, plugins=host, ids=ids, passwords=CHEAP_PASSWORDS)


def open_card_core(db_url, clock, **card_options):
    """A core with the fakecard method installed; its FakeCard is at `core.fake` so tests can set its answer."""
    plugin = FakeCardPlugin(**card_options)
    core = open_core(db_url, clock, extra=[("fakecard", plugin)])
    core.fake = plugin.method
    return core


# -- payments through the fake card: reconcile, refunds, webhooks, auto-renew ----------------------------

def card_desk(db_url, clock, ids=None, **settings):
    """A core with the fakecard method (`core.fake`), the seed world (`core.world`) and aktest's billing set."""
    plugin = FakeCardPlugin()
    core = open_core(db_url, clock, extra=[("fakecard", plugin)], ids=ids, **settings)
    core.fake = plugin.method
    core.world = build_world(core)
    billing(core, core.auth.actor("aktest"))
    return core


def community_order(core, item_names, renew_to="2025-10-30", mode="manual", **auto):
    """aktest's renewal order for Sunrise Community items (names from the seed world), manual to
    `renew_to` or, with mode="auto", one auto-renew cycle (pass auto_cycles= or auto_until=)."""
    world = core.world
    ids = tuple(world.items[name].id for name in item_names)
    selection = Selection("community", installer="inst_regular", project_ids=(world.community.id,), item_ids=ids)
    extra = dict(renew_to=renew_to) if mode == "manual" else auto
    return core.orders.create(core.auth.actor("aktest"), "renewal", selection, accept_terms=True,
                              renew_mode=mode, **extra)

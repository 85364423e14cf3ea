"""Auto-renewals against a slow provider (R7 runner): wall time vs the latency bound.

2,000 due auto-renew plans are charged by `core.renewals.run()` through a payment method that
takes 20 ms per call. With `renew_concurrency` calls at once, no runner can beat
calls × latency ÷ concurrency; the goal is to stay within 1.5× of that bound, i.e. the database
work (claim, record, plan bookkeeping) must hide behind the provider's latency.

The provider is `make_method()`: for now a FakeCard-like method that sleeps. To measure against
the Stripe emulator instead, return the Stripe plugin's method configured for an
`EmulatorServer` (emulators/server.py) started with `latency_seconds=LATENCY` — nothing else
here changes.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SMARTPAY_TEST_CHEAP_HASHES", "1")

GMT8 = dt.timezone(dt.timedelta(hours=8))
SET_UP_AT = dt.datetime(2025, 8, 31, 10, 0, tzinfo=GMT8)
RENEW_AT = dt.datetime(2025, 9, 30, 10, 0, tzinfo=GMT8)   # every plan's items expire 2025-09-30 23:59:59
LATENCY = 0.020
CONCURRENCY = 8
GOAL = 1.5


def make_method(latency: float = LATENCY):
    """The provider under test: answers PROCESSED after `latency` seconds per call."""
    from smartpay.core.plugin_host import ChargeResult, ChargeStatus, PaymentMethod

    class SlowCard(PaymentMethod):
        key = "slowcard"
        label = "Slow Card"
        supports_auto_renew = True

        def __init__(self):
            self.calls = 0

        def charge_saved(self, request):
            time.sleep(latency)
            self.calls += 1  # not exact under threads; only a sanity check
            return ChargeResult(ChargeStatus.PROCESSED, request.amount, provider_ref=f"slow_{request.txn}")

    return SlowCard()


def _plugin(method):
    """A plugin object registering `method`, as a payment plugin would."""
    from smartpay.core import hookimpl

    class BenchPlugin:
        __version__ = "bench"

        @hookimpl
        def register_payment_methods(self, register):
            register(method)

    return BenchPlugin()


def _core(db_url: str, clock, method=None, upgrade=False):
    from smartpay.core.config import Settings
    from smartpay.core.context import Smartpay
    from smartpay.core.plugin_host import PluginHost

    settings = Settings(db_url=db_url, renew_concurrency=CONCURRENCY)
    extra = []
    if method is not None:
        extra = [(method.key, _plugin(method))]
    return Smartpay.open(settings, clock, upgrade=upgrade,
                         plugins=PluginHost(config=settings.plugin_config, extra_plugins=extra))


def build_plans(core, n: int, method_key: str) -> None:
    """`n` plans, one item each, expiring 2025-09-30 23:59:59 GMT+8: bulk-inserted into the real
    models (as if `n` auto-renew orders had been paid on 2025-08-31)."""
    import json

    from smartpay.core.db.models import Item, Order, RenewalPlan, RenewalPlanItem

    core.accounts.create_account("distributor", "bench_dist", "Bench Distributor", "bench-password-1")
    ak = core.auth.actor("bench_dist")
    core.billing.save(ak, "Bench Co", "Ann Tan", "1 Harbour Road", "+65 6123 4567")
    core.accounts.create_account("installer", "bench_inst", "Bench Installer", "bench-password-1",
                                 parent="bench_dist")
    project = core.accounts.create_project("bench_inst", "community", "Bench Towers", "2024-01-15")
    now = SET_UP_AT
    expires = core.ptime.end_of_day(dt.date(2025, 9, 30))
    billing = json.dumps({"company": "Bench Co", "attn": "Ann Tan", "address": "1 Harbour Road",
                          "tel": "+65 6123 4567", "fax": ""})
    with core.db.atomic():
        Item.insert_many([dict(project=project.id, service_type="app", subject_name=f"Apt {k:04d}",
                               activated_at=now, expires_at=expires, created_at=now) for k in range(n)]).execute()
        item_ids = [r[0] for r in Item.select(Item.id).where(Item.project == project.id).order_by(Item.id).tuples()]
        Order.insert_many([dict(txn=f"{10**16 + k}", payer=ak.id, purpose="renewal", project_type="community",
                                unit="USD", total=100, state="succeeded", created_at=now, deadline_at=now, paid_at=now,
                                finished_at=now, renew_mode="auto", auto_cycles=12, terms_accepted_at=now,
                                billing_json=billing) for k in range(n)]).execute()
        order_ids = [r[0] for r in Order.select(Order.id).order_by(Order.id).tuples()]
        RenewalPlan.insert_many([dict(payer=ak.id, method=method_key, saved_method=f"pm_{k}", source_order=oid,
                                      project_type="community", cycles_limit=12, cycles_done=1, state="active",
                                      failures=0, created_at=now, updated_at=now)
                                 for k, oid in enumerate(order_ids)]).execute()
        plan_ids = [r[0] for r in RenewalPlan.select(RenewalPlan.id).order_by(RenewalPlan.id).tuples()]
        RenewalPlanItem.insert_many([dict(plan=p, item=i) for p, i in zip(plan_ids, item_ids)]).execute()


def core_cost_ms(n: int = 200) -> float:
    """Milliseconds of core work per renewal (claim + record, one thread, a provider with no
    latency): the part that cannot overlap with other renewals' provider calls."""
    from smartpay.core.clock import FixedClock

    workdir = tempfile.mkdtemp(prefix="smartpay-bench-renew0-")
    try:
        clock = FixedClock(SET_UP_AT)
        method = make_method(0.0)
        core = _core(f"sqlite:///{workdir}/renew0.db", clock, method, upgrade=True)
        build_plans(core, n, method.key)
        clock.set(RENEW_AT)
        t0 = time.perf_counter()
        summary = core.renewals.run()
        cost = (time.perf_counter() - t0) / summary.paid * 1000
        core.close()
        return cost
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench_renewals(n: int) -> str:
    from smartpay.core.clock import FixedClock
    from smartpay.core.db.models import Item

    workdir = tempfile.mkdtemp(prefix="smartpay-bench-renew-")
    try:
        db_url = f"sqlite:///{workdir}/renew.db"
        clock = FixedClock(SET_UP_AT)
        method = make_method()
        core = _core(db_url, clock, method, upgrade=True)
        build_plans(core, n, method.key)
        clock.set(RENEW_AT)
        t0 = time.perf_counter()
        summary = core.renewals.run()
        wall = time.perf_counter() - t0
        # Worthless if fast by being wrong: every plan paid once, every item moved 30 days.
        target = core.ptime.end_of_day(dt.date(2025, 10, 30))
        moved = Item.select().where(Item.expires_at == target).count()
        core.close()
        if summary.paid != n or moved != n:
            return f"renewals: WRONG: {summary.line()}; {moved} of {n} items moved"
        bound = n * LATENCY / CONCURRENCY
        ratio = wall / bound
        verdict = "ok" if ratio <= GOAL else "over"
        cost = core_cost_ms()
        return (f"auto-renew {n} due plans, provider {LATENCY * 1000:.0f} ms/call, concurrency {CONCURRENCY}: "
                f"{wall:.2f} s vs latency bound {bound:.2f} s = {ratio:.2f}x (goal <= {GOAL}x: {verdict}; SQLite; "
                f"core work {cost:.1f} ms per renewal with a 0 ms provider)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(quick: bool = False) -> list[str]:
    return [bench_renewals(400 if quick else 2000)]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for line in run(quick="--quick" in sys.argv):
        print(line)

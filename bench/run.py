"""`make bench`: three measurements, one line each (see bench/README.md).

    .venv/bin/python bench/run.py [--quick]

1. quote "all": a distributor's manual renewal quote over 2,000 projects × 50 items, against
   the time to merely load the same Item⋈Project rows (goal: under 2×).
2. ledger operations per second under contention: 4 processes doing assign/consume at once,
   on SQLite and on PostgreSQL (SMARTPAY_BENCH_PG_ADMIN, else a server on 127.0.0.1:5432 if one
   answers; a fresh database is created and dropped; "skipped" when there is none).
3. `smartpay --help` start-up time against `python -c pass`.
4. The benches in their own modules (MODULE_BENCHES): auto-renewals against a slow provider,
   the TUI's start-up against a minimal Textual app, key-to-paint latency of filtering lists,
   20 SSH sessions (memory per session, key→paint with 19 idle) against one local desk.

Not part of the test suite. Ratios are measured side by side in the same run; each figure is the
median of several repetitions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

GMT8 = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 9, 10, 14, 0, tzinfo=GMT8)
PASSWORD = "bench-password-1"
VENV_BIN = Path(sys.executable).parent


def _core(db_url: str, upgrade: bool = False):
    from smartpay.core.clock import FixedClock
    from smartpay.core.config import Settings
    from smartpay.core.context import Smartpay
    from smartpay.core.passwords import Passwords
    from argon2 import PasswordHasher, profiles
    # Only a few throwaway accounts are created here: a cheap hasher, injected.
    return Smartpay.open(Settings(db_url=db_url), FixedClock(NOW), upgrade=upgrade,
                         passwords=Passwords(PasswordHasher.from_parameters(profiles.CHEAPEST)))


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


# -- 1. quote "all" against loading the rows --------------------------------------------------------
def build_quote_world(db_url: str, projects: int, items_per_project: int, installers: int) -> None:
    """Accounts through the services; projects and items bulk-inserted into the real models."""
    from smartpay.core.db.models import Item, Project
    from smartpay.core.domain import SERVICE_TYPES, ProjectType

    core = _core(db_url, upgrade=True)
    core.accounts.create_account("distributor", "bench_dist", "Bench Distributor", PASSWORD)
    inst_ids = [core.accounts.create_account("installer", f"bench_inst_{n}", f"Bench Installer {n}", PASSWORD,
                                             parent="bench_dist").id for n in range(installers)]
    services = list(SERVICE_TYPES[ProjectType.COMMUNITY])
    rng = random.Random(42)
    created = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with core.db.atomic():
        Project.insert_many([dict(name=f"Site {p:04d}", type="community", installer=inst_ids[p % installers],
                                  created_at=created) for p in range(projects)]).execute()
        project_ids = [r[0] for r in Project.select(Project.id).order_by(Project.id).tuples()]
        batch: list[dict] = []
        for pid in project_ids:
            for n in range(items_per_project):
                # All active: expiries from 5 days to 80 days ahead, end of day in platform time.
                expires = core.ptime.end_of_day(NOW.date() + dt.timedelta(days=rng.randint(5, 80)))
                batch.append(dict(project=pid, service_type=services[n % len(services)],
                                  subject_name=f"Apt {pid}-{n:02d}", subject_email=f"r{pid}.{n}@example.com",
                                  company=None, activated_at=created, expires_at=expires, created_at=created))
                if len(batch) >= 1000:
                    Item.insert_many(batch).execute()
                    batch = []
        if batch:
            Item.insert_many(batch).execute()
    core.close()


def bench_quote(projects: int, items_per_project: int, reps: int) -> str:
    from smartpay.core.db.models import Account, Item, Project
    from smartpay.core.services.quotes import Selection

    workdir = tempfile.mkdtemp(prefix="smartpay-bench-quote-")
    try:
        db_url = f"sqlite:///{workdir}/quote.db"
        build_quote_world(db_url, projects, items_per_project, installers=4)
        core = _core(db_url)
        actor = core.auth.actor("bench_dist")
        renew_to = (NOW.date() + dt.timedelta(days=120)).isoformat()
        installers = [a.id for a in Account.select(Account.id).where(Account.login.startswith("bench_inst_"))]

        def quote():
            return core.quotes.quote(actor, "renewal", Selection("community"), renew_mode="manual",
                                     renew_to=renew_to)

        def load():
            # The same rows the quote prices: every item of the distributor's community projects,
            # with its site, through peewee, as plain tuples.
            return list(Item.select(Item.id, Item.project, Item.service_type, Item.subject_name,
                                    Item.subject_email, Item.company, Item.expires_at, Project.name)
                        .join(Project, on=(Item.project == Project.id))
                        .where(Project.installer.in_(installers) & (Project.type == "community"))
                        .order_by(Item.project, Item.id).tuples())

        n_items = projects * items_per_project
        first = quote()  # warm-up, and a check that the quote really covers every item
        assert len(first.lines) == n_items and not first.excluded, (len(first.lines), len(first.excluded))
        assert len(load()) == n_items
        q_times, l_times = [], []
        for _ in range(reps):  # interleaved, so both see the same machine state
            q_times.append(_timed(quote)[0])
            l_times.append(_timed(load)[0])
        core.close()
        q, lo = statistics.median(q_times), statistics.median(l_times)
        ratio = q / lo
        verdict = "ok" if ratio < 2 else "MISSED"
        return (f"quote all {n_items} items ({projects} projects × {items_per_project}): {q:.2f} s vs load rows "
                f"{lo:.2f} s = {ratio:.2f}x (goal < 2x: {verdict}; median of {reps})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- 2. ledger operations under contention -------------------------------------------------------------
TARGETS = ("bench_inst_0", "bench_inst_1", "bench_inst_2", "bench_inst_3")


def _ledger_worker(db_url: str, seed: int, ops: int, reps: int, barrier, results) -> None:
    from smartpay.core.db.database import write_transaction
    try:
        core = _core(db_url)
        dist = core.auth.actor("bench_dist")
        targets = {t: core.auth.actor(t).id for t in TARGETS}
        rng = random.Random(seed)
        spans = []
        for _ in range(reps):
            barrier.wait(120)
            t0 = time.time()
            for i in range(ops):
                to = rng.choice(TARGETS)
                if i % 2 == 0:
                    core.credits.assign(dist, to, 1)   # assign_out + assign_in, both accounts locked
                else:
                    with write_transaction(core.db):  # the installer consumes what it was given
                        core.credits.consume(targets[to], 1, None)
            spans.append((t0, time.time()))
        core.close()
        results.put(("ok", spans))
    except Exception as exc:  # reported by the parent
        barrier.abort()
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def _ledger_run(db_url: str, workers: int, ops: int, reps: int) -> float:
    """Median over `reps` of (all operations) / (first start to last finish)."""
    core = _core(db_url, upgrade=True)
    core.accounts.create_account("distributor", "bench_dist", "Bench Distributor", PASSWORD)
    for t in TARGETS:
        core.accounts.create_account("installer", t, t, PASSWORD, parent="bench_dist")
    # Enough for every assign; installers consume at most what they were given... almost: a consume
    # may come before the matching assign, so seed each installer with a float too.
    core.credits.add_offline("bench_dist", workers * ops * reps, "bench")
    for t in TARGETS:
        core.credits.add_offline(t, workers * ops * reps, "bench float")
    core.close()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_ledger_worker, args=(db_url, seed, ops, reps, barrier, results))
             for seed in range(workers)]
    for p in procs:
        p.start()
    out = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(60)
    errors = [msg for status, msg in out if status != "ok"]
    if errors:
        raise RuntimeError(errors[0])
    rates = []
    for r in range(reps):
        starts = [spans[r][0] for _, spans in out]
        ends = [spans[r][1] for _, spans in out]
        rates.append(workers * ops / (max(ends) - min(starts)))
    # Check the ledger afterwards: the benchmark is worthless if it was fast by being wrong.
    core = _core(db_url)
    from smartpay.core.db.models import Account
    for a in Account.select(Account.id):
        assert core.credits.balance(a.id) == core.credits.ledger_sum(a.id) >= 0
    core.close()
    return statistics.median(rates)


def _pg_admin() -> tuple[str | None, str]:
    url = os.environ.get("SMARTPAY_BENCH_PG_ADMIN")
    if url:
        return url, "SMARTPAY_BENCH_PG_ADMIN"
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql://postgres@127.0.0.1:5432/postgres", "127.0.0.1:5432"
    except OSError:
        return None, ""


def _pg_database(admin: str):
    import psycopg2
    name = f"smartpay_bench_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()

    def drop():
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()
    return urlparse(admin)._replace(path=f"/{name}").geturl(), drop


def bench_ledger(workers: int, ops: int, reps: int) -> str:
    parts = []
    workdir = tempfile.mkdtemp(prefix="smartpay-bench-ledger-")
    try:
        rate = _ledger_run(f"sqlite:///{workdir}/ledger.db", workers, ops, reps)
        parts.append(f"SQLite {rate:.0f} ops/s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    admin, where = _pg_admin()
    if admin is None:
        parts.append("PostgreSQL skipped (set SMARTPAY_BENCH_PG_ADMIN or run a server on 127.0.0.1:5432)")
    else:
        try:
            url, drop = _pg_database(admin)
        except Exception as exc:
            parts.append(f"PostgreSQL skipped ({where}: {type(exc).__name__}: {str(exc).strip()})")
        else:
            try:
                rate = _ledger_run(url, workers, ops, reps)
                parts.append(f"PostgreSQL {rate:.0f} ops/s")
            finally:
                drop()
    return (f"ledger ops under contention ({workers} processes × {ops} assign/consume, median of {reps}): "
            + ", ".join(parts))


# -- 3. start-up ------------------------------------------------------------------------------------
def _median_run(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_startup(runs: int) -> str:
    smartpay = VENV_BIN / "smartpay"
    if not smartpay.exists():
        return f"smartpay --help start-up: skipped: {smartpay} not found (run `make venv`)"
    probe = subprocess.run([str(smartpay), "--help"], capture_output=True, text=True)
    if probe.returncode != 0 or "Usage" not in probe.stdout:
        detail = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return f"smartpay --help start-up: skipped: smartpay --help failed (exit {probe.returncode}: {detail})"
    _median_run([sys.executable, "-c", "pass"], 2)  # warm the page cache for both
    _median_run([str(smartpay), "--help"], 2)
    base = _median_run([sys.executable, "-c", "pass"], runs)
    cli = _median_run([str(smartpay), "--help"], runs)
    return (f"smartpay --help start-up: {cli * 1000:.0f} ms vs python -c pass {base * 1000:.0f} ms = "
            f"{cli / base:.1f}x (+{(cli - base) * 1000:.0f} ms; median of {runs})")


# -- 4+. benches of their own modules: renewals, TUI start-up, TUI filtering ---------------------------
# Each module exposes `run(quick: bool = False) -> list[str]`; one that cannot run says so in its line.
MODULE_BENCHES = ("renewals", "tui_startup", "tui_filter", "tui_sites", "ssh_sessions")


def bench_modules(quick: bool) -> None:
    import importlib
    import inspect

    sys.path.insert(0, str(Path(__file__).parent))
    for name in MODULE_BENCHES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # not written yet
            print(f"{name}: skipped: {type(exc).__name__}: {exc}", flush=True)
            continue
        try:
            run = module.run
            lines = run(quick=quick) if "quick" in inspect.signature(run).parameters else run()
        except Exception as exc:  # one broken bench must not hide the others' lines
            lines = [f"{name}: failed: {type(exc).__name__}: {exc}"]
        for line in lines:
            print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run, to check the bench itself works")
    args = parser.parse_args(argv)
    if args.quick:
        print(bench_quote(200, 50, reps=3), flush=True)
        print(bench_ledger(workers=4, ops=50, reps=2), flush=True)
        print(bench_startup(runs=3), flush=True)
    else:
        print(bench_quote(2000, 50, reps=5), flush=True)
        print(bench_ledger(workers=4, ops=200, reps=3), flush=True)
        print(bench_startup(runs=10), flush=True)
    bench_modules(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())

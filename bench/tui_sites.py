"""Key-to-paint latency in the subscription wizard's sites step for a distributor with 10,000
sites: checking all (ctrl+a) and filtering the list.

The desk runs headless (App.run_test at 80×24) on the demo world plus 10,000 community sites of
one installer (one active app each). The distributor opens the wizard, chooses that installer,
Renew, and reaches the sites step. We time:
- select all: ctrl+a pressed → the checks repainted (Pilot.pause waits for the screen to be idle);
  every press flips all 10,001 sites between checked and unchecked;
- the price after it: ctrl+a → the debounced quote of every checked site (a worker) → the price
  shown in the bottom bar (reported apart: it is not what the key paints);
- filtering: each keystroke in the filter box → the debounced in-memory filter → the repaint.

    .venv/bin/python bench/tui_sites.py [--quick]
"""
from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time

from tui_support import NOW, demo_session, pct

SITES = 10_000
WORD = "site 0999"  # typed, then erased: narrows to 10 sites and widens back to all


def add_sites(core, installer: str, n: int) -> None:
    """n community sites of `installer`, one active app each, bulk-inserted."""
    from smartpay.core.db.database import write_transaction
    from smartpay.core.db.models import Account, Item, Project
    owner = Account.get(Account.login == installer)
    created = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    expires = core.ptime.end_of_day(NOW.date() + dt.timedelta(days=20))
    with write_transaction(core.db):
        for k in range(0, n, 500):
            Project.insert_many([dict(name=f"Site {i:05d}", type="community", installer=owner.id, created_at=created)
                                 for i in range(k, min(n, k + 500))]).execute()
        ids = [pid for (pid,) in Project.select(Project.id).where(Project.name.startswith("Site ")).tuples()]
        for k in range(0, len(ids), 500):
            Item.insert_many([dict(project=pid, service_type="app", subject_name=f"Owner {pid}", activated_at=created,
                                   expires_at=expires, created_at=created) for pid in ids[k:k + 500]]).execute()


async def _settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _until(flag, limit: float = 30.0) -> None:
    end = time.perf_counter() + limit
    while not flag() and time.perf_counter() < end:
        await asyncio.sleep(0.001)


async def _measure(session, rounds: int) -> dict:
    from smartpay.tui.app import SmartpayApp
    from smartpay.tui.screens.wizard.screen import SubscriptionWizard
    from smartpay.tui.widgets.check_table import CheckTable

    app = SmartpayApp(session.core, session=session)
    out: dict = {"select": [], "price": [], "filter": [], "filter_work": [], "baseline": [], "open": 0.0}
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.screen.show_section("subscription")
        await _settle(pilot)
        app.screen.query_one("#pane-subscription").action_new_subscription()
        await _settle(pilot)
        wizard = app.screen
        assert isinstance(wizard, SubscriptionWizard)
        wizard.query_one("#wiz-installer").value = "inst_regular"
        wizard.query_one("#wiz-type").value = "community"
        await _settle(pilot)
        t0 = time.perf_counter()
        wizard.action_next()
        table = wizard.query_one(CheckTable)
        await _until(lambda: len(table.all_keys) > SITES)
        await pilot.pause()
        out["open"] = time.perf_counter() - t0
        out["sites"] = len(table.all_keys)
        await _settle(pilot)
        wizard._quote_later.flush()
        await _settle(pilot)

        priced: list[float] = []
        original_priced = wizard._priced

        def timed_priced(*args) -> None:
            original_priced(*args)
            priced.append(time.perf_counter())
        wizard._priced = timed_priced

        table.focus()
        await pilot.pause()
        # Baseline: a key that changes nothing here (up on the first row) — the driver's own cost.
        for _ in range(rounds * 4):
            t0 = time.perf_counter()
            await pilot.press("up")
            await pilot.pause()
            out["baseline"].append(time.perf_counter() - t0)
        for _ in range(rounds * 4):
            before = len(priced)
            t0 = time.perf_counter()
            await pilot.press("ctrl+a")
            await pilot.pause()
            out["select"].append(time.perf_counter() - t0)
            await _until(lambda: len(priced) > before)
            out["price"].append(priced[-1] - t0)
            await _settle(pilot)

        details = wizard.query_one("#page-details")
        original_filter = details.apply_filter
        done: list[float] = []

        def timed_filter() -> None:
            t1 = time.perf_counter()
            original_filter()
            done.append(time.perf_counter())
            out["filter_work"].append(done[-1] - t1)
        details.apply_filter = timed_filter
        details._filter_later._callback = timed_filter
        wizard.query_one("#wiz-site-filter").focus()
        await pilot.pause()
        keys = [("space" if c == " " else c) for c in WORD] + ["backspace"] * len(WORD)
        for _ in range(rounds):
            for key in keys:
                before = len(done)
                t0 = time.perf_counter()
                await pilot.press(key)
                await _until(lambda: len(done) > before)
                await pilot.pause()
                out["filter"].append(time.perf_counter() - t0)
        await _settle(pilot)
    return out


def run(quick: bool = False) -> list[str]:
    from smartpay.tui.screens.wizard.screen import QUOTE_DELAY
    from smartpay.tui.widgets.debounce import SEARCH_DELAY

    with demo_session("aktest", lambda core: add_sites(core, "inst_regular", SITES)) as session:
        r = asyncio.run(_measure(session, 1 if quick else 3))
    ms = 1000.0
    med = lambda xs: statistics.median(xs) * ms  # noqa: E731
    p95 = lambda xs: pct(xs, 0.95) * ms  # noqa: E731
    return [
        f"tui sites: {r['sites']:,} sites listed {r['open'] * ms:.0f} ms after Next (one query, in a worker)",
        f"tui sites: select all (ctrl+a) key→paint median {med(r['select']):.0f} ms, p95 {p95(r['select']):.0f} ms "
        f"over {len(r['select'])} presses (checks of all {r['sites']:,} sites flip); a key that changes nothing "
        f"median {med(r['baseline']):.0f} ms",
        f"tui sites: price after select all median {med(r['price']):.0f} ms, p95 {p95(r['price']):.0f} ms "
        f"(includes the {QUOTE_DELAY * ms:.0f} ms debounce and the quote of every checked site)",
        f"tui sites: filter key→paint median {med(r['filter']):.0f} ms, p95 {p95(r['filter']):.0f} ms over "
        f"{len(r['filter'])} keystrokes (includes the {SEARCH_DELAY * ms:.0f} ms debounce); filter + refill "
        f"median {med(r['filter_work']):.1f} ms",
    ]


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(line)

"""Key-to-paint latency of filtering the Credit Logs pane over a 10,000-entry ledger.

The desk runs headless (App.run_test at 80×24) on the demo world plus 10,000 ledger entries.
For each keystroke typed into the filter box we time: key press → the table refilled (the
debounce timer fires, filter_ledger runs in memory, one page of rows goes into the DataTable)
→ the next paint (Pilot.pause waits for the screen to be idle again). The debounce is reported
on its own, and so is the work after it (filter + refill), so a change of either shows.

    .venv/bin/python bench/tui_filter.py [--quick]
"""
from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time

from tui_support import NOW, demo_session, pct

ENTRIES = 10_000
# Typed, then erased, several times: each press refilters (narrowing and widening the match).
WORD = "bulk-09"


def _bulk_ledger(core, login: str, n: int) -> None:
    """n entries appended to `login`'s ledger in bulk, balances chained (as tests/tui/pane_harness.py)."""
    from smartpay.core.db.database import write_transaction
    from smartpay.core.db.models import CreditEntry
    owner, other = core.auth.actor(login), core.auth.actor("inst_credit")
    balance = core.credits.balance(owner.id)
    start = NOW - dt.timedelta(days=n // 100 + 1)
    rows = []
    for i in range(n):
        amount = 5 if i % 3 else -3
        balance += amount
        rows.append(dict(account=owner.id, kind="purchase" if amount > 0 else "assign_out", amount=amount,
                         balance_after=balance, actor=owner.id, counterparty=None if amount > 0 else other.id,
                         order=None, reference=f"BULK-{i:05d}" if amount > 0 else None,
                         at=start + dt.timedelta(minutes=i)))
    with write_transaction(core.db):
        for k in range(0, n, 500):
            CreditEntry.insert_many(rows[k:k + 500]).execute()


async def _measure(session, rounds: int) -> tuple[list[float], list[float], list[float], float, int]:
    from smartpay.tui.app import SmartpayApp
    from smartpay.tui.widgets.debounce import SEARCH_DELAY

    app = SmartpayApp(session.core, session=session)
    key_to_paint: list[float] = []
    work: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.screen.show_section("credit_logs")
        for _ in range(50):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if pane.entries:
                break
        loaded = len(pane.entries)
        original = pane.apply_filter
        done: list[float] = []

        def timed_filter() -> None:
            t0 = time.perf_counter()
            original()
            done.append(time.perf_counter())
            work.append(done[-1] - t0)

        pane.query_one("#ledger-filter").focus()
        await pilot.pause()
        keys = [c for c in WORD] + ["backspace"] * len(WORD)
        # Baseline: the same keys when the filter does nothing (the echo of the key in the box,
        # and the test driver's own overhead) — what any keystroke costs here.
        baseline: list[float] = []
        pane._filter_later._callback = lambda: None
        for key in keys:
            t0 = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            baseline.append(time.perf_counter() - t0)
        pane.apply_filter = timed_filter
        pane._filter_later._callback = timed_filter
        for _ in range(rounds):
            for key in keys:
                before = len(done)
                t0 = time.perf_counter()
                await pilot.press(key)
                while len(done) == before:
                    await asyncio.sleep(0.001)
                await pilot.pause()  # the repaint after the refill
                key_to_paint.append(time.perf_counter() - t0)
    return key_to_paint, work, baseline, SEARCH_DELAY, loaded


def run(quick: bool = False) -> list[str]:
    with demo_session("aktest", lambda core: _bulk_ledger(core, "aktest", ENTRIES)) as session:
        t0 = time.perf_counter()
        session.core.credits.log(session.actor)
        load = time.perf_counter() - t0
        latency, work, baseline, debounce, loaded = asyncio.run(_measure(session, 1 if quick else 3))
    ms = 1000.0
    return [
        f"tui filter: credit log of {loaded:,} entries loads in one query in {load * ms:.0f} ms",
        f"tui filter: key→paint median {statistics.median(latency) * ms:.0f} ms, p95 {pct(latency, 0.95) * ms:.0f} ms "
        f"over {len(latency)} keystrokes (includes the {debounce * ms:.0f} ms debounce)",
        f"tui filter: after the debounce, filter + table refill median {statistics.median(work) * ms:.1f} ms, "
        f"p95 {pct(work, 0.95) * ms:.1f} ms; a keystroke that filters nothing (echo + driver) median "
        f"{statistics.median(baseline) * ms:.0f} ms",
    ]


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(line)

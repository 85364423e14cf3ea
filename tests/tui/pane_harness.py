"""Opening one of the desk's sections (Credit Logs, Orders) or the Billing information modal in a
test, in the real app (SmartpayApp, logged in on the role's home), and waiting for it to settle
by polling, never by fixed sleeps. Also builds a big ledger for the 10,000-row checks: CreditEntry
rows inserted in bulk with consistent balances (seeding them one by one through
credits.add_offline would take minutes, and the screen only reads them)."""
from __future__ import annotations

import datetime as dt
import time

from textual.widgets import Input
from shell_helpers import wait_for_workers


def desk_app(session):
    """The real desk, logged in as the session's operator, on the role's home."""
    from smartpay.tui.app import SmartpayApp
    return SmartpayApp(session.core, session=session)


async def until(pilot, condition, timeout: float = 90.0, what: str = "the app to settle") -> None:
    """Poll `condition()` between short pauses (never a fixed sleep); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def _calm(app) -> bool:
    if any(worker.is_running for worker in app.workers):
        return False
    return not any(widget.loading for screen in app.screen_stack for widget in screen.query("*"))


async def settle(pilot) -> None:
    """Let thread workers finish, their messages be handled and every loading indicator go away
    (on a busy machine a worker's message may still be queued when the worker has ended)."""
    for _ in range(3):
        await wait_for_workers(pilot.app)
        await pilot.pause()
    await until(pilot, lambda: _calm(pilot.app))
    # Stop cursor blinking on the top screen: a snapshot must not catch a blink phase.
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


async def steady(pilot) -> None:
    """Settle (which also stops the cursor blinking) before a snapshot."""
    await settle(pilot)


async def open_section(pilot, key: str):
    """Open a left-column section on the real app's home and wait for its data; returns the pane."""
    await settle(pilot)
    home = pilot.app.screen
    pane = home.show_section(key)
    await pilot.pause()
    home._focus_pane()
    await settle(pilot)
    return pane


def pane_of(app, key: str):
    return app.screen.query_one(f"#pane-{key}")


def bulk_ledger(core, login: str, n: int, start: dt.datetime | None = None) -> int:
    """Append n entries to `login`'s ledger (purchases with references, assign_outs to inst_credit),
    balances chained from the current one; returns the final balance."""
    from smartpay.core.db.database import write_transaction
    from smartpay.core.db.models import CreditEntry

    owner = core.auth.actor(login)
    counterparty = core.auth.actor("inst_credit")
    balance = core.credits.balance(owner.id)
    start = start or core.clock.now() - dt.timedelta(days=n // 100 + 1)
    rows = []
    for i in range(n):
        amount = 5 if i % 3 else -3
        balance += amount
        rows.append(dict(account=owner.id, kind="purchase" if amount > 0 else "assign_out", amount=amount,
                         balance_after=balance, actor=owner.id,
                         counterparty=None if amount > 0 else counterparty.id, order=None,
                         reference=f"BULK-{i:05d}" if amount > 0 else None,
                         at=start + dt.timedelta(minutes=i)))
    with write_transaction(core.db):
        for k in range(0, n, 500):
            CreditEntry.insert_many(rows[k:k + 500]).execute()
    return balance


def project_id(core, name: str) -> int:
    from smartpay.core.db.models import Project
    return Project.get(Project.name == name).id


def credit_renewal_order(core, login: str = "inst_credit"):
    """A processing order of the demo world: New Commercial renewed to 2025-09-30, paid in credits."""
    from smartpay.core.services.quotes import Selection
    actor = core.auth.actor(login)
    return core.orders.create(actor, "renewal", Selection("commercial", installer="inst_credit",
                                                          project_ids=(project_id(core, "New Commercial"),)),
                              accept_terms=True, pay_in="credit", renew_mode="manual", renew_to="2025-09-30")

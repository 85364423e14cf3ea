"""Driving the subscription wizard in Pilot tests and snapshots: open it from the Subscription
pane, set choices the way the operator's keys do, go Next, and wait for the workers and the
debounced price quote instead of sleeping."""
from __future__ import annotations

from shell_helpers import settle
from textual.widgets import Checkbox, Input, RadioButton, Select, SelectionList

from smartpay.tui.screens.wizard.screen import SubscriptionWizard
from smartpay.tui.widgets.check_table import CheckTable


async def calm(pilot) -> None:
    """Workers done, debounced quotes and filters run, and their results painted."""
    await settle(pilot)
    screen = pilot.app.screen
    if isinstance(screen, SubscriptionWizard):
        screen._quote_later.flush()
        screen.query_one("#page-details")._filter_later.flush()
        for box in screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would be caught in either phase
    await settle(pilot)


async def open_wizard(pilot) -> SubscriptionWizard:
    await settle(pilot)
    pane = pilot.app.screen.show_section("subscription")
    await settle(pilot)
    pane.action_new_subscription()
    await calm(pilot)
    assert isinstance(pilot.app.screen, SubscriptionWizard)
    return pilot.app.screen


async def pick(pilot, select_id: str, value) -> None:
    pilot.app.screen.query_one(f"#{select_id}", Select).value = value
    await calm(pilot)


async def press_radio(pilot, radio_id: str) -> None:
    pilot.app.screen.query_one(f"#{radio_id}", RadioButton).value = True
    await calm(pilot)


async def type_into(pilot, input_id: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#{input_id}", Input)
    box.value = text
    await calm(pilot)


async def next_step(pilot) -> None:
    pilot.app.screen.action_next()
    await calm(pilot)


async def back_step(pilot) -> None:
    pilot.app.screen.action_back()
    await calm(pilot)


def sites(pilot) -> CheckTable:
    return pilot.app.screen.query_one("#wiz-sites", CheckTable)


async def check_only(pilot, *names: str) -> None:
    """Check exactly the sites named."""
    table = sites(pilot)
    keys = [k for k, row in zip(table.all_keys, table.all_rows) if row[0] in names]
    assert len(keys) == len(names), f"sites {names} not all listed: {[r[0] for r in table.all_rows]}"
    table.set_checked(keys)
    await calm(pilot)


async def services_only(pilot, *keys: str) -> None:
    listing = pilot.app.screen.query_one("#wiz-services", SelectionList)
    listing.deselect_all()
    for key in keys:
        listing.select(key)
    await calm(pilot)


async def accept_terms(pilot) -> None:
    pilot.app.screen.query_one("#wiz-terms", Checkbox).value = True
    await calm(pilot)


def add_sites(core, installer: str, n: int, project_type: str = "community") -> None:
    """n sites ("Site 00000"…) of `installer`, one active app each, bulk-inserted (a large
    distributor's downline, for the sites step's 10,000-row tests)."""
    import datetime as dt

    from smartpay.core.db.database import write_transaction
    from smartpay.core.db.models import Account, Item, Project
    owner = Account.get(Account.login == installer)
    created = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    expires = core.ptime.end_of_day(core.ptime.local_date(core.clock.now()) + dt.timedelta(days=20))
    with write_transaction(core.db):
        for k in range(0, n, 500):
            Project.insert_many([dict(name=f"Site {i:05d}", type=project_type, installer=owner.id, created_at=created)
                                 for i in range(k, min(n, k + 500))]).execute()
        ids = [pid for (pid,) in Project.select(Project.id).where(Project.name.startswith("Site ")).tuples()]
        for k in range(0, len(ids), 500):
            Item.insert_many([dict(project=pid, service_type="app", subject_name=f"Owner {pid}", activated_at=created,
                                   expires_at=expires, created_at=created) for pid in ids[k:k + 500]]).execute()

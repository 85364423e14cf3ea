"""The sites step with a distributor's 10,000 sites: checking all, filtering and toggling act on
a set of keys and repaint; no widget is created per site, and "all" is sent to the core as all
(no list of 10,000 ids)."""
from __future__ import annotations

import pytest
from shell_helpers import settle
from wizard_steps import add_sites, calm, next_step, open_wizard, pick, sites, type_into

from smartpay.tui.app import SmartpayApp

N = 10_000


@pytest.fixture
def big_desk(session_for):
    session = session_for("aktest")
    add_sites(session.core, "inst_regular", N)
    return session


@pytest.mark.asyncio
async def test_select_all_and_filter_over_10000_sites(big_desk):
    app = SmartpayApp(big_desk.core, session=big_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_wizard(pilot)
        await pick(pilot, "wiz-installer", "inst_regular")
        await pick(pilot, "wiz-type", "community")
        await next_step(pilot)
        table = sites(pilot)
        assert len(table.all_keys) == N + 1  # and Sunrise Community
        assert table.all_checked and wizard.choices.selection().project_ids == ()
        widgets = len(list(app.screen.query("*")))  # the steps' own widgets (a few dozen)
        table.focus()
        await pilot.press("ctrl+a")  # all checked → none
        await calm(pilot)
        assert not table.checked
        assert "0 of 10,001 checked" in str(wizard.query_one("#wiz-sites-count").render())
        await type_into(pilot, "wiz-site-filter", "Site 0999")
        assert [row[0] for row in table.rows] == [f"Site 0999{d}" for d in range(10)]
        table.focus()
        await pilot.press("ctrl+a")  # checks only the ten shown
        await pilot.press("down", "space")  # and unchecks the second
        await calm(pilot)
        assert sorted(row[0] for key, row in zip(table.all_keys, table.all_rows) if key in table.checked) == \
            [f"Site 0999{d}" for d in range(10) if d != 1]
        assert len(wizard.choices.selection().project_ids) == 9
        assert "9 item(s)" in str(wizard.query_one("#wiz-price").render())
        await type_into(pilot, "wiz-site-filter", "")
        assert len(table.rows) == N + 1 and len(table.checked) == 9  # the filter never drops checks
        table.focus()
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert table.all_checked
        # No widget per site, ever (a couple may come and go: tooltips, the loading indicator).
        assert len(list(app.screen.query("*"))) <= widgets + 5 < 200

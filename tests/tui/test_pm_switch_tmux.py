"""The property manager's seed flow end to end in a real terminal (tmux, 80×24), keyboard only:
switch to "New Commercial" by its name in the header (ctrl+t), then renew its services to
2025-09-30 in credits (the seed's "Credit Payment" for property managers) and read the result.
Every wait polls the captured screen; keys go only once the screen shows their step."""
from __future__ import annotations

import shutil

import pytest

from smartpay.app import demo

from test_credit_logs_tmux import seeded_desk

pytestmark = [pytest.mark.skipif(shutil.which("tmux") is None, reason="the walk drives the app inside tmux"),
              pytest.mark.tui, pytest.mark.slow]


@pytest.fixture
def pm_terminal(tmp_path):
    with seeded_desk(tmp_path, "pm_credit", prefix="smartpay-pm") as t:
        yield t


def test_property_manager_switches_project_and_renews_with_credits(pm_terminal):
    t = pm_terminal
    t.wait_for("Password")
    t.steady()
    t.keys(demo.DEMO_PASSWORD, literal=True)
    t.keys("Enter")
    t.wait_for("All my projects ▾", "Demo · GMT+8", "2025-09-10 14:0", "^t Project")
    t.steady()
    t.keys("C-t")                                         # the project switcher, by name
    t.wait_for("Switch project", "New Commercial · Commercial", "All my projects")
    t.steady()
    t.keys("Enter")                                       # the first project is highlighted at once
    screen = t.wait_for("New Commercial ▾", "Expiration (GMT+8)", "Test 1", "Attendance")
    assert "2025-09-15 23:59" in screen and "GMT+8:00" not in screen  # the zone in the header only
    t.steady()
    t.keys("C-n")                                         # the wizard starts on the switched-to project
    t.wait_for("1 Purchase Types", "Pay By PM for 'New Commercial'", "(•) Credit Payment")
    t.steady()
    t.keys("C-n")
    t.wait_for("Service Type", "[x] Premium Feature", "1 of 1 checked")
    t.steady()
    t.keys("C-n")
    t.wait_for("Renew To", "Number of Renewal Personnel App(s): 1")
    t.steady()
    t.keys("Tab", "End", *["BSpace"] * 10)
    t.wait_for("YYYY-MM-DD")
    t.steady()
    t.keys("2025-09-30", literal=True)
    t.wait_for("Renew To: 2025-09-30")
    t.steady()
    t.keys("C-n")
    t.wait_for("Billing Information", "No billing information yet")
    t.steady()
    t.keys("Enter")                                       # Edit (it has the focus): the seed's step 7
    t.wait_for("Company/Family", "contact person", "e.g. +65 6123 4567")  # loaded (placeholders shown)
    t.steady()
    for value in ("New Commercial Ltd", "Jane Tan", "1 Harbour Road, Singapore", "+65 6123 4567"):
        t.keys(value, literal=True)
        t.wait_for(value)
        t.keys("Enter")                                   # the next field
        t.steady()
    t.keys("Enter")                                       # Fax is optional: Enter on it saves
    t.wait_for("Company/Family: New Commercial Ltd")
    t.steady()
    t.keys("C-n")
    t.wait_for("Item(s)", "Test 1", "Attendance", "[ ] By clicking the 'Pay' button")  # not accepted yet
    t.steady()
    t.keys("Space")
    t.wait_for("[x] By clicking the 'Pay' button")        # accepted: a different glyph, not a colour
    t.keys("C-n")
    t.wait_for("Pending Order", "Transaction Type: Monthly Fee", "Available Credit: 40")
    t.steady()
    t.keys("C-s")
    screen = t.wait_for("Payment Successful")
    assert "2025-09-30 23:59:59" in screen

"""`make demo`'s app end to end in a real terminal (tmux, 80×24): `smartpay demo --open --as aktest`
on a fresh database with the emulators, log in as aktest with the password the demo panel shows, renew "Test 1"
(New Commercial, with the seed guide's Attendance) to 2025-10-30 in credits through the
subscription wizard, pay on the Pending Order screen, and read the new expiry off the result
screen. Every wait polls the captured screen; keys are sent only once the screen shows the step
they belong to."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from smartpay.app import demo

from test_credit_logs_tmux import Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: the end-to-end "
                                                                     "terminal test drives the app inside tmux")
SMARTPAY = str(Path(sys.executable).with_name("smartpay"))
FAKE_NOW = "2025-09-10T14:00:00"


@pytest.fixture
def demo_terminal(tmp_path):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    name = f"smartpay-demo-{uuid.uuid4().hex[:8]}"
    command = " ".join([f"SMARTPAY_FAKE_NOW={FAKE_NOW}", "TERM=xterm-256color",
                        SMARTPAY, "demo", "--db", db, "--open", "--as", "aktest"])
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True,
                   env={**os.environ}, cwd=tmp_path)
    try:
        yield Terminal(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_make_demo_renews_test_1_with_credits_in_a_real_terminal(demo_terminal):
    t = demo_terminal
    t.wait_for("Log in with your account", "DEMO", demo.DEMO_PASSWORD, "aktest  ")  # pre-filled: the password next
    t.keys(demo.DEMO_PASSWORD, literal=True)
    t.keys("Enter")
    t.wait_for("Subscription", "Orders", "AK Test Distribution")
    t.steady()
    t.keys("Enter")                        # open the Subscription section (the first of the left column)
    t.wait_for("never activated", "New / Pay")  # its table has loaded and has the focus (its footer)
    t.keys("C-n")                          # New subscription: the wizard
    t.wait_for("1 Purchase Types", "Purchase Type", "Available Credit: 360")
    t.steady()
    t.keys("Tab", "Tab", "Right", "Space")  # Purchase Type: Renew
    t.keys("Tab", "Right", "Space")         # Payment: Credit Payment
    t.keys("C-n")
    t.wait_for("Old Commercial", "2 of 2 checked", "Credits per 30 days")  # Credit Payment was chosen
    t.steady()
    t.keys("Tab", "Tab")                    # from the site filter, past All, to the sites
    t.wait_for("space Check")
    t.keys("Down", "Space")                 # uncheck Old Commercial (before June 1, 2025)
    t.wait_for("1 of 2 checked")
    t.keys("C-n")
    t.wait_for("Renew To", "Number of Renewal Personnel App(s): 1")
    t.steady()
    t.keys("Tab", "End", *["BSpace"] * 10)
    t.wait_for("YYYY-MM-DD")                # the date box is empty
    t.steady()
    t.keys("2025-10-30", literal=True)
    t.wait_for("Renew To: 2025-10-30")
    t.keys("C-n")
    t.wait_for("Billing Information", "AK Test Ltd")
    t.keys("C-n")
    t.wait_for("2 Item(s)", "Test 1", "Attendance", "[ ] By clicking the 'Pay' button")  # the terms wrap (focus bar)
    t.steady()
    t.keys("Space")                         # the terms box has the focus on the confirmation page
    t.keys("C-n")                           # Pay: the order is placed
    screen = t.wait_for("Pending Order", "Transaction Type: Monthly Fee", "Available Credit: 360",
                        "Please complete the payment in 15:00")
    assert "Credit" in screen and "Amount Credit: 8" in screen
    t.keys("C-s")                           # Pay with credits
    screen = t.wait_for("Payment Successful", "New expiry")
    assert "Test 1 (Personnel App, New Commercial): 2025-10-30 23:59:59" in screen
    t.keys("Enter")
    t.wait_for("2025-10-30 23:59    Active    Test 1")  # the Subscription list, refreshed (zone in the header)
    t.steady()
    t.keys("Escape")                        # to the left column, then Orders (its fourth section)
    t.steady()
    t.keys("4")
    t.wait_for("Monthly Fee", "8 credits", "Successful")  # the state column comes second: not cut at 80

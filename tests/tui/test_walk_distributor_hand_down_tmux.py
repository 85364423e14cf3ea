"""The distributor's hand-down flows of the seed guide, walked as aktest with the real `smartpay
demo --open` in tmux at 80×24, keyboard only (walk_support.py), with the receiving installer's
desk open beside it in a second terminal (the plain `smartpay` on the same database):

- Allocate Credits ("Credit Logs → Assign → enter the number of credits and select the user →
  Submit"): bad amounts are refused under the field they name with nothing moved; a good one
  moves exactly that many credits, read off both desks, the CLI and the ledger.
- Grant Permission to Installers ("Users → Installer → modify → Pay by Installer"): the
  distributor takes inst_regular's grant away, and the installer's ctrl+n on Subscription is
  refused before any wizard, in full at 80 columns; granting Credit opens the wizard on Credit
  Payment. Checked in the CLI and the database as well."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
import uuid

import pytest

from smartpay.app import demo

from walk_support import FAKE_NOW, SMARTPAY, Desk, desk, flat, walk_marks  # noqa: F401 (fixture)

pytestmark = walk_marks

NO_GRANT = ("Cannot open New / Pay: Pay by Installer: your distributor has not granted you permission to pay; "
            "ask your distributor to set it")
CREDIT_LABEL = "Credit (Supported for commercial projects created after June 1, 2025)"


@pytest.fixture
def beside():
    """beside(first, login) → the plain desk (`smartpay --db … --as login`, no emulators) on the
    first desk's demo database, in a second tmux terminal at 80×24; it ends with the test."""
    names: list[str] = []

    def open_as(first: Desk, login: str) -> Desk:
        first.at("Log in with your account")       # `demo --open` has seeded the world by now
        name = f"smartpay-beside-{uuid.uuid4().hex[:8]}"
        command = " ".join([f"SMARTPAY_FAKE_NOW={FAKE_NOW}", "TERM=xterm-256color", SMARTPAY,
                            "--db", f"sqlite:///{first.db_path}", "--as", login])
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True,
                       env={**os.environ}, cwd=first.db_path.parent)
        names.append(name)
        second = Desk(name, first.db_path)
        second.at("Log in with your account", login)  # the login is filled in: the password next
        second.type(demo.DEMO_PASSWORD)
        second.press("Enter")
        second.at("Subscription", "Credit Logs", "Orders")
        return second

    try:
        yield open_as
    finally:
        for name in names:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def cli(t: Desk, login: str, *args: str):
    """`smartpay … --as LOGIN --json` on the desk's database, parsed."""
    out = subprocess.run([SMARTPAY, "--db", f"sqlite:///{t.db_path}", *args, "--as", login, "--json"],
                         env={**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW, "SMARTPAY_PASSWORD": demo.DEMO_PASSWORD},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def available(screen: str) -> int:
    """The "Available Credit: N" a Credit Logs pane (or the Assign form) shows."""
    found = re.search(r"Available Credit: ([\d,]+)", screen)
    assert found, f"no available credit on the screen:\n{screen}"
    return int(found.group(1).replace(",", ""))


def entries(screen: str) -> int:
    found = re.search(r"(\d+) entr(?:y|ies)\b", screen)
    assert found, f"no entry count on the screen:\n{screen}"
    return int(found.group(1))


def grant_in_db(t: Desk, login: str) -> str:
    with sqlite3.connect(t.db_path) as db:
        return db.execute("SELECT pay_by_installer FROM account WHERE login = ?", (login,)).fetchone()[0]


def clear_amount(t: Desk) -> None:
    """Empty the focused Amount box (its placeholder shows again)."""
    t.press("End", *["BSpace"] * 8)
    t.at("credits to assign")


def test_distributor_allocates_credits_to_an_installer_and_bad_amounts_move_nothing(desk, beside):
    t = desk("aktest")
    inst = beside(t, "inst_credit")
    inst.press("3")                                           # the installer's Credit Logs (third section)
    inst_before = available(inst.at("Credit Logs", "Available Credit:", " entr"))
    assert inst_before == cli(t, "inst_credit", "credits", "balance")["credits"]

    t.log_in()
    t.press("3")                                              # "Click the account name … select Credit Logs"
    screen = t.at("Credit Logs", "Available Credit:", " entr")
    before, logged = available(screen), entries(screen)
    assert before == cli(t, "aktest", "credits", "balance")["credits"]
    assert "a Assign" in screen                               # the footer names the seed's Assign

    t.press("a")                                              # "Check the available credits … Click Assign"
    screen = t.at("Assign Credits", f"Available Credit: {before}", "inst_credit · Installer")
    assert "Whole credits, up to your balance · Enter: next" in screen  # first focus: Amount, said under the list
    assert "^s Submit" in screen and "esc Cancel" in screen

    # Bad amounts: refused under the Amount field, the form kept, nothing moved.
    t.type(str(before + 1))
    t.press("Enter")                                          # Amount → User
    t.at("Type to search · ↓ pick from list · Enter submits")
    t.type("inst_credit")
    t.press("Enter")                                          # submits
    # The refusal under Amount, wrapped in the modal at 80 columns (the desk behind shows through
    # beside it, so the two lines are read apart).
    screen = t.at(f"Amount: {before + 1} is more than your available credit", f"({before})")
    assert "inst_credit" in screen.split("User", 1)[1]        # the user typed is still there
    t.at("Whole credits, up to your balance")                 # the focus is back on Amount
    for bad, problem in (("0", "must be greater than 0"), ("-5", "must be greater than 0"),
                         ("ten", "“ten” is not a whole number"), ("2.5", "“2.5” is not a whole number")):
        clear_amount(t)
        assert "Amount: " not in flat(t.steady())             # the stale refusal went with the value it named
        t.keys("--", bad, literal=True)                      # "--": "-5" is text, not a tmux flag
        t.at(f"Amount  ▌{bad}")                            # the focus bar, then the value
        t.press("C-s")
        t.at(f"Amount: {problem}")
    assert cli(t, "aktest", "credits", "balance")["credits"] == before
    assert cli(t, "inst_credit", "credits", "balance")["credits"] == inst_before
    assert len(cli(t, "aktest", "credits", "log")) == logged

    # Esc on a form holding typed values asks first, the safe choice focused: Enter keeps editing.
    t.press("Escape")
    screen = flat(t.at("Discard this assignment?"))
    assert "Discard (y)" in screen and "Keep editing (n)" in screen
    t.press("Enter")                                          # Keep editing: every value as it was
    screen = t.at("Amount  ▌2.5", "User     inst_credit")
    assert "Discard this assignment?" not in screen
    t.press("Escape")
    t.at("Discard this assignment?")
    t.press("y")                                              # Discard: the form goes, nothing is assigned
    screen = t.at("Credit Logs", f"{logged} entries")
    assert "Assign Credits" not in screen and available(screen) == before

    # The good amount, the user picked from the list with the keys.
    t.press("a")
    t.at("Assign Credits", "inst_credit · Installer")
    t.type("30")
    t.press("Enter")
    t.at("Type to search")
    t.press("Down")                                           # into the list: the first user is highlighted
    t.at("Enter picks the highlighted user")
    t.press("Down", "Enter")                                  # aksub, then inst_credit
    screen = t.at("User     inst_credit", "Enter: check, then confirm the assignment")
    assert "Enter picks the highlighted user" not in screen   # the hint follows the focus, now on Submit
    t.press("Enter")                                          # the focus is on Submit
    screen = flat(t.at(f"Assign 30 credits to inst_credit?", f"Your available credit will be {before - 30}."))
    assert "Assign (y)" in screen and "Back (n)" in screen
    t.press("n")                                              # Back: the form as it was, Submit focused
    screen = t.at("Amount   30", "User     inst_credit")
    assert "Assign 30 credits" not in screen
    t.press("Enter")                                          # Submit again (not Cancel)
    t.at("Assign 30 credits to inst_credit?")
    t.press("y")
    t.at("Assigned 30 credits to inst_credit.")              # the toast first: it goes after a few seconds
    screen = t.at(f"Available Credit: {before - 30}", f"{logged + 1} entries")
    newest = screen.split("Counterparty", 1)[1].splitlines()[1]  # who received them, at 80 columns
    assert "Assigned Out" in newest and "-30" in newest and "inst_credit" in newest

    # The installer's desk: refreshed, its balance grew by exactly the amount.
    inst.press("r")
    screen = inst.at(f"Available Credit: {inst_before + 30}")
    newest = screen.split("Counterparty", 1)[1].splitlines()[1]
    assert "Assigned In" in newest and "+30" in newest and "aktest" in newest

    # The CLI agrees: both balances and both ledgers.
    assert cli(t, "aktest", "credits", "balance")["credits"] == before - 30
    assert cli(t, "inst_credit", "credits", "balance")["credits"] == inst_before + 30
    out = cli(t, "aktest", "credits", "log")[0]
    assert (out["kind"], out["amount"], out["balance_after"], out["counterparty_login"]) == \
        ("assign_out", -30, before - 30, "inst_credit")
    into = cli(t, "inst_credit", "credits", "log")[0]
    assert (into["kind"], into["amount"], into["balance_after"], into["counterparty_login"]) == \
        ("assign_in", 30, inst_before + 30, "aktest")


def user_row(screen: str, login: str) -> str:
    """The Users table's row of `login` (not the search box that may hold the same text)."""
    return next(line for line in screen.splitlines() if f" {login} " in line and "Installer" in line)


def find_user(t: Desk, login: str) -> str:
    """Users: the search box (/) narrowed to `login`."""
    t.press("/")
    t.at("▌Search login, name, role, parent…")               # the box has the focus (its bar): type
    t.type(login)
    t.at("1 of 5 users")
    t.press("Enter")                                          # the search hands the focus to the list
    return t.steady()


def edit_grant(t: Desk, login: str, moves: int) -> str:
    """From the narrowed Users list (focused): Edit `login` and move Pay by Installer `moves` in
    its list; returns the form's screen (not saved yet)."""
    t.press("Enter")                                          # the highlighted (only) user: Edit
    screen = t.at(f"Edit user {login}", "Pay by Installer")
    assert re.search(r"│ Name +▌", screen), screen         # first focus: Name, its focus bar visible
    t.press("Tab", "Tab")                                     # Name → Email → Pay by Installer
    t.steady()
    t.pick(moves)
    return t.steady()


def saved(t: Desk, login: str, timeout: float = 60.0) -> str:
    """The Users list once the form has closed and said it saved `login`."""
    deadline = time.monotonic() + timeout
    while "Edit user" in t.screen():
        assert time.monotonic() < deadline, t.screen()
        time.sleep(0.2)
    return t.at(f"Saved {login}")


def test_distributor_grants_pay_by_installer_and_the_installer_feels_it(desk, beside):
    t = desk("aktest")
    inst = beside(t, "inst_regular")
    inst.press("Enter")                                       # Subscription
    inst.at("New / Pay", "Expiration (")
    inst.press("C-n")                                         # granted "Stripe/PayPal Coupon": the wizard opens
    screen = inst.at("1 Purchase Types", "Pay by Installer: Stripe/PayPal Coupon")
    assert "(•) Regular Payment" in screen
    inst.press("Escape")                                      # nothing chosen yet: closes without asking
    inst.at("New / Pay", "Expiration (")

    t.log_in()
    t.press("2")                                              # "click Users on the left column"
    screen = t.at("Users", "inst_regular", "5 users")
    row = user_row(screen, "inst_regular")
    assert "Installer" in row and "Stripe/PayPal Coupon" in row
    assert "^e Edit" in screen and "^n New" in screen

    # Take the grant away.
    find_user(t, "inst_regular")
    screen = edit_grant(t, "inst_regular", -1)                # Stripe/PayPal Coupon → No Permission
    assert "Pay by Installer  ▌No Permission" in screen
    assert "^s Save" in screen and "esc Cancel" in screen
    t.press("C-s")
    screen = saved(t, "inst_regular")
    row = user_row(screen, "inst_regular")
    assert "No Permission" in row
    assert grant_in_db(t, "inst_regular") == "none"
    assert {u["login"]: u["pay_by_installer"] for u in cli(t, "aktest", "users")}["inst_regular"] == "none"

    # The installer's desk, untouched since: New / Pay is refused before any wizard, in full.
    inst.press("C-n")
    screen = inst.at("Cannot open New / Pay")
    assert "1 Purchase Types" not in screen
    assert NO_GRANT in flat(screen)

    # Esc on the form is Cancel, as its footer says; the changed choice is discarded only when
    # the operator says so, and then not saved.
    screen = edit_grant(t, "inst_regular", 2)                 # No Permission → Credit
    assert "Pay by Installer  ▌Credit (Supported" in screen
    t.press("Escape")
    t.at("Discard your changes to inst_regular?")
    t.press("y")
    screen = t.at("1 of 5 users")
    assert "Edit user" not in screen
    assert "No Permission" in user_row(screen, "inst_regular")
    assert grant_in_db(t, "inst_regular") == "none"

    # Grant Credit, this time saved.
    edit_grant(t, "inst_regular", 2)
    t.press("C-s")
    screen = saved(t, "inst_regular")
    assert "Credit" in user_row(screen, "inst_regular")
    assert grant_in_db(t, "inst_regular") == "credit"
    assert {u["login"]: u["pay_by_installer"] for u in cli(t, "aktest", "users")}["inst_regular"] == "credit"
    t.press("/")                                              # the search box, focused…
    t.at("▌inst_regular")
    t.press("End", "C-u")                                     # …emptied: every user again
    screen = t.at("aksub", "inst_sub")
    assert "Credit" in user_row(screen, "inst_regular") and "Credit" in user_row(screen, "inst_credit")

    # The installer: the wizard opens, on the Credit Payment its grant allows.
    inst.press("C-n")
    screen = inst.at("1 Purchase Types", "Pay by Installer: Credit")
    assert "Cannot open New / Pay" not in screen
    assert f"Pay by Installer: {CREDIT_LABEL}" in flat(screen)
    assert "(•) Credit Payment" in screen and "( ) Regular Payment" in screen

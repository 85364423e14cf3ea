"""Forms at the desk (issue 10 item 11): a distributor adds a user at 80×24 with the keyboard only
(real `smartpay demo --open` in tmux), enters two bad fields, sees both marked under their fields
with their labels at once, fixes them one by one — each error leaving as its field is fixed,
the other staying — and saves."""
from __future__ import annotations

import sqlite3
import time

from walk_support import desk, walk_marks  # noqa: F401 (fixture)

pytestmark = walk_marks

LOGIN_PROBLEM = "Login: “a b” is not a login: use 3–64 letters, digits or . _ @ -"
EMAIL_PROBLEM = "Email: “nora@” is not an email address (like ann@example.com)"


def inside(screen: str) -> str:
    """The modal's words as one line: what lies between its borders (the pane behind it shows
    at the edges), so an error wrapped under its field reads as one."""
    lines = [line[line.index("│") + 1:line.rindex("│")] for line in screen.splitlines() if line.count("│") >= 2]
    return " ".join(" ".join(lines).split())


def test_distributor_new_user_sees_every_bad_field_in_place_fixes_and_saves(desk):
    t = desk("aktest")
    t.log_in()
    t.press("2")                                   # Users (the left column's second section)
    t.at("inst_regular", "Pay by Installer")
    t.press("C-n")
    t.at("New user", "Password", "Save")
    t.press("Tab", "Tab")                          # Role → Parent → Login
    t.type("a b")
    t.press("Tab")
    t.type("Nora Lim")
    t.press("Tab")
    t.type("nora@")
    t.press("Tab")
    t.type("long-enough-pw")
    t.press("C-s")
    screen = inside(t.at("is not a login", "is not an email address"))
    assert LOGIN_PROBLEM in screen and EMAIL_PROBLEM in screen      # both at once, with their labels
    assert "Nora Lim" in screen and "a b" in screen                   # nothing typed is lost
    assert screen.index("Login") < screen.index(LOGIN_PROBLEM) < screen.index("Name")  # under its field
    # The first bad field has the focus: fix the login; only its error goes.
    t.press("BSpace", "BSpace", "BSpace")
    t.type("nora_lim")
    screen = inside(t.at("nora_lim"))
    assert LOGIN_PROBLEM not in screen and EMAIL_PROBLEM in screen
    t.press("Tab", "Tab")                          # Login → Name → Email: Tab selects its text,
    t.steady()                                     # so typing replaces it (once the focus has moved)
    t.type("nora@example.com")
    screen = inside(t.at("nora@example.com"))
    assert EMAIL_PROBLEM not in screen and "Nora Lim" in screen
    t.press("C-s")
    # Saved: the form closes (its own fields also say "nora_lim" and "Pay by Installer", so wait
    # for the title to go before reading the Users list behind it).
    deadline = time.monotonic() + 60
    while "New user" in t.screen():
        assert time.monotonic() < deadline, f"the form did not close after Save:\n{t.screen()}"
        time.sleep(0.2)
    screen = t.at("nora_lim", "Pay by Installer")
    assert "New user" not in screen
    with sqlite3.connect(t.db_path) as db:
        assert db.execute("select name, email from account where login = 'nora_lim'").fetchall() == [
            ("Nora Lim", "nora@example.com")]

"""The seed guide's flows walked end to end with the real `smartpay demo --open` (the demo world,
its in-process Stripe and PayPal emulators, SMARTPAY_FAKE_NOW at the guide's date) in tmux at
80×24, keyboard only. Each key group waits for the screen it belongs to and for the screen to
settle, so a slow machine makes a walk slower, never flaky.

A hosted page is paid the way the README's curl lines do (the emulator's Pay / Approve POST);
its address is read from the demo database (the attempt's redirect URL) rather than off the
screen, where the URL may wrap or be cut at 80 columns."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from smartpay.app import demo

from test_credit_logs_tmux import Terminal

SMARTPAY = str(Path(sys.executable).with_name("smartpay"))
FAKE_NOW = "2025-09-10T14:00:00"
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: the walks drive the "
                                                                     "real app inside tmux")
walk_marks = [needs_tmux, pytest.mark.tui, pytest.mark.slow]


def flat(screen: str) -> str:
    """The screen's words as one line, without the left column, box borders and the focus bar
    (▌, on every line of the focused control), so a message wrapped over several lines (inside a
    pane, a modal or a focused tick box) reads as one."""
    lines = [line.split("▕", 1)[1] if "▕" in line else line for line in screen.splitlines()]
    return " ".join(" ".join(lines).replace("│", " ").replace("▌", " ").split())


class Desk(Terminal):
    """The demo desk in tmux, with its database (to find a hosted page's address)."""

    def __init__(self, name: str, db_path: Path) -> None:
        super().__init__(name)
        self.db_path = db_path

    def at(self, *texts: str, timeout: float = 60.0) -> str:
        """Wait for `texts` (as painted, or wrapped over lines: see flat), then for the screen to
        settle; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen or text in flat(screen) for text in texts):
                return self.steady()
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts!r} did not all appear within {timeout:.0f}s; the screen shows:\n{screen}")
            time.sleep(0.2)

    def press(self, *keys: str) -> None:
        self.keys(*keys)
        time.sleep(0.15)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def log_in(self) -> str:
        self.at("Log in with your account", demo.DEMO_PASSWORD)
        self.type(demo.DEMO_PASSWORD)
        self.press("Enter")
        return self.at("Subscription", "Orders")

    def open_wizard(self) -> str:
        """Home → Subscription → New / Pay (ctrl+n)."""
        self.press("Enter")                         # Subscription is the left column's first section
        self.at("New / Pay", "Expiration (GMT+8)")
        self.press("C-n")
        return self.at("1 Purchase Types", "Purchase Type")

    def pick(self, downs: int) -> None:
        """In a focused Select: open it, move `downs` (negative: up) from the current value, choose."""
        self.press("Enter")
        self.steady()
        self.press(*(["Down"] * downs if downs >= 0 else ["Up"] * -downs), "Enter")
        self.steady()

    def hosted_url(self, method: str, timeout: float = 30.0) -> str:
        """The hosted page's address of the latest attempt with `method` (what the desk shows)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with sqlite3.connect(self.db_path) as db:
                row = db.execute("SELECT redirect_url FROM payment_attempt WHERE method = ? AND redirect_url "
                                 "IS NOT NULL ORDER BY id DESC LIMIT 1", (method,)).fetchone()
            if row:
                return row[0]
            time.sleep(0.2)
        raise AssertionError(f"no {method} page was opened")

    def pay_hosted(self, method: str) -> None:
        """The payer presses Pay (Stripe) or Approve (PayPal) on the emulator's page: the README's curl."""
        url = self.hosted_url(method)
        if method == "stripe":
            target = f"{url}/pay"
        else:
            target = url.replace("/checkoutnow?", "/checkoutnow/approve?")
        with urllib.request.urlopen(urllib.request.Request(target, method="POST", data=b""), timeout=30) as answer:
            assert answer.status in (200, 302, 303), answer.status

    def balance(self, login: str) -> int:
        """`smartpay credits balance --as LOGIN --json` on the desk's database."""
        out = subprocess.run([SMARTPAY, "--db", f"sqlite:///{self.db_path}", "credits", "balance", "--as", login,
                              "--json"], env={**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW,
                                              "SMARTPAY_PASSWORD": demo.DEMO_PASSWORD},
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        return int(data["credits"])


@pytest.fixture
def desk(tmp_path):
    """desk(login) → the demo desk opened as `login` (login filled in) in tmux 80×24; the tmux
    session (and with it the app and its emulators) ends with the test."""
    names: list[str] = []

    def open_as(login: str) -> Desk:
        db_path = tmp_path / "demo.db"
        name = f"smartpay-walk-{uuid.uuid4().hex[:8]}"
        command = " ".join([f"SMARTPAY_FAKE_NOW={FAKE_NOW}", "TERM=xterm-256color", SMARTPAY, "demo",
                            "--db", f"sqlite:///{db_path}", "--open", "--as", login])
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True,
                       env={**os.environ}, cwd=tmp_path)
        names.append(name)
        return Desk(name, db_path)

    try:
        yield open_as
    finally:
        for name in names:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)

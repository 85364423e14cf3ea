"""End to end through the real `smartpay` command in a terminal (tmux, 80×24): log in, open
Credit Logs, assign credits to an installer, confirm, and read the new balance off the screen.
Waits poll the captured screen, so a slow machine only makes the test slower, never flaky."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from smartpay.app import demo

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: the end-to-end "
                                                                     "terminal test drives the app inside tmux")
SMARTPAY = str(Path(sys.executable).with_name("smartpay"))
FAKE_NOW = "2025-09-10T14:00:00"


class Terminal:
    def __init__(self, name: str) -> None:
        self.name = name

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True,
                              text=True).stdout

    def steady(self, timeout: float = 60.0) -> str:
        """The screen once it has stopped changing (workers done, focus moved): keys sent before
        a page has focused its first field would land elsewhere."""
        deadline = time.monotonic() + timeout
        last = self.screen()
        while time.monotonic() < deadline:
            time.sleep(0.4)
            now = self.screen()
            if now == last:
                return now
            last = now
        raise AssertionError(f"the screen kept changing for {timeout:.0f}s:\n{last}")

    def wait_for(self, *texts: str, timeout: float = 120.0) -> str:
        """The screen once every one of `texts` is on it (a label may be painted before a table)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts!r} did not all appear within {timeout:.0f}s; the screen shows:\n{screen}")
            time.sleep(0.2)

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)


@contextmanager
def seeded_desk(tmp_path: Path, login: str, prefix: str = "smartpay-e2e"):
    """The real `smartpay` desk in a new 80×24 tmux session, on a freshly seeded demo database
    (fixed clock), opened on `login`'s password prompt; the session is killed afterwards."""
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    env = {**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW}
    seeded = subprocess.run([SMARTPAY, "--db", db, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    command = " ".join([f"SMARTPAY_FAKE_NOW={FAKE_NOW}", "TERM=xterm-256color", SMARTPAY, "--db", db,
                        "--as", login])
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True,
                   env=env, cwd=tmp_path)
    try:
        yield Terminal(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    with seeded_desk(tmp_path, "aktest") as t:
        yield t


def test_r11_assign_credits_end_to_end_in_a_real_terminal(terminal):
    terminal.wait_for("Password")
    terminal.keys(demo.DEMO_PASSWORD, literal=True)
    terminal.keys("Enter")
    terminal.wait_for("Credit Logs")  # the left column
    terminal.keys("3")                # Credit Logs is the distributor's third section
    terminal.wait_for("Available Credit: 360")
    terminal.keys("a")
    terminal.wait_for("Assign Credits")
    terminal.keys("250", literal=True)
    terminal.keys("Enter")
    # Keys typed before the focus has moved would land in the amount box: wait for the user box's hint.
    terminal.wait_for("Type to search")
    terminal.keys("inst_credit", literal=True)
    terminal.keys("Enter")
    terminal.wait_for("Assign 250 credits to inst_credit?")
    terminal.keys("y")
    # The balance and the log repaint separately: wait for both (wait_for fails with the screen).
    screen = terminal.wait_for("Available Credit: 110", "Assigned Out", "-250", "4 entries")
    assert "4 entries" in screen

"""M9: one process per terminal, gone with it. The real `smartpay` (the desk, and `demo --open`
with its emulator threads) runs in tmux; when the terminal goes away — the tmux session is killed,
or the process gets SIGHUP — it must be gone within two seconds, not left spinning on a dead pty."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from test_credit_logs_tmux import Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("make") is None,
                                reason="tmux or make is not installed: the test runs the app as `make demo` does")
SMARTPAY = str(Path(sys.executable).with_name("smartpay"))
FAKE_NOW = "2025-09-10T14:00:00"
BUDGET = 2.0  # seconds, M9


def alive(pid: int) -> bool:
    """Running (a zombie waiting for tmux to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone_within(pid: int, seconds: float) -> float | None:
    """How long `pid` took to end, or None if it still runs after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds + 0.05:
        if not alive(pid):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def start(tmp_path, *args: str) -> tuple[Terminal, int]:
    """`smartpay *args` in a new tmux session the way `make demo` runs it: as a recipe of make,
    which is the terminal's session leader. make gets the hang-up; the app only sees its pty go
    away (the case that was left spinning at 50-75% CPU)."""
    name = f"smartpay-m9-{uuid.uuid4().hex[:8]}"
    recipe = " ".join(["env", f"SMARTPAY_FAKE_NOW={FAKE_NOW}",
                       "TERM=xterm-256color", SMARTPAY, *args])
    (tmp_path / "Makefile").write_text(f"desk:\n\t{recipe}\n")
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", "exec make -s desk"],
                   check=True, cwd=tmp_path)
    shell = int(subprocess.run(["tmux", "list-panes", "-t", name, "-F", "#{pane_pid}"], capture_output=True,
                               text=True, check=True).stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # make runs a one-command recipe as its direct child
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        if children and "smartpay" in Path(f"/proc/{children[0]}/cmdline").read_text():
            return Terminal(name), int(children[0])
        time.sleep(0.05)
    raise AssertionError("smartpay did not start under its parent")


def stop(terminal: Terminal, pid: int) -> None:
    subprocess.run(["tmux", "kill-session", "-t", terminal.name], capture_output=True)
    if alive(pid):  # the test failed: leave nothing behind
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def seeded_db(tmp_path):
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    env = {**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW}
    seeded = subprocess.run([SMARTPAY, "--db", db, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    return db


@pytest.mark.parametrize("how", ["kill-session", "sighup"])
def test_m9_demo_open_ends_with_its_terminal(tmp_path, how):
    terminal, pid = start(tmp_path, "demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--open", "--as", "aktest")
    try:
        terminal.wait_for("Log in with your account", "DEMO")
        time.sleep(0.5)  # the emulators and the core are up behind the login screen
        if how == "sighup":
            os.kill(pid, signal.SIGHUP)
        else:
            subprocess.run(["tmux", "kill-session", "-t", terminal.name], check=True)
        took = gone_within(pid, BUDGET)
        assert took is not None, f"`smartpay demo --open` still runs {BUDGET}s after {how}"
    finally:
        stop(terminal, pid)


@pytest.mark.parametrize("how", ["kill-session", "sighup"])
def test_m9_the_desk_ends_with_its_terminal_after_login(tmp_path, seeded_db, how):
    from smartpay.app import demo
    terminal, pid = start(tmp_path, "--db", seeded_db, "--as", "aktest")
    try:
        terminal.wait_for("Password")
        terminal.keys(demo.DEMO_PASSWORD, literal=True)
        terminal.keys("Enter")
        terminal.wait_for("Credit Logs")  # logged in: the home screen
        if how == "sighup":
            os.kill(pid, signal.SIGHUP)
        else:
            subprocess.run(["tmux", "kill-session", "-t", terminal.name], check=True)
        assert gone_within(pid, BUDGET) is not None, f"`smartpay` still runs {BUDGET}s after {how}"
    finally:
        stop(terminal, pid)

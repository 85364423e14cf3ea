"""`smartpay` (the full-screen desk) start-up: time from process start until the login screen is
mounted and painted, against a minimal Textual app measured the same way in the same run
(goal: under 1.5×).

Both run in a pseudo-terminal (a real App.run() needs one) and exit by themselves once ready:
the desk through SMARTPAY_TUI_EXIT_WHEN_READY=1, the minimal app from its own on_mount. The
figure is the median of several interleaved runs of each.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
RUNS = 7
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Input, Label

class Minimal(App):
    def compose(self):
        yield Label("Log in with your account")
        yield Input(placeholder="Login")
        yield Input(placeholder="Password", password=True)
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.exit)

Minimal().run()
"""


def _time_in_pty(argv: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from spawning `argv` on a fresh pty until it exits (its output is drained so it
    never blocks on a full terminal buffer)."""
    master, slave = os.openpty()
    env = {**env, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    try:
        code = proc.wait(timeout=timeout)
    finally:
        elapsed = time.perf_counter() - start
        if proc.poll() is None:
            proc.kill()
        os.close(slave)
        os.close(master)
    if code != 0:
        raise RuntimeError(f"{argv[0]} exited with {code}")
    return elapsed


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'startup.db'}"
        env = {k: v for k, v in os.environ.items() if k != "SMARTPAY_DB"}
        subprocess.run([str(VENV_BIN / "smartpay"), "--db", db, "db", "upgrade"], env=env, check=True,
                       capture_output=True)
        desk_env = {**env, "SMARTPAY_TUI_EXIT_WHEN_READY": "1"}
        desk_argv = [str(VENV_BIN / "smartpay"), "--db", db]
        minimal_argv = [sys.executable, "-c", MINIMAL_APP]
        _time_in_pty(desk_argv, desk_env)  # warm the file cache for both
        _time_in_pty(minimal_argv, env)
        desk, minimal = [], []
        for _ in range(RUNS):
            desk.append(_time_in_pty(desk_argv, desk_env))
            minimal.append(_time_in_pty(minimal_argv, env))
    d, m = statistics.median(desk), statistics.median(minimal)
    verdict = "ok" if d / m < 1.5 else "over the goal"
    return [f"tui start-up: `smartpay` to a ready login screen {d * 1000:.0f} ms vs minimal Textual app "
            f"{m * 1000:.0f} ms = {d / m:.2f}x (goal < 1.5x: {verdict}; median of {RUNS})"]


if __name__ == "__main__":
    print("\n".join(run()))

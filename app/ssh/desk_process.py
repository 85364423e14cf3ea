"""One desk process per SSH session, in its own pty.

The child is `python -m smartpay.app.cli.main ssh desk`, a new session leader with the pty as its
controlling terminal (so a resize reaches it as SIGWINCH and a hang-up as SIGHUP). It starts
logged in by redeeming a one-time ticket that it reads from an inherited pipe — never from its
command line (which every local user can read) nor its environment. The database URL, which may
hold a password, travels in the environment (readable only by the same user), as systemd passes it.
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios

TICKET_FD_ENV = "SMARTPAY_DESK_TICKET_FD"
END_GRACE = 1.5  # seconds between SIGHUP and SIGKILL
# What the child inherits from the server's environment; nothing else (no agent sockets, no
# variables a client might have set).
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SMARTPAY_DB", "SMARTPAY_CONFIG",
              "SMARTPAY_DISABLE_PLUGINS", "SMARTPAY_FAKE_NOW", "PYTHONPATH")


def _take_terminal() -> None:
    # Runs in the child after setsid(): make the pty (its stdin) the controlling terminal.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def clean_term(term: str | None) -> str:
    """The client's TERM if it is a plain name, else a safe default."""
    term = (term or "").strip()
    if term and len(term) <= 64 and all(ch.isalnum() or ch in "-_.+" for ch in term):
        return term
    return "xterm-256color"


class DeskProcess:
    """A started desk: its pty master, pid, and what the server does with it."""

    def __init__(self, ticket: str, term: str, cols: int, rows: int, extra_env: dict[str, str]):
        self.master, slave = pty.openpty()
        self.resize(cols, rows)
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, ticket.encode() + b"\n")  # 44 bytes: fits the pipe buffer
        finally:
            os.close(write_end)
        env = {k: v for k, v in os.environ.items() if k in PASSED_ENV}
        env.update(extra_env)
        env.update({"TERM": clean_term(term), TICKET_FD_ENV: str(read_end)})
        env.setdefault("LANG", "C.UTF-8")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "smartpay.app.cli.main", "ssh", "desk"],
                stdin=slave, stdout=slave, stderr=slave, env=env, pass_fds=(read_end,), close_fds=True,
                start_new_session=True, preexec_fn=_take_terminal)
        finally:
            os.close(slave)
            os.close(read_end)
        os.set_blocking(self.master, False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def resize(self, cols: int, rows: int) -> None:
        cols, rows = max(1, min(int(cols or 80), 1000)), max(1, min(int(rows or 24), 1000))
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def write(self, data: bytes) -> None:
        """Keys from the client. A desk that reads nothing for long fills the pty buffer; then
        the rest of this write is dropped rather than stalling every other session."""
        while data:
            try:
                written = os.write(self.master, data)
            except BlockingIOError:
                return
            except OSError:  # the desk is gone; its end is noticed by the reader
                return
            data = data[written:]

    async def end(self) -> int | None:
        """Hang up the desk (SIGHUP to its process group, as a terminal would), SIGKILL after
        END_GRACE seconds; returns its exit code. Safe to call twice."""
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGHUP)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + END_GRACE
            while self.proc.poll() is None and loop.time() < deadline:
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                _signal_group(self.proc.pid, signal.SIGKILL)
                await asyncio.to_thread(self.proc.wait)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
        return self.proc.returncode


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the desk is its group's leader: this reaches anything it started
    except ProcessLookupError:
        pass

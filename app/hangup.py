"""M9: one process per terminal, gone with it.

When the terminal of a full-screen desk goes away — tmux kills the session, the SSH connection
drops, the window closes — the kernel hangs up the pty: reads fail, polls answer POLLHUP, and a
SIGHUP may or may not arrive (it goes to the session leader; under `make demo` that is make, not
us). Textual's input thread reads "nothing" in a loop on such a terminal and the app never ends,
at 50–75% CPU. `run_desk` watches for both signs and ends the app within two seconds:

- SIGHUP (or POLLHUP/POLLERR/POLLNVAL on stdin, polled without reading it) asks the app to exit,
  so the normal clean-up runs (the demo stops its emulator threads, the core closes);
- if that has not finished within GRACE seconds — writes to a dead pty can block or fail halfway
  through Textual's shutdown — the process ends with os._exit(129). Nothing half-written
  survives that: every write is a database transaction, and an interrupted payment call is an
  unknown attempt for reconcile (M3)."""
from __future__ import annotations

import os
import select
import signal
import sys
import threading

GRACE = 1.2     # seconds for a clean exit before the hard one; the whole budget is 2 s
POLL_EVERY = 0.2
EXIT_HUNG_UP = 128 + signal.SIGHUP


def terminal_gone(fd: int) -> bool:
    """True when `fd` (stdin) is hung up, errored or closed. Polls only for those events, so no
    byte of input is consumed (Textual's own reader gets every key)."""
    poller = select.poll()
    poller.register(fd, 0)  # POLLHUP, POLLERR and POLLNVAL are always reported
    try:
        return any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, event in poller.poll(0))
    except OSError:
        return True


class HangupGuard:
    """Ends `guard.app` (a Textual App, set once built) when the terminal goes away; `os._exit`
    after GRACE seconds. Everything inside the `with` — the app and any clean-up after it — is
    under the same deadline."""

    def __init__(self, app=None, fd: int | None = None) -> None:
        self.app = app
        self._fd = sys.__stdin__.fileno() if fd is None and sys.__stdin__ else fd
        self._hung_up = threading.Event()
        self._done = threading.Event()
        self._previous = None

    def __enter__(self) -> "HangupGuard":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGHUP, lambda *_: self._hung_up.set())
        threading.Thread(target=self._watch, name="hangup-guard", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._previous is not None:
            signal.signal(signal.SIGHUP, self._previous)

    def _watch(self) -> None:
        while not self._done.is_set():
            if self._hung_up.wait(POLL_EVERY) or (self._fd is not None and terminal_gone(self._fd)):
                break
        else:
            return
        # Asking may itself block on a wedged event loop: ask from another daemon thread.
        threading.Thread(target=self._ask_exit, name="hangup-exit", daemon=True).start()
        if not self._done.wait(GRACE):
            os._exit(EXIT_HUNG_UP)

    def _ask_exit(self) -> None:
        try:
            if self.app is not None:
                self.app.call_from_thread(self.app.exit)
        except Exception:  # the app is already closing: the hard exit above still applies
            pass


def run_desk(app) -> None:
    """`app.run()` (a Textual App) that ends when its terminal goes away."""
    with HangupGuard(app):
        app.run()

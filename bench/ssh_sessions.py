"""20 SSH sessions on this machine: memory per session, and key→paint in one session while the
other 19 idle, side by side with one local desk.

A real `smartpay ssh serve` on the seeded demo desk (SQLite, throw-away), reached by 20 real
OpenSSH clients (`ssh -tt`, each in its own 80×24 pty that this bench drains). Memory is the
proportional set size (PSS, shared pages divided among their users) of each desk process, from
/proc/PID/smaps_rollup, and the server's own. Key→paint: Down/Up in the Subscription table (Enter first, to focus it),
timed from writing the key to the client's pty until the repainted screen has arrived (the first
output, then 30 ms of quiet). The local desk is `smartpay --as aktest` in a pty of its own,
measured with the same keys the same way.

    .venv/bin/python bench/ssh_sessions.py [--quick]
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from tui_support import pct

BIN = Path(sys.executable).parent
SMARTPAY = str(BIN / "smartpay")
FAKE_NOW = "2025-09-10T14:00:00"
SESSIONS = 20
QUIET = 0.03


class Pty:
    """A program in its own 80×24 pty; a thread keeps its output (so it never blocks)."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.master, slave = pty.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.out = bytearray()
        self.last_output = time.perf_counter()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.master, selectors.EVENT_READ)
        while not self.closed:
            if not sel.select(0.2):
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.out += data
                self.last_output = time.perf_counter()

    def wait_for(self, text: bytes, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.out:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{text!r} did not appear (exit {self.proc.poll()})")
            time.sleep(0.05)

    def key_to_paint(self, key: bytes) -> float:
        with self.lock:
            seen = len(self.out)
        t0 = time.perf_counter()
        os.write(self.master, key)
        while True:
            time.sleep(0.001)
            with self.lock:
                if len(self.out) > seen and time.perf_counter() - self.last_output >= QUIET:
                    return self.last_output - t0

    def close(self) -> None:
        self.closed = True
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGHUP)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def latencies(desk: Pty, presses: int) -> list[float]:
    desk.key_to_paint(b"\r")  # from the section list into the Subscription table
    time.sleep(1.0)
    out = []
    for i in range(presses):
        out.append(desk.key_to_paint(b"\x1b[B" if i % 2 == 0 else b"\x1b[A"))
        time.sleep(0.05)
    return out


def run(quick: bool = False) -> list[str]:
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return ["ssh sessions: skipped: the OpenSSH client is not installed"]
    sessions, presses = (4, 10) if quick else (SESSIONS, 60)
    env = {**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW, "SMARTPAY_TEST_CHEAP_HASHES": "1", "TERM": "xterm-256color"}
    env.pop("SMARTPAY_DB", None)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/desk.db"
        subprocess.run([SMARTPAY, "--db", db, "demo"], env=env, check=True, capture_output=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{tmp}/key"], check=True)
        subprocess.run([SMARTPAY, "--db", db, "keys", "add", "--login", "aktest", "--key", f"{tmp}/key.pub"],
                       env=env, check=True, capture_output=True)
        server = subprocess.Popen([SMARTPAY, "--db", db, "ssh", "serve", "--host", "127.0.0.1", "--port", "0",
                                   "--host-key", f"{tmp}/host_key", "--max-per-account", str(sessions)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        clients: list[Pty] = []
        local = None
        try:
            banner = ""
            while "listening on" not in banner:
                banner += server.stdout.readline() or "(ended)"
                if server.poll() is not None:
                    return ["ssh sessions: failed: the server did not start"]
            port = re.search(r":(\d+);", banner).group(1)
            ssh = ["ssh", "-tt", "-p", port, "-i", f"{tmp}/key", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                   "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={tmp}/known_hosts", "aktest@127.0.0.1"]
            started = time.perf_counter()
            clients = [Pty(ssh, env) for _ in range(sessions)]
            for client in clients:
                client.wait_for(b"Credit Logs")
            all_up = time.perf_counter() - started
            time.sleep(2)  # let every desk settle before measuring
            desks = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
            desk_pss = [pss_mb(pid) for pid in desks]
            server_pss = pss_mb(server.pid)
            ssh_lat = latencies(clients[0], presses)
            for client in clients:
                client.close()
            clients = []
            local = Pty([SMARTPAY, "--db", db, "--as", "aktest"], env)
            local.wait_for(b"Password")
            time.sleep(0.5)
            os.write(local.master, _demo_password() + b"\r")
            local.wait_for(b"Credit Logs")
            time.sleep(2)
            local_pss = pss_mb(local.proc.pid)
            local_lat = latencies(local, presses)
        finally:
            for client in clients:
                client.close()
            if local is not None:
                local.close()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    ms = 1000.0
    per = sum(desk_pss) / max(1, len(desk_pss))
    return [
        f"ssh sessions: {len(desks)} open at once (all painted in {all_up:.1f} s): {per:.0f} MB PSS per desk "
        f"process + {server_pss:.0f} MB for the server ({per * len(desks) + server_pss:.0f} MB in all); "
        f"one local desk {local_pss:.0f} MB",
        f"ssh sessions: key→paint p95 {pct(ssh_lat, 0.95) * ms:.0f} ms (median {sorted(ssh_lat)[len(ssh_lat) // 2] * ms:.0f}) "
        f"in one SSH session while {len(desks) - 1} idle, vs p95 {pct(local_lat, 0.95) * ms:.0f} ms "
        f"(median {sorted(local_lat)[len(local_lat) // 2] * ms:.0f}) on one local desk, over {presses} Down/Up presses "
        f"each (until {QUIET * ms:.0f} ms of quiet)",
    ]


def _demo_password() -> bytes:
    from smartpay.app import demo
    return demo.DEMO_PASSWORD.encode()


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(line)

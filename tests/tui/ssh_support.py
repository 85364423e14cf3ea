"""A real `smartpay ssh serve` on a demo database, reached with the real OpenSSH client.

`Served` starts the server on a free port with a host key and a known_hosts file of its own,
registers a key for aktest, and on `stop()` ends the server with SIGTERM and checks that no desk
process of its database is left."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

SMARTPAY = str(Path(sys.executable).with_name("smartpay"))
FAKE_NOW = "2025-09-10T14:00:00"
DESK_CMD = b"smartpay.app.cli.main\x00ssh\x00desk"

needs_openssh = pytest.mark.skipif(
    shutil.which("ssh") is None or shutil.which("ssh-keygen") is None or shutil.which("tmux") is None,
    reason="the OpenSSH client and tmux are needed (make test's `tools` target installs them)")


def make_key(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path


def desk_pids(db_url: str) -> list[int]:
    """Running desk processes (`smartpay ssh desk`) serving this database."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if DESK_CMD not in (entry / "cmdline").read_bytes():
                continue
            if f"SMARTPAY_DB={db_url}".encode() not in (entry / "environ").read_bytes().split(b"\x00"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def wait_until(predicate, timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} (waited {timeout:.0f}s)")
        time.sleep(poll)


class Served:
    def __init__(self, tmp: Path, *options: str):
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'desk.db'}"
        self.env = {**os.environ, "SMARTPAY_FAKE_NOW": FAKE_NOW, "SMARTPAY_TEST_CHEAP_HASHES": "1"}
        self.env.pop("SMARTPAY_DB", None)
        self.cli("demo")
        self.key = make_key(tmp / "aktest_key")
        self.cli("keys", "add", "--login", "aktest", "--key", str(self.key) + ".pub")
        self.log = open(tmp / "server.log", "w+")
        self.proc = subprocess.Popen([SMARTPAY, "--db", self.db, "ssh", "serve", "--host", "127.0.0.1", "--port", "0",
                                      "--host-key", str(tmp / "host_key"), *options],
                                     env=self.env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.banner = ""
        while "listening on" not in self.banner:
            line = self.proc.stdout.readline()
            if not line:
                self.stop()
                raise AssertionError(f"ssh serve did not start:\n{self.server_log()}")
            self.banner += line
        self.port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", self.banner).group(1))
        host_pub = (tmp / "host_key.pub").read_text().split()
        (tmp / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.terminals: list[str] = []

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run([SMARTPAY, "--db", self.db, *args], env=self.env, capture_output=True, text=True,
                              input=input, timeout=120)
        assert done.returncode == 0, done.stderr
        return done

    def ssh_args(self, *extra: str, key: Path | None = None, login: str = "aktest", batch: bool = True) -> list[str]:
        return ["ssh", "-p", str(self.port), "-i", str(key or self.key), "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={self.tmp / 'known_hosts'}", "-o", "StrictHostKeyChecking=yes",
                "-o", f"BatchMode={'yes' if batch else 'no'}", *extra, f"{login}@127.0.0.1"]

    def terminal(self, *ssh_extra: str, login: str = "aktest", key: Path | None = None, width: int = 80,
                 height: int = 24, batch: bool = True):
        """`ssh` to the desk in a new tmux session (a real terminal); returns its Terminal."""
        from test_credit_logs_tmux import Terminal
        name = f"smartpay-ssh-{uuid.uuid4().hex[:8]}"
        command = " ".join(self.ssh_args("-t", *ssh_extra, key=key, login=login, batch=batch)) + "; sleep 600"
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
                        f"TERM=xterm-256color {command}"], check=True, cwd=self.tmp)
        self.terminals.append(name)
        return Terminal(name)

    def server_log(self) -> str:
        self.log.flush()
        return (self.tmp / "server.log").read_text()

    def audit(self, action_prefix: str = "ssh.") -> list[tuple[str, str, str]]:
        import sqlite3
        with sqlite3.connect(str(self.tmp / "desk.db")) as conn:
            return conn.execute("SELECT action, target, detail FROM audit_log WHERE action LIKE ? ORDER BY id",
                                (action_prefix + "%",)).fetchall()

    def kill_terminals(self) -> None:
        for name in self.terminals:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        self.terminals.clear()

    def stop(self, clients_first: bool = True) -> int | None:
        """SIGTERM the server (after killing the clients, unless told not to); returns its exit
        code. Whatever happens, nothing is left running."""
        if clients_first:
            self.kill_terminals()
        code = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            code = self.proc.returncode
        for pid in desk_pids(self.db):  # a failed test: leave nothing behind
            os.kill(pid, signal.SIGKILL)
        if not self.proc.stdout.closed:
            self.proc.stdout.close()
            self.log.close()
        return code

"""The SSH server: authenticates operators, then gives each session a desk and nothing else.

- Keys: the SSH user name is the account's login and the key must be registered to it
  (`smartpay keys add`, or "SSH keys" in the desk). Passwords only with `--password-auth`, and
  then through the core's login, so wrong passwords count toward the same lock-out.
- A session is a shell request with a pty: it gets its own desk process (desk_process). Exec
  (`ssh host ls`), subsystems (sftp), a shell without a pty, and TCP/UNIX, agent and X11
  forwarding are refused and logged (agent and X11 through asyncssh's log: denials.py).
- Caps on sessions per account and in total, an idle timeout (no key from the client), and every
  connect, disconnect and refusal in the core's audit log.
- SIGTERM/SIGINT: stop listening, tell each session, hang up every desk, then exit.

Core calls block (database, argon2): they run in a small thread pool, never on the event loop."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncssh

from .denials import ForwardingDenials
from .desk_process import DeskProcess

log = logging.getLogger("smartpay.ssh")
RESTORE_TERMINAL = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h\x1b[0m"


@dataclass(frozen=True)
class Limits:
    max_sessions: int = 50
    max_per_account: int = 5
    idle_seconds: float = 900.0
    password_auth: bool = False
    # How often a keyed session asks whether its key is still registered: removing a leaked key
    # must also end the sessions it opened, not only refuse new ones.
    key_check_seconds: float = 10.0


class Gate:
    """What every connection shares: the core, the limits, the open sessions."""

    def __init__(self, core, limits: Limits, child_env: dict[str, str]):
        self.core = core
        self.limits = limits
        self.child_env = child_env
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ssh-core")
        self.sessions: set[DeskSession] = set()
        self.pending: set[asyncio.Future] = set()
        self.denials = ForwardingDenials()

    async def call(self, fn, *args, **kwargs) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: fn(*args, **kwargs))

    def audit(self, login: str, action: str, **detail) -> None:
        """Logged now, written to the audit table in the background (awaited at shutdown)."""
        log.info("%s user=%s %s", action, login, " ".join(f"{k}={v}" for k, v in detail.items()))
        future = asyncio.ensure_future(self.call(self.core.ssh_keys.log_access, login, action, **detail))
        self.pending.add(future)
        future.add_done_callback(self._written)

    def _written(self, future: asyncio.Future) -> None:
        self.pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("audit log write failed: %s", future.exception())

    def count(self, login: str) -> int:
        return sum(1 for s in self.sessions if s.login == login)

    async def drain(self) -> None:
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)


class DeskConnection(asyncssh.SSHServer):
    """One SSH connection: authentication and the refusal of everything but sessions."""

    def __init__(self, gate: Gate):
        self.gate = gate
        self.peer = "?"
        self.login = ""
        self.actor = None
        self.method = ""
        self.key_fingerprint = ""
        self.key_line = ""
        self.tried: list[str] = []

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        host, port = (conn.get_extra_info("peername") or ("?", 0))[:2]
        self.peer = f"{host}:{port}"
        self.log_context = self.gate.denials.watch(conn, self._refuse)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gate.denials.forget(self.log_context)
        if self.actor is None:
            self.gate.audit(self.login, "ssh.refused", address=self.peer, reason="authentication",
                            tried=",".join(self.tried) or "none")
        else:
            self.gate.audit(self.login, "ssh.disconnect", address=self.peer)

    def begin_auth(self, username: str) -> bool:
        self.login = username
        return True  # every connection authenticates

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint("sha256")
        line = key.export_public_key("openssh").decode()
        actor = await self.gate.call(self.gate.core.ssh_keys.account_for_key, username, line)
        if actor is None:
            if f"key {fingerprint}" not in self.tried:
                self.tried.append(f"key {fingerprint}")
            return False
        self.actor, self.method, self.key_fingerprint, self.key_line = actor, "key", fingerprint, line
        return True

    def password_auth_supported(self) -> bool:
        return self.gate.limits.password_auth

    async def validate_password(self, username: str, password: str) -> bool:
        from smartpay.core.errors import AccountLocked, SmartpayError
        try:
            self.actor = await self.gate.call(self.gate.core.auth.login, username, password)
        except AccountLocked:
            self.tried.append("password (locked)")
            return False
        except SmartpayError:
            self.tried.append("password")
            return False
        self.method = "password"
        return True

    def auth_completed(self) -> None:
        detail = {"address": self.peer, "method": self.method}
        if self.key_fingerprint:
            detail["key"] = self.key_fingerprint
        self.gate.audit(self.actor.login, "ssh.connect", **detail)

    def session_requested(self) -> "DeskSession":
        return DeskSession(self)

    # -- forwarding: refused, and said so in the log ---------------------------------------
    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        self._refuse("port forwarding", destination=f"{dest_host}:{dest_port}")
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self._refuse("remote port forwarding", destination=f"{listen_host}:{listen_port}")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        self._refuse("unix socket forwarding", destination=dest_path)
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        self._refuse("remote unix socket forwarding", destination=listen_path)
        return False

    def _refuse(self, what: str, **detail) -> None:
        self.gate.audit(self.login, "ssh.refused", address=self.peer, reason=what, **detail)


class DeskSession(asyncssh.SSHServerSession):
    """One session channel: a shell request with a pty becomes a desk process."""

    def __init__(self, connection: DeskConnection):
        self.connection = connection
        self.gate = connection.gate
        self.login = connection.actor.login if connection.actor else ""
        self.term: str | None = None
        self.size = (80, 24)
        self.desk: DeskProcess | None = None
        self.chan: asyncssh.SSHServerChannel | None = None
        self.last_input = time.monotonic()
        self.started = time.monotonic()
        self.ending: asyncio.Task | None = None
        self.watch: asyncio.Task | None = None

    def connection_made(self, chan) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self.term = term_type
        self.size = (term_size[0] or 80, term_size[1] or 24)
        return True

    def shell_requested(self) -> bool:
        if self.term is None:
            self._refuse("shell without a terminal")
            return False
        return True

    def exec_requested(self, command: str) -> bool:
        self._refuse("exec", command=command[:80])
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        self._refuse("subsystem", subsystem=subsystem[:40])
        return False

    def _refuse(self, what: str, **detail) -> None:
        self.gate.audit(self.login, "ssh.refused", address=self.connection.peer, reason=what, **detail)

    def session_started(self) -> None:
        limits = self.gate.limits
        if len(self.gate.sessions) >= limits.max_sessions:
            return self._turn_away("the server is full", f"the server serves {limits.max_sessions} sessions at most; "
                                                         "try again later")
        if self.gate.count(self.login) >= limits.max_per_account:
            return self._turn_away("sessions per account", f"{self.login} already has {limits.max_per_account} "
                                                            "sessions open; close one first")
        self.gate.sessions.add(self)  # counted from now, before the desk has started
        asyncio.ensure_future(self._start())

    def _turn_away(self, reason: str, message: str) -> None:
        self._refuse(reason)
        self.chan.write(f"smartpay: {message}\r\n".encode())
        self.chan.exit(1)

    async def _start(self) -> None:
        try:
            ticket = await self.gate.call(self.gate.core.ssh_keys.issue_ticket, self.connection.actor)
            self.desk = DeskProcess(ticket, self.term or "", *self.size, extra_env=self.gate.child_env)
        except Exception as exc:  # the database is unreachable, the pty cannot be made …
            log.error("cannot start a desk for %s: %s", self.login, exc)
            self.gate.sessions.discard(self)
            self.chan.write(b"smartpay: the desk cannot start now; try again later\r\n")
            self.chan.exit(1)
            return
        self.gate.audit(self.login, "ssh.session", address=self.connection.peer, pid=self.desk.pid,
                        term=self.term, size=f"{self.size[0]}x{self.size[1]}")
        asyncio.get_running_loop().add_reader(self.desk.master, self._desk_output)
        self.last_input = time.monotonic()  # idle time counts from the desk's start, not the handshake
        self.watch = asyncio.ensure_future(self._watch())

    # -- the pump --------------------------------------------------------------------------
    def _desk_output(self) -> None:
        try:
            data = os.read(self.desk.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: the desk closed its terminal (it exited)
            data = b""
        if data:
            self.chan.write(data)
        else:
            self.end("desk closed")

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.desk is not None:
            self.desk.write(data)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width or 80, height or 24)
        if self.desk is not None and self.desk.master >= 0:
            self.desk.resize(*self.size)  # the kernel sends the desk SIGWINCH

    def pause_writing(self) -> None:  # a slow client: stop reading the desk until it catches up
        if self.desk is not None and self.desk.master >= 0:
            asyncio.get_running_loop().remove_reader(self.desk.master)

    def resume_writing(self) -> None:
        if self.desk is not None and self.desk.master >= 0 and self.ending is None:
            asyncio.get_running_loop().add_reader(self.desk.master, self._desk_output)

    def eof_received(self) -> bool:
        self.end("client closed")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.end("connection lost" if exc else "client closed")

    async def _watch(self) -> None:
        """Ends the session after `idle_seconds` without a key from the client, or once the key
        that opened it is no longer registered to its account."""
        limits = self.gate.limits
        next_key_check = time.monotonic() + limits.key_check_seconds
        while self.ending is None:
            now = time.monotonic()
            left = limits.idle_seconds - (now - self.last_input)
            if left <= 0:
                self.end("idle timeout", f"no key for {limits.idle_seconds:.0f} seconds; disconnected")
                return
            if self.connection.key_line and now >= next_key_check:
                next_key_check = now + limits.key_check_seconds
                still = await self.gate.call(self.gate.core.ssh_keys.account_for_key, self.login,
                                             self.connection.key_line)
                if still is None and self.ending is None:
                    self.end("key removed", "the SSH key of this session was removed; disconnected")
                    return
            waits = [left, 5.0] + ([next_key_check - now] if self.connection.key_line else [])
            await asyncio.sleep(max(0.05, min(waits)))

    # -- the end ---------------------------------------------------------------------------
    def say(self, message: str) -> None:
        """A line to the client once its desk is gone. A hung-up desk could not restore the
        terminal, so this does: main screen, no mouse reporting, cursor shown, colours reset."""
        try:
            self.chan.write(RESTORE_TERMINAL + f"\r\nsmartpay: {message}\r\n".encode())
        except Exception:  # the channel is already closed
            pass

    def end(self, reason: str, message: str = "") -> asyncio.Task:
        """End the session (once): hang up the desk, tell the client `message`, close."""
        if self.ending is None:
            self.ending = asyncio.ensure_future(self._end(reason, message))
        return self.ending

    async def _end(self, reason: str, message: str) -> None:
        if self.desk is not None:
            if self.desk.master >= 0:
                asyncio.get_running_loop().remove_reader(self.desk.master)
            status = await self.desk.end()
            self.gate.audit(self.login, "ssh.session_end", address=self.connection.peer, reason=reason,
                            pid=self.desk.pid, seconds=round(time.monotonic() - self.started))
        else:
            status = None
        self.gate.sessions.discard(self)
        if self.watch is not None:
            self.watch.cancel()
        if message:
            self.say(message)
        try:
            self.chan.exit(0 if status in (0, None) else 1)
        except Exception:  # already closed by the client
            pass


async def serve(core, host: str, port: int, host_key, limits: Limits, child_env: dict[str, str],
                ready=None) -> None:
    """Serve until SIGTERM or SIGINT. `ready(port)` is called once listening."""
    gate = Gate(core, limits, child_env)
    gate.denials.install()
    server = await asyncssh.create_server(
        lambda: DeskConnection(gate), host, port, server_host_keys=[host_key],
        encoding=None, agent_forwarding=False, x11_forwarding=False, allow_scp=False,
        kbdint_auth=False, login_timeout=30, keepalive_interval=30, keepalive_count_max=3)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready(server.sockets[0].getsockname()[1])
    try:
        await stop.wait()
    finally:
        server.close()
        sessions = list(gate.sessions)
        await asyncio.gather(*(s.end("server shutdown", "the server is shutting down; connect again in a moment")
                               for s in sessions), return_exceptions=True)
        await server.wait_closed()
        await gate.drain()
        gate.pool.shutdown(wait=True)
        gate.denials.uninstall()

"""Every command line in README.md and docs/*.md runs as written.

Each fenced shell block (```sh, bash, shell, console) is read line by line (`\\` continuations
joined) and run, in document order, in one bash session per document — so `export` and
`TXN=$(smartpay …)` carry to the next line exactly as in the reader's terminal. The session
starts on a fresh demo world (app/demo.py) in SMARTPAY_DB, the clock fixed by SMARTPAY_FAKE_NOW,
HOME and the XDG directories in a temporary folder, and no SMARTPAY_PASSWORD: a document that
needs one must set it, as its reader must.

A line passes when it exits 0 and prints something (its command's expected text when listed in
EXPECT); a line whose comment documents a refusal, `# error: … (exit status 2)`, must exit with
that status and print that one error line. Commands that serve forever (the desk, `… serve`) are
started, probed and stopped. New lines in the docs are picked up without touching this file; a
command this file does not know how to run fails the test, naming the document and line, until
it is taught (RUNS) or excluded with a reason (NOT_RUN).
"""
from __future__ import annotations

import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FAKE_NOW = "2025-09-10T14:00:00"  # the seed guide's day, as the tmux tests use
SHELL_INFO = {"sh", "bash", "shell", "console"}
LINE_TIMEOUT = 90  # seconds; generous on a shared two-core machine

# Commands run in the session. Everything else must be in NOT_RUN with its reason.
RUNS = {"smartpay", "export", "echo", "printf", "curl"}
NOT_RUN = {
    "make": "builds .venv and runs the whole suite or the interactive demo; the suite cannot run itself",
    "createuser": "needs a PostgreSQL superuser on the database server",
    "createdb": "needs a PostgreSQL superuser on the database server",
    "gunicorn": "a production WSGI server, not a dependency of smartpay; `smartpay webhooks serve` serves the same app",
    "waitress-serve": "a production WSGI server, not a dependency of smartpay",
    "python": "the emulators' synopsis lines ([optional] parts); their command lines are tested in "
              "tests/test_emulator_server.py",
}
# What a successful command must print (a regex), by the words after `smartpay` and its global
# options. Commands not listed must print something.
EXPECT = {
    "db upgrade": r"up to date|applied migration",
    "admin create-account": r"created Distributor acme",
    "plugins": r"credit_pay",
    "demo": r"Demo logins",
    "quote renew": r"Total (Price|Credit): ",
    "methods": r"credit\s+Credit\s+credit_pay\s+yes",
    "order pay": r": Successful",
    "order show": r'"state": "succeeded"',
    "reconcile": r"\S",
    "renew run": r"\S",
    "renew plans": r"\S",
    "notifications": r"\S",
}
_GLOBAL = re.compile(r"^(?:--(?:as|db|config)(?:=\S+|\s+\S+)\s*)*")
_STATUS = re.compile(r"\(exit status (\d+)\)")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=\$\(")
_ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


@dataclass(frozen=True)
class DocLine:
    doc: str
    lineno: int
    text: str  # the command as written, comment included

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.lineno}: `{self.text}`"

    @property
    def comment(self) -> str:
        return self.text.split(" # ", 1)[1] if " # " in self.text else ""

    @property
    def command(self) -> str:
        """The first program the line runs (after `VAR=$(`, `VAR=value` prefixes)."""
        words = shlex.split(self.text.split(" # ", 1)[0].replace("$(", " ").replace(")", " "))
        for word in words:
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word) and not word.startswith("export"):
                continue
            return word
        return ""

    @property
    def smartpay_words(self) -> str:
        """`quote renew` for `… smartpay --as aktest quote renew --type …`: the subcommand."""
        found = re.search(r"\bsmartpay\b(.*)", self.text.split(" # ", 1)[0])
        if not found:
            return ""
        rest = _GLOBAL.sub("", found.group(1).strip())
        words = []
        for word in rest.split():
            if word.startswith("-") or word.startswith('"') or word.startswith("$"):
                break
            words.append(word)
        return " ".join(words)


def shell_lines(path: Path) -> list[DocLine]:
    """The command lines of `path`'s fenced shell blocks, continuations joined."""
    out: list[DocLine] = []
    in_block = False
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_block = (not in_block) and stripped[3:].strip().lower() in SHELL_INFO
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = (pending + stripped).strip()
        pending = ""
        if text and not text.startswith("#"):
            out.append(DocLine(str(path.relative_to(ROOT)), start, text))
    return out


def test_every_doc_has_been_read():
    """The extraction itself: the README's walk-through is found, continuations are joined."""
    readme = [line.text for line in shell_lines(ROOT / "README.md")]
    assert any(t.startswith("smartpay --as aktest quote renew") for t in readme), readme
    emulators = [line.text for line in shell_lines(ROOT / "docs" / "emulators.md")]
    assert any("--webhook-url" in t and "--api-key" in t for t in emulators), emulators


def test_every_documented_command_is_run_or_excluded_with_a_reason():
    unknown = [line.where for doc in DOCS for line in shell_lines(doc)
               if line.command not in RUNS and line.command not in NOT_RUN]
    assert not unknown, "commands this test does not know how to run (add to RUNS or NOT_RUN):\n" + "\n".join(unknown)


# -- the session ------------------------------------------------------------------------------------
class Session:
    """One bash process per document; each line's output goes to files, its status to another."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.dir = cwd.parent / "session"
        self.dir.mkdir()
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

    def run(self, line: DocLine) -> tuple[int, str, str]:
        d = self.dir
        script = (f"{{ {line.text}\n}} >{d}/out 2>{d}/err </dev/null; echo $? >{d}/rc\n"
                  f"echo __done__\n")
        self.proc.stdin.write(script)
        self.proc.stdin.flush()
        deadline = time.monotonic() + LINE_TIMEOUT
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                pytest.fail(f"{line.where} did not finish within {LINE_TIMEOUT} s; if it serves forever, "
                            f"teach SERVERS in {Path(__file__).name} to start, probe and stop it")
            if self.proc.stdout.readline().strip() == "__done__":
                break
        return (int((d / "rc").read_text()), (d / "out").read_text(errors="replace"),
                (d / "err").read_text(errors="replace"))

    def value(self, name: str) -> str:
        line = DocLine("(check)", 0, f'printf %s "${name}"')
        return self.run(line)[1]

    def env(self) -> dict[str, str]:
        """The session's exported environment now, for commands started outside it."""
        line = DocLine("(env)", 0, "env -0")
        raw = self.run(line)[1]
        return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- commands that serve forever -------------------------------------------------------------------
def _stop(proc: subprocess.Popen, sig=signal.SIGINT) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def serve_desk(line: DocLine, cwd: Path, env: dict[str, str]) -> None:
    """The full-screen desk in a pseudo-terminal (80×24): its login screen appears, with the
    `--as` login filled in when one is given; then it is stopped."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(["bash", "-c", line.text], cwd=cwd, env={**env, "TERM": "xterm-256color"},
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    login = re.search(r"--as(?:=|\s+)(\S+)", line.text)
    wanted = ["Password", *([login.group(1)] if login else [])]
    screen = ""
    deadline = time.monotonic() + LINE_TIMEOUT
    try:
        while time.monotonic() < deadline and not all(w in screen for w in wanted):
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    screen += _ANSI.sub("", os.read(master, 65536).decode(errors="replace"))
                except OSError:
                    break
            if proc.poll() is not None and not ready:
                break
        assert all(w in screen for w in wanted), f"{line.where}: the desk did not show {wanted}:\n{screen[-2000:]}"
    finally:
        _stop(proc, signal.SIGTERM)
        os.close(master)


def serve_http(line: DocLine, cwd: Path, env: dict[str, str]) -> None:
    """`smartpay webhooks serve`: it says where it listens, answers there (an unsigned Stripe
    notification is refused with 400, M5), and stops on Ctrl+C."""
    proc = subprocess.Popen(["bash", "-c", f"exec {line.text}"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], LINE_TIMEOUT)
        first = proc.stdout.readline() if ready else ""
        found = re.search(r"http://([\d.]+):(\d+)/", first)
        assert found, f"{line.where}: did not say where it listens: {first!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        request = urllib.request.Request(f"http://{found.group(1)}:{found.group(2)}/webhooks/stripe", data=b"{}",
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=30)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 400, f"{line.where}: an unsigned notification answered {status}, not 400"
    finally:
        _stop(proc)
    assert proc.returncode == 0, f"{line.where}: exited {proc.returncode} on Ctrl+C: {proc.stderr.read()}"


def serve_ssh(line: DocLine, cwd: Path, env: dict[str, str]) -> None:
    """`smartpay ssh serve --port N`: an SSH server answers on the port with its banner."""
    import socket
    port = int(re.search(r"--port(?:=|\s+)(\d+)", line.text).group(1))
    given = re.search(r"--host(?:=|\s+)(\S+)", line.text)
    host = given.group(1) if given else "127.0.0.1"
    proc = subprocess.Popen(["bash", "-c", f"exec {line.text}"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + LINE_TIMEOUT
        while True:
            assert proc.poll() is None, f"{line.where}: exited {proc.returncode}: {proc.stderr.read()!r}"
            try:
                with socket.create_connection((host, port), timeout=5) as conn:
                    assert conn.recv(64).startswith(b"SSH-"), f"{line.where}: no SSH banner"
                    break
            except OSError:
                assert time.monotonic() < deadline, f"{line.where}: nothing listens on {host}:{port}"
                time.sleep(0.3)
    finally:
        _stop(proc)


# (pattern over the smartpay subcommand words, how to run it). The desk is `smartpay` with at
# most global options; `demo --open` is the desk with emulators.
SERVERS = [
    (re.compile(r"^$"), serve_desk),
    (re.compile(r"^demo\b.*--open"), serve_desk),
    (re.compile(r"^webhooks serve$"), serve_http),
    (re.compile(r"^ssh serve$"), serve_ssh),
]


def server_for(line: DocLine):
    if line.command != "smartpay":
        return None
    words = line.smartpay_words
    if words.startswith("demo") and "--open" in line.text:
        words = "demo --open"
    for pattern, serve in SERVERS:
        if pattern.search(words):
            return serve
    return None


# -- the documents -------------------------------------------------------------------------------
@pytest.fixture
def world_env(tmp_path):
    """A fresh demo world in SMARTPAY_DB, the clock fixed, nothing of the caller's home."""
    import datetime as dt

    from smartpay.app import demo
    from smartpay.core.clock import FixedClock
    from smartpay.core.config import Settings
    from smartpay.core.context import Smartpay

    db = tmp_path / "world.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTPAY_", "XDG_", "STRIPE_", "PAYPAL_"))}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), SMARTPAY_DB=f"sqlite:///{db}", SMARTPAY_FAKE_NOW=FAKE_NOW,
               SMARTPAY_TEST_CHEAP_HASHES="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "home").mkdir()
    settings = Settings(db_url=env["SMARTPAY_DB"])
    # The clock SMARTPAY_FAKE_NOW gives the command line (naive: platform time).
    core = Smartpay(settings, FixedClock(dt.datetime.fromisoformat(FAKE_NOW).replace(tzinfo=settings.platform_time.tz)))
    try:
        core.upgrade()
        demo.seed(core)
    finally:
        core.close()
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def check(line: DocLine, rc: int, out: str, err: str, session: Session) -> None:
    documented = _STATUS.search(line.comment)
    expected = int(documented.group(1)) if documented else 0
    shown = f"\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}"
    assert rc == expected, f"{line.where} exited {rc}, the document says {expected}{shown}"
    if expected:
        errors = err.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("error: "), f"{line.where}: not one error line{shown}"
        promised = re.search(r"error: (.*?)(?:…|\(exit status)", line.comment)
        if promised:
            assert errors[0].startswith(f"error: {promised.group(1).strip()}"), f"{line.where}: another error{shown}"
        return
    if line.command == "export":
        return
    assigned = _ASSIGN.match(line.text)
    if assigned:
        assert session.value(assigned.group(1)).strip(), f"{line.where}: ${assigned.group(1)} is empty{shown}"
        return
    pattern = EXPECT.get(line.smartpay_words, r"\S") if line.command == "smartpay" or "smartpay" in line.text else r"\S"
    assert re.search(pattern, out), f"{line.where}: output does not match {pattern!r}{shown}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_commands_run_as_written(doc, world_env):
    lines = [line for line in shell_lines(doc) if line.command in RUNS]
    if not lines:
        pytest.skip(f"{doc.name} shows no command this test runs")
    work, env = world_env
    session = Session(work, env)
    try:
        for line in lines:
            serve = server_for(line)
            if serve is not None:
                serve(line, work, session.env())
                continue
            rc, out, err = session.run(line)
            check(line, rc, out, err, session)
    finally:
        session.close()

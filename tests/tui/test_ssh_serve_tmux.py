"""`smartpay ssh serve` end to end with the real OpenSSH client in tmux: a keyed operator reaches
its desk already logged in and pays a credit order; unknown keys and wrong passwords are refused
(the password through the desk's own lock-out); commands, sftp and port, agent and X11 forwarding
are refused and audited; 20 sessions run at once and the 21st is turned away; a killed client, the idle timeout
and SIGTERM leave no desk process behind. SQLite only (marker `tui`): the server calls the same
core services the PostgreSQL run covers."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import pytest

from ssh_support import Served, desk_pids, make_key, needs_openssh, wait_until

pytestmark = [needs_openssh, pytest.mark.ssh, pytest.mark.slow]


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path, "--password-auth", "--max-sessions", "20", "--max-per-account", "20")
    yield server
    assert server.stop() == 0, server.server_log()
    assert desk_pids(server.db) == []


def test_a_keyed_account_reaches_its_desk_logged_in_and_pays_a_credit_order(served):
    t = served.terminal()
    t.wait_for("Subscription", "Credit Logs", "AK Test Distribution")  # no login screen: the key was the login
    t.steady()
    t.keys("Enter")                        # open the Subscription section
    t.wait_for("never activated", "New / Pay")
    t.keys("C-n")                          # the subscription wizard
    t.wait_for("1 Purchase Types", "Purchase Type", "Available Credit: 360")
    t.steady()
    t.keys("Tab", "Tab", "Right", "Space")  # Purchase Type: Renew
    t.keys("Tab", "Right", "Space")         # Payment: Credit Payment
    t.keys("C-n")
    t.wait_for("Old Commercial", "2 of 2 checked", "Credits per 30 days")
    t.steady()
    t.keys("Tab", "Tab")
    t.wait_for("space Check")
    t.keys("Down", "Space")                 # uncheck Old Commercial (before June 1, 2025)
    t.wait_for("1 of 2 checked")
    t.keys("C-n")
    t.wait_for("Renew To", "Number of Renewal Personnel App(s): 1")
    t.steady()
    t.keys("Tab", "End", *["BSpace"] * 10)
    t.wait_for("YYYY-MM-DD")
    t.steady()
    t.keys("2025-10-30", literal=True)
    t.wait_for("Renew To: 2025-10-30")
    t.keys("C-n")
    t.wait_for("Billing Information", "AK Test Ltd")
    t.keys("C-n")
    screen = t.wait_for("2 Item(s)", "Test 1", "Attendance", "[ ] By clicking the 'Pay' button")  # not accepted yet
    assert "Terms and Conditions" in " ".join(screen.replace("▌", " ").split())  # wrapped at 80 columns, whole
    t.steady()
    t.keys("Space")
    t.wait_for("[x] By clicking the 'Pay' button")  # accepted: a different glyph, not only a colour
    t.keys("C-n")
    t.wait_for("Pending Order", "Amount Credit: 8")
    t.keys("C-s")                           # pay with credits
    screen = t.wait_for("Payment Successful", "New expiry")
    assert "Test 1 (Personnel App, New Commercial): 2025-10-30 23:59:59" in screen
    actions = [a for a, _, _ in served.audit()]
    assert actions[:2] == ["ssh.connect", "ssh.session"]


def test_an_unknown_key_and_a_wrong_password_are_refused(served, tmp_path):
    stranger = make_key(tmp_path / "stranger_key")
    refused = subprocess.run(served.ssh_args("-T", key=stranger), capture_output=True, text=True, timeout=30)
    assert refused.returncode == 255 and "Permission denied" in refused.stderr
    # A password typed at the real client's prompt, through the desk's login and lock-out.
    t = served.terminal("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
                        "-o", "NumberOfPasswordPrompts=1", batch=False)
    t.wait_for("password:")
    t.keys("not-the-password", literal=True)
    t.keys("Enter")
    t.wait_for("Permission denied")
    import sqlite3
    with sqlite3.connect(str(tmp_path / "desk.db")) as conn:
        failed = conn.execute("SELECT failed_logins FROM account WHERE login = 'aktest'").fetchone()[0]
    assert failed == 1  # counted like a wrong password at the desk's login screen
    wait_until(lambda: len([r for r in served.audit() if r[0] == "ssh.refused"]) >= 2, 10, "refusals audited")
    details = " ".join(d for a, _, d in served.audit() if a == "ssh.refused")
    assert "authentication" in details and "password" in details
    assert desk_pids(served.db) == []


def test_commands_sftp_and_forwarding_are_refused_and_audited(served, tmp_path):
    ls = subprocess.run(served.ssh_args("-T") + ["ls"], capture_output=True, text=True, timeout=30)
    assert ls.returncode != 0 and "exec request failed" in ls.stderr and ls.stdout == ""
    sftp = subprocess.run(["sftp", "-b", "-", "-P", str(served.port), "-i", str(served.key),
                           "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}", "-o", "BatchMode=yes",
                           "aktest@127.0.0.1"], input="ls\n", capture_output=True, text=True, timeout=30)
    assert sftp.returncode != 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    forward = subprocess.Popen(served.ssh_args("-N", "-L", f"{local_port}:127.0.0.1:{served.port}"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def tunnel_answers():
            try:
                with socket.create_connection(("127.0.0.1", local_port), timeout=5) as conn:
                    conn.settimeout(5)
                    return conn.recv(100) == b"" or True  # closed at once: the server refused the channel
            except OSError:
                return False
        wait_until(tunnel_answers, 20, "the -L listener did not come up")
        wait_until(lambda: any("port forwarding" in d for a, _, d in served.audit() if a == "ssh.refused"), 10,
                   "the forwarding refusal was not audited")
    finally:
        forward.terminate()
        forward.wait(timeout=10)
    reasons = " ".join(d for a, _, d in served.audit() if a == "ssh.refused")
    assert '"reason": "exec"' in reasons and '"command": "ls"' in reasons
    assert '"reason": "subsystem"' in reasons and '"subsystem": "sftp"' in reasons
    assert desk_pids(served.db) == []


def test_agent_and_x11_forwarding_are_refused_and_audited(served, tmp_path):
    # -A and -X ask before the command; ssh asks for neither without an agent to forward (a real
    # ssh-agent here, ended below) and a DISPLAY.
    agent_socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_socket)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_until(agent_socket.exists, 10, "ssh-agent did not start")
        env = {**os.environ, "DISPLAY": ":0", "SSH_AUTH_SOCK": str(agent_socket)}
        asked = subprocess.run(served.ssh_args("-T", "-A", "-X", "-v") + ["ls"], capture_output=True, text=True,
                               timeout=30, env=env)
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    assert "Requesting authentication agent forwarding" in asked.stderr
    assert "Requesting X11 forwarding" in asked.stderr
    assert asked.returncode != 0 and asked.stdout == ""
    wait_until(lambda: sum(1 for a, _, d in served.audit() if a == "ssh.refused" and "forwarding" in d) >= 2, 10,
               "the agent and X11 refusals were not audited")
    refused = [(target, json.loads(detail)) for a, target, detail in served.audit() if a == "ssh.refused"]
    reasons = {detail["reason"]: (target, detail) for target, detail in refused}
    assert "agent forwarding" in reasons and "X11 forwarding" in reasons
    for what in ("agent forwarding", "X11 forwarding"):
        target, detail = reasons[what]
        assert target == "aktest" and detail["address"].startswith("127.0.0.1:")  # who asked, from where
    assert "asyncssh" not in served.server_log()  # asyncssh's own INFO lines stay out of the server's log


def test_twenty_sessions_at_once_the_21st_turned_away_and_killed_clients_leave_nothing(served):
    terminals = [served.terminal() for _ in range(20)]
    for t in terminals:
        t.wait_for("Subscription", "AK Test Distribution", timeout=120)
    assert len(desk_pids(served.db)) == 20
    extra = served.terminal()
    extra.wait_for("the server serves 20 sessions at most")
    served.kill_terminals()                 # every client killed at once
    wait_until(lambda: desk_pids(served.db) == [], 10, "desk processes outlived their clients")
    wait_until(lambda: sum(1 for a, _, _ in served.audit() if a == "ssh.session_end") == 20, 10,
               "every session end audited")


def test_removing_a_key_ends_the_sessions_it_opened(served):
    t = served.terminal()
    t.wait_for("Subscription", "AK Test Distribution")
    fingerprint = json.loads(served.cli("keys", "list", "--login", "aktest", "--json").stdout)[0]["fingerprint"]
    served.cli("keys", "remove", "--login", "aktest", "--fingerprint", fingerprint)
    t.wait_for("the SSH key of this session was removed; disconnected", timeout=30)
    wait_until(lambda: desk_pids(served.db) == [], 10, "the removed key's desk was left running")
    assert any('"reason": "key removed"' in d for a, _, d in served.audit() if a == "ssh.session_end")
    again = subprocess.run(served.ssh_args("-T") + ["ls"], capture_output=True, text=True, timeout=30)
    assert again.returncode == 255 and "Permission denied" in again.stderr  # and no new connection


def test_a_resize_reaches_the_desk(served):
    t = served.terminal(width=80, height=24)
    t.wait_for("Subscription", "AK Test Distribution")
    t.steady()
    subprocess.run(["tmux", "resize-window", "-t", t.name, "-x", "120", "-y", "30"], check=True)
    # The desk redraws at the new width: the account name moves to the right edge of 120 columns.
    wait_until(lambda: any(len(line.rstrip()) > 100 and "AK Test Distribution" in line
                           for line in t.screen().splitlines()), 15, "the desk did not redraw at 120 columns")


def test_idle_sessions_end_and_sigterm_ends_the_rest_cleanly(tmp_path):
    server = Served(tmp_path, "--idle-timeout", "10")  # room for a desk to start on a busy machine
    try:
        idle = server.terminal()
        idle.wait_for("Subscription", "AK Test Distribution")
        idle.wait_for("no key for 10 seconds; disconnected", timeout=60)
        wait_until(lambda: desk_pids(server.db) == [], 5, "the idle desk was left running")
        busy = server.terminal()
        busy.wait_for("Subscription", "AK Test Distribution")
        busy.keys("Down")                   # not idle
        started = time.monotonic()
        assert server.stop(clients_first=False) == 0
        assert time.monotonic() - started < 10
        assert desk_pids(server.db) == []
        busy.wait_for("the server is shutting down")
        reasons = [d for a, _, d in server.audit() if a == "ssh.session_end"]
        assert any("idle timeout" in d for d in reasons) and any("server shutdown" in d for d in reasons)
    finally:
        server.stop()

"""The core's SSH access service: operators' public keys (fingerprints listed, one account per
key, own keys only from the desk), one-time desk tickets, and `ssh.*` entries in the audit log.
Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import hashlib
import struct
import subprocess

import pytest

from smartpay.core.db import migrations
from smartpay.core.db.models import AuditLog, DeskTicket
from smartpay.core.errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from smartpay.core.services.ssh_keys import TICKET_SECONDS, parse_public_key


def key_line(seed: bytes, comment: str = "op@laptop") -> str:
    """An ssh-ed25519 public key line (32 key bytes from `seed`: the service never needs the
    private half)."""
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + hashlib.sha256(seed).digest()
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}".strip()


def test_fingerprint_is_what_ssh_keygen_prints(tmp_path):
    keygen = pytest.importorskip("shutil").which("ssh-keygen")
    if keygen is None:
        pytest.skip("ssh-keygen is not installed")
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    line = (tmp_path / "k.pub").read_text()
    printed = subprocess.run([keygen, "-l", "-f", str(tmp_path / "k.pub")], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    assert parse_public_key(line).fingerprint == printed


@pytest.mark.parametrize("line, problem", [
    ("", "paste one public key line"),
    ("ssh-dss AAAAB3NzaC1kc3M= x", "not a supported key type"),
    ("ssh-ed25519 not-base64!!", "not valid base64"),
    (key_line(b"a").replace("ssh-ed25519", "ssh-rsa", 1), "not a ssh-rsa key"),
    (key_line(b"a", "evil\x1b]0;pwned\x07"), "control"),
])
def test_a_bad_key_line_is_refused_naming_the_field(core, world, line, problem):
    with pytest.raises(InvalidInput) as refused:
        core.ssh_keys.add("aktest", line)
    assert refused.value.field == "Public key" and problem in refused.value.problem
    assert core.ssh_keys.keys_of("aktest") == []


def test_keys_are_added_listed_by_fingerprint_and_removed_with_an_audit_trail(core, world):
    added = core.ssh_keys.add("aktest", key_line(b"one"))
    assert added.fingerprint.startswith("SHA256:") and added.comment == "op@laptop"
    assert [k.fingerprint for k in core.ssh_keys.keys_of("aktest")] == [added.fingerprint]
    assert core.ssh_keys.account_for_key("aktest", key_line(b"one", "")).login == "aktest"
    assert core.ssh_keys.account_for_key("inst_regular", key_line(b"one")) is None  # another login
    assert core.ssh_keys.account_for_key("aktest", key_line(b"two")) is None        # another key
    core.ssh_keys.remove("aktest", added.fingerprint)
    assert core.ssh_keys.keys_of("aktest") == []
    assert core.ssh_keys.account_for_key("aktest", key_line(b"one")) is None
    actions = [r.action for r in AuditLog.select().where(AuditLog.action.startswith("ssh_key."))]
    assert actions == ["ssh_key.added", "ssh_key.removed"]
    with pytest.raises(NotFound):
        core.ssh_keys.remove("aktest", added.fingerprint)


def test_a_key_opens_one_account_only(core, world):
    core.ssh_keys.add("aktest", key_line(b"shared"))
    with pytest.raises(InvalidInput, match="already registered"):
        core.ssh_keys.add("inst_regular", key_line(b"shared"))


def test_an_operator_manages_only_its_own_keys(core, world, actor):
    me, other = actor("inst_regular"), actor("aktest")
    core.ssh_keys.add("inst_regular", key_line(b"mine"), by=me)
    assert len(core.ssh_keys.keys_of("inst_regular", by=me)) == 1
    for call in (lambda: core.ssh_keys.keys_of("inst_regular", by=other),
                 lambda: core.ssh_keys.add("inst_regular", key_line(b"x"), by=other),
                 lambda: core.ssh_keys.remove("inst_regular", "SHA256:x", by=other)):
        with pytest.raises(PermissionDenied):
            call()


def test_a_desk_ticket_opens_one_desk_once(core, world, actor):
    token = core.ssh_keys.issue_ticket(actor("aktest"))
    assert DeskTicket.select().where(DeskTicket.token_hash == token).count() == 0  # only its hash is kept
    assert core.ssh_keys.redeem_ticket(token).login == "aktest"
    with pytest.raises(AuthenticationFailed):
        core.ssh_keys.redeem_ticket(token)
    with pytest.raises(AuthenticationFailed):
        core.ssh_keys.redeem_ticket("made-up")


def test_an_expired_desk_ticket_is_refused(core, world, actor, clock):
    token = core.ssh_keys.issue_ticket(actor("aktest"))
    clock.advance(seconds=TICKET_SECONDS + 1)
    with pytest.raises(AuthenticationFailed):
        core.ssh_keys.redeem_ticket(token)


def test_access_is_logged_with_printable_names(core, world):
    core.ssh_keys.log_access("aktest", "ssh.connect", address="127.0.0.1", key="SHA256:abc")
    core.ssh_keys.log_access("nobody\x1b[2J", "ssh.refused", reason="auth")
    rows = list(AuditLog.select().where(AuditLog.action.startswith("ssh.")).order_by(AuditLog.id))
    assert [(r.action, r.target, r.actor_id is not None) for r in rows] == [
        ("ssh.connect", "aktest", True), ("ssh.refused", "nobody?[2J", False)]


def test_migration_3_adds_ssh_access_to_a_version_2_database(tmp_path, clock):
    import peewee as pw
    db = pw.SqliteDatabase(str(tmp_path / "old.db"))
    from smartpay.core.db.database import db_proxy
    db_proxy.initialize(db)
    migrations.upgrade(db, clock.now(), target=2)
    assert not db.table_exists("ssh_key")
    assert migrations.upgrade(db, clock.now(), target=3) == [3]
    assert db.table_exists("ssh_key") and db.table_exists("desk_ticket")
    db.close()

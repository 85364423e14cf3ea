"""Login: argon2 hashes, lock-out after repeated failures, no secrets stored or leaked."""
import datetime as dt
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters

import smartpay.app
import smartpay.core

from smartpay.core.db.models import Account, AuditLog
from smartpay.core.errors import AccountLocked, AuthenticationFailed, InvalidInput
from smartpay.core.passwords import Passwords

from support import PASSWORD


def test_login_returns_the_actor_with_its_role(core, world):
    actor = core.auth.login("inst_credit", PASSWORD)
    assert (actor.login, actor.role.value) == ("inst_credit", "installer")


def test_password_is_stored_as_argon2_hash_only(core, world):
    stored = Account.get(Account.login == "aktest").password_hash
    assert stored.startswith("$argon2") and PASSWORD not in stored
    for entry in AuditLog.select():
        assert PASSWORD not in entry.detail


def test_wrong_password_and_unknown_login_get_the_same_message(core, world):
    with pytest.raises(AuthenticationFailed) as wrong:
        core.auth.login("aktest", "not-the-password")
    with pytest.raises(AuthenticationFailed) as unknown:
        core.auth.login("nobody-here", "whatever-pass")
    assert str(wrong.value) == str(unknown.value) == "Login or password is incorrect"


def test_repeated_failures_lock_the_account_for_a_while(core, world, clock):
    limit = core.settings.max_failed_logins
    for _ in range(limit - 1):
        with pytest.raises(AuthenticationFailed):
            core.auth.login("aktest", "bad-password")
    with pytest.raises(AccountLocked) as locked:
        core.auth.login("aktest", "bad-password")
    assert "try again after" in str(locked.value) and "GMT+8:00" in str(locked.value)
    # Even the right password is refused while locked …
    with pytest.raises(AccountLocked):
        core.auth.login("aktest", PASSWORD)
    # … and accepted once the lock has passed.
    clock.advance(minutes=core.settings.lockout_minutes, seconds=1)
    assert core.auth.login("aktest", PASSWORD).login == "aktest"
    assert Account.get(Account.login == "aktest").failed_logins == 0


def test_a_success_resets_the_failure_count(core, world):
    for _ in range(core.settings.max_failed_logins - 1):
        with pytest.raises(AuthenticationFailed):
            core.auth.login("aktest", "bad-password")
    core.auth.login("aktest", PASSWORD)
    for _ in range(core.settings.max_failed_logins - 1):
        with pytest.raises(AuthenticationFailed):
            core.auth.login("aktest", "bad-password")
    assert core.auth.login("aktest", PASSWORD).login == "aktest"


def test_short_password_is_refused_naming_the_field(core):
    with pytest.raises(InvalidInput) as err:
        core.accounts.create_account("distributor", "shorty", "Shorty", "short")
    assert err.value.field == "Password"
    assert not Account.select().where(Account.login == "shorty").exists()


def test_lock_is_recorded_in_the_audit_log(core, world):
    for _ in range(core.settings.max_failed_logins):
        with pytest.raises(AuthenticationFailed):
            core.auth.login("inst_none", "bad-password")
    assert AuditLog.select().where((AuditLog.action == "account.locked") & (AuditLog.target == "inst_none")).exists()


# -- the injected hasher: no environment switch, never a weaker hash -------------------------------
STRONGER = Passwords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))


def test_a_strong_stored_hash_stays_after_a_login_through_a_cheap_hasher(core, world):
    strong = STRONGER.hash(PASSWORD)
    Account.update(password_hash=strong).where(Account.login == "aktest").execute()
    assert core.passwords.hasher.memory_cost < 1024  # the suite's core hashes cheaply
    core.auth.login("aktest", PASSWORD)
    assert Account.get(Account.login == "aktest").password_hash == strong


def test_a_weaker_stored_hash_is_upgraded_by_a_stronger_hasher(core, world):
    weak = core.passwords.hash(PASSWORD)
    Account.update(password_hash=weak).where(Account.login == "aktest").execute()
    auth = core.auth.replacing(passwords=STRONGER)  # the same desk, built with a stronger hasher
    auth.login("aktest", PASSWORD)
    stored = Account.get(Account.login == "aktest").password_hash
    assert stored != weak and extract_parameters(stored).memory_cost == 1024
    assert auth.login("aktest", PASSWORD).login == "aktest"


def test_no_environment_variable_weakens_the_hasher(monkeypatch):
    monkeypatch.setenv("SMARTPAY_TEST_CHEAP_HASHES", "1")
    default = Passwords().hasher
    assert (default.memory_cost, default.time_cost) == (PasswordHasher().memory_cost, PasswordHasher().time_cost)
    for path in (Path(smartpay.core.__file__).parent, Path(smartpay.app.__file__).parent):
        for source in path.rglob("*.py"):
            assert "CHEAP_HASHES" not in source.read_text(), source

"""Login: argon2 hashes, lock-out after repeated failures, no secrets stored or leaked."""
import datetime as dt

import pytest

from smartpay.core.db.models import Account, AuditLog
from smartpay.core.errors import AccountLocked, AuthenticationFailed, InvalidInput

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
    assert err.value.field == "password"
    assert not Account.select().where(Account.login == "shorty").exists()


def test_lock_is_recorded_in_the_audit_log(core, world):
    for _ in range(core.settings.max_failed_logins):
        with pytest.raises(AuthenticationFailed):
            core.auth.login("inst_none", "bad-password")
    assert AuditLog.select().where((AuditLog.action == "account.locked") & (AuditLog.target == "inst_none")).exists()

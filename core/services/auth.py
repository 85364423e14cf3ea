"""Login with argon2 password hashes; repeated failures lock the account for a while."""
from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import peewee as pw
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from ..clock import Clock
from ..db.models import Account
from ..errors import AccountLocked, AuthenticationFailed, InvalidInput
from ..views import Actor
from .base import Service
from .convert import actor_of

if TYPE_CHECKING:
    from ..config import Settings
    from ..platform_time import PlatformTime
    from .audit import AuditService
    from .authz import Authorizer


def _make_hasher() -> PasswordHasher:
    # SMARTPAY_TEST_CHEAP_HASHES=1 trades hash strength for speed in the test suite only, where
    # hundreds of throwaway accounts are created; never set it on a real desk.
    if os.environ.get("SMARTPAY_TEST_CHEAP_HASHES") == "1":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


_hasher = _make_hasher()
# Verifying against this keeps unknown logins as slow as known ones (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("smartpay-dummy-password")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


class AuthService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 audit: "AuditService", authz: "Authorizer", ptime: "PlatformTime", settings: "Settings"):
        super().__init__(db, clock)
        self.audit = audit
        self.authz = authz
        self.ptime = ptime
        self.settings = settings

    def login(self, login: str, password: str) -> Actor:
        """Check the password; returns the Actor. Raises AuthenticationFailed or AccountLocked.
        Failure counts are committed before raising: a refusal must still count."""
        settings = self.settings
        failure: AuthenticationFailed | None = None
        with self.write():
            row = Account.get_or_none(Account.login == (login or "").strip())
            now = self.now()
            if row is None:
                _verify(_DUMMY_HASH, password)
                failure = AuthenticationFailed("Login or password is incorrect")
            elif row.locked_until and row.locked_until > now:
                failure = AccountLocked(self._locked_message(row.locked_until))
            elif not _verify(row.password_hash, password):
                row.failed_logins += 1
                failure = AuthenticationFailed("Login or password is incorrect")
                if row.failed_logins >= settings.max_failed_logins:
                    row.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
                    row.failed_logins = 0
                    self.audit.record(None, "account.locked", row.login)
                    failure = AccountLocked(self._locked_message(row.locked_until))
                row.save()
            else:
                if row.failed_logins or row.locked_until:
                    row.failed_logins, row.locked_until = 0, None
                if _hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = _hasher.hash(password)
                row.save()
        if failure is not None:
            raise failure
        return actor_of(row)

    def _locked_message(self, until: dt.datetime) -> str:
        return (f"Account locked after {self.settings.max_failed_logins} failed logins; "
                f"try again after {self.ptime.format(until)}")

    def actor(self, login: str) -> Actor:
        """The Actor for a login, without a password — for admin tools that hold the database."""
        return actor_of(self.authz.account_row(login))


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return False

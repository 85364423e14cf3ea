"""Login with argon2 password hashes; repeated failures lock the account for a while.

M7: the password is verified with no transaction open (argon2 takes a noticeable time; on
SQLite a write transaction would hold every other writer back for it). Only a failure, or a
success that clears earlier failures, writes — under the account row's lock, and only the
columns it owns (`failed_logins`, `locked_until`, `password_hash`), so a concurrent grant
change to the same row is never written back with an old value."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.database import locked
from ..db.models import Account
from .. import validate
from ..errors import AccountLocked, AuthenticationFailed
from ..views import Actor
from .base import Service
from .convert import actor_of

if TYPE_CHECKING:
    from ..config import Settings
    from ..passwords import Passwords
    from ..platform_time import PlatformTime
    from .audit import AuditService
    from .authz import Authorizer

_INCORRECT = "Login or password is incorrect"


class AuthService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *,
                 audit: "AuditService", authz: "Authorizer", ptime: "PlatformTime", settings: "Settings",
                 passwords: "Passwords"):
        super().__init__(db, clock)
        self.passwords = passwords
        self.audit = audit
        self.authz = authz
        self.ptime = ptime
        self.settings = settings

    def login(self, login: str, password: str) -> Actor:
        """Check the password; returns the Actor. Raises AuthenticationFailed or AccountLocked.
        Failure counts are committed before raising: a refusal must still count."""
        form = validate.Form()  # the login form's own problems, both at once, before any check
        if not (login or "").strip():
            form.add("Login", "enter your login")
        if not password:
            form.add("Password", "enter your password")
        form.done()
        passwords = self.passwords
        row = Account.get_or_none(Account.login == (login or "").strip())
        if row is None:
            passwords.verify_unknown(password)
            raise AuthenticationFailed(_INCORRECT)
        if row.locked_until and row.locked_until > self.now():
            raise AccountLocked(self._locked_message(row.locked_until))
        if not passwords.verify(row.password_hash, password):
            raise self._count_failure(row.id)
        upgraded = passwords.hash(password) if passwords.should_upgrade(row.password_hash) else None
        if row.failed_logins or row.locked_until or upgraded:
            self._clear_failures(row.id, row.password_hash, upgraded)
        return actor_of(row)

    def _count_failure(self, account_id: int) -> Exception:
        """One more failed login, counted under the row lock; the answer to give."""
        settings = self.settings
        with self.write():
            now = self.now()
            row = locked(Account.select(Account.id, Account.login, Account.failed_logins, Account.locked_until)
                         .where(Account.id == account_id)).first()
            if row.locked_until and row.locked_until > now:  # another failure locked it meanwhile
                return AccountLocked(self._locked_message(row.locked_until))
            failed, until = row.failed_logins + 1, None
            if failed >= settings.max_failed_logins:
                failed, until = 0, now + dt.timedelta(minutes=settings.lockout_minutes)
            Account.update(failed_logins=failed, locked_until=until).where(Account.id == account_id).execute()
            if until is None:
                return AuthenticationFailed(_INCORRECT)
            self.audit.record(None, "account.locked", row.login)
            return AccountLocked(self._locked_message(until))

    def _clear_failures(self, account_id: int, verified_hash: str, upgraded: str | None) -> None:
        with self.write():
            row = locked(Account.select(Account.id, Account.locked_until, Account.password_hash)
                         .where(Account.id == account_id)).first()
            if row.locked_until and row.locked_until > self.now():
                # Wrong guesses racing this login locked the account: the lock stands.
                raise AccountLocked(self._locked_message(row.locked_until))
            changes = {Account.failed_logins: 0, Account.locked_until: None}
            if upgraded and row.password_hash == verified_hash:  # never over a hash changed meanwhile
                changes[Account.password_hash] = upgraded
            Account.update(changes).where(Account.id == account_id).execute()

    def _locked_message(self, until: dt.datetime) -> str:
        return (f"Account locked after {self.settings.max_failed_logins} failed logins; "
                f"try again after {self.ptime.format(until)}")

    def actor(self, login: str) -> Actor:
        """The Actor for a login, without a password — for admin tools that hold the database."""
        return actor_of(self.authz.account_row(login))

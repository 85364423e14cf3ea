"""SSH access to the desk: operators' public keys, one-time desk tickets, and the access log.

`smartpay ssh serve` (the presentation layer) asks this service which account a key opens, logs
connections and refusals through it, and hands each desk process it spawns a ticket that the
process redeems here, once, to start logged in. Public keys are not secrets, but what is listed
and named is the fingerprint (SHA256:…, as `ssh-keygen -l` prints it)."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
import struct
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import peewee as pw

from ..clock import Clock
from ..db.models import Account, DeskTicket, SshKey
from ..errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from ..views import Actor
from .base import Service
from .convert import actor_of

if TYPE_CHECKING:
    from .audit import AuditService
    from .authz import Authorizer

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
TICKET_SECONDS = 60       # a desk process starts within a second or two; a stale ticket is useless
MAX_KEYS_PER_ACCOUNT = 20


@dataclass(frozen=True)
class PublicKey:
    key_type: str
    key_data: str       # base64 blob
    comment: str

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.key_data)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class SshKeyView:
    fingerprint: str
    key_type: str
    comment: str
    added_at: dt.datetime


def parse_public_key(line: str, field: str = "Public key") -> PublicKey:
    """One OpenSSH public key line, `type base64 [comment]` (what `id_ed25519.pub` holds)."""
    parts = (line or "").strip().split(None, 2)
    if len(parts) < 2:
        raise InvalidInput(field, "paste one public key line, like 'ssh-ed25519 AAAA… you@laptop'")
    key_type, data = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if key_type not in KEY_TYPES:
        raise InvalidInput(field, f"“{_printable(key_type)[:40]}” is not a supported key type "
                                  f"({', '.join(KEY_TYPES[:5])} …)")
    try:
        blob = base64.b64decode(data, validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        embedded = blob[4:4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError):
        raise InvalidInput(field, "the key data is not valid base64 of an SSH key") from None
    if embedded != key_type or len(blob) <= 4 + length:
        raise InvalidInput(field, f"the key data is not a {key_type} key")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in comment):
        raise InvalidInput(field, "the comment holds control or formatting characters")
    return PublicKey(key_type, data, comment[:128])


def _printable(text: str) -> str:
    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf") else "?" for ch in text)


class SshKeyService(Service):
    def __init__(self, db: pw.Database, clock: Clock, *, audit: "AuditService", authz: "Authorizer"):
        super().__init__(db, clock)
        self.audit, self.authz = audit, authz

    # -- keys -----------------------------------------------------------------------------
    def keys_of(self, login: str, by: Actor | None = None) -> list[SshKeyView]:
        """The keys of `login`. `by`: an operator may see only its own; None is the admin CLI."""
        account = self._account(login, by)
        rows = SshKey.select().where(SshKey.account == account.id).order_by(SshKey.added_at, SshKey.id)
        return [SshKeyView(r.fingerprint, r.key_type, r.comment, r.added_at) for r in rows]

    def add(self, login: str, line: str, by: Actor | None = None) -> SshKeyView:
        """Register a public key for `login`; audited. Refused: a bad line, a key already
        registered (to this or any account — a key opens one desk only), too many keys."""
        key = parse_public_key(line)
        with self.write():
            account = self._account(login, by)
            if SshKey.select().where(SshKey.fingerprint == key.fingerprint).exists():
                raise InvalidInput("Public key", f"{key.fingerprint} is already registered")
            if SshKey.select().where(SshKey.account == account.id).count() >= MAX_KEYS_PER_ACCOUNT:
                raise InvalidInput("Public key", f"an account holds at most {MAX_KEYS_PER_ACCOUNT} keys; remove one first")
            try:
                row = SshKey.create(account=account.id, key_type=key.key_type, key_data=key.key_data,
                                    fingerprint=key.fingerprint, comment=key.comment, added_at=self.now())
            except pw.IntegrityError:  # the same key added at the same moment elsewhere
                raise InvalidInput("Public key", f"{key.fingerprint} is already registered") from None
            self.audit.record(by, "ssh_key.added", account.login, fingerprint=key.fingerprint)
        return SshKeyView(row.fingerprint, row.key_type, row.comment, row.added_at)

    def remove(self, login: str, fingerprint: str, by: Actor | None = None) -> None:
        """Remove `login`'s key with that fingerprint; audited. Sessions it opened stay until
        they end (the key is checked when a connection authenticates)."""
        fingerprint = (fingerprint or "").strip()
        with self.write():
            account = self._account(login, by)
            deleted = SshKey.delete().where((SshKey.account == account.id)
                                            & (SshKey.fingerprint == fingerprint)).execute()
            if not deleted:
                raise NotFound(f"fingerprint: {account.login} has no key {_printable(fingerprint)[:64]}")
            self.audit.record(by, "ssh_key.removed", account.login, fingerprint=fingerprint)

    def account_for_key(self, login: str, line: str) -> Actor | None:
        """The Actor whose login is `login` and who registered this public key, else None."""
        try:
            key = parse_public_key(line)
        except InvalidInput:
            return None
        row = (Account.select().join(SshKey).where((SshKey.fingerprint == key.fingerprint)
                                                   & (SshKey.key_data == key.key_data)
                                                   & (Account.login == (login or ""))).first())
        return actor_of(row) if row is not None else None

    def _account(self, login: str, by: Actor | None) -> Account:
        if by is not None and by.login != login:
            raise PermissionDenied("keys: an operator manages only its own SSH keys")
        return self.authz.account_row(login)

    # -- desk tickets ---------------------------------------------------------------------
    def issue_ticket(self, actor: Actor) -> str:
        """A one-time token that starts one desk process logged in as `actor`, valid for
        TICKET_SECONDS. The caller hands it to the process it spawns through an inherited pipe,
        never on a command line; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        now = self.now()
        with self.write():
            DeskTicket.delete().where(DeskTicket.expires_at < now - dt.timedelta(hours=1)).execute()
            DeskTicket.create(token_hash=_hash(token), account=actor.id,
                              expires_at=now + dt.timedelta(seconds=TICKET_SECONDS))
        return token

    def redeem_ticket(self, token: str) -> Actor:
        """The Actor of a ticket not used and not expired; marks it used in the same statement,
        so two processes cannot both redeem it. Raises AuthenticationFailed otherwise."""
        now = self.now()
        token_hash = _hash(token or "")
        with self.write():
            used = (DeskTicket.update(used_at=now)
                    .where((DeskTicket.token_hash == token_hash) & DeskTicket.used_at.is_null()
                           & (DeskTicket.expires_at > now)).execute())
            if used != 1:
                raise AuthenticationFailed("desk ticket: unknown, used or expired; connect again")
            row = Account.select().join(DeskTicket, on=(DeskTicket.account == Account.id)).where(
                DeskTicket.token_hash == token_hash).get()
        return actor_of(row)

    # -- the access log -------------------------------------------------------------------
    def log_access(self, login: str, action: str, **detail) -> None:
        """An `ssh.*` entry in the audit log (connect, disconnect, refused …). `login` is what the
        client sent as user name: kept printable and short, and linked to the account if one
        has it. `detail` holds addresses, fingerprints and reasons, never a password."""
        shown = _printable(login or "")[:64]
        with self.write():
            row = Account.get_or_none(Account.login == shown)
            self.audit.record(actor_of(row) if row else None, action, shown, **detail)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

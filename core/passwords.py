"""Password hashing (argon2), handed to the core by whoever builds it: production uses argon2's
recommended parameters; tests inject a cheap hasher through their fixtures. There is no
environment switch: a desk's hash strength is decided in code, by its builder."""
from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import InvalidInput

MIN_PASSWORD = 8


class Passwords:
    """Hash, verify and (only ever upwards) upgrade stored password hashes."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self.hasher = hasher or PasswordHasher()

    @staticmethod
    def check(password: str | None, field: str = "Password") -> str:
        """Refuse a password too short to keep (before any hashing, so a form can report it
        with its other problems)."""
        if len(password or "") < MIN_PASSWORD:
            raise InvalidInput(field, f"must be at least {MIN_PASSWORD} characters")
        return password

    def hash(self, password: str) -> str:
        return self.hasher.hash(self.check(password))

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            return False

    def verify_unknown(self, password: str) -> None:
        """Spend the time a real verification takes, so an unknown login is not told apart by timing."""
        self.verify(self._dummy_hash, password)

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("smartpay-dummy-password")

    def should_upgrade(self, stored: str) -> bool:
        """True when `stored` is weaker than this hasher in some parameter and stronger in none.
        A cheaper hasher (a test's, or a misconfigured desk's) never replaces a stronger hash:
        that would undo the strength the hash was stored with."""
        try:
            old = extract_parameters(stored)
        except InvalidHashError:
            return False
        new = self.hasher
        pairs = ((old.memory_cost, new.memory_cost), (old.time_cost, new.time_cost),
                 (old.parallelism, new.parallelism), (old.hash_len, new.hash_len), (old.salt_len, new.salt_len))
        return all(o <= n for o, n in pairs) and any(o < n for o, n in pairs)

"""Where transaction numbers and coupon codes come from. Production draws them from `secrets`;
tests and snapshots inject a seeded source so the same run shows the same numbers (like the
clock, one injectable object on the core)."""
from __future__ import annotations

import random
import secrets

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed


class IdSource:
    def __init__(self, rng: random.Random | None = None):
        # secrets.SystemRandom is unpredictable; a seeded Random is only for tests.
        self._rng = rng or secrets.SystemRandom()

    def txn(self) -> str:
        """17 digits, first one non-zero — the shape of SmartPlus transaction numbers."""
        return str(self._rng.randrange(10**16, 10**17))

    def coupon_code(self) -> str:
        body = "".join(self._rng.choice(_ALPHABET) for _ in range(12))
        return f"CP-{body[:4]}-{body[4:8]}-{body[8:]}"


class SeededIds(IdSource):
    """Deterministic ids for tests and snapshots. Never use on a real desk."""

    def __init__(self, seed: int = 0):
        super().__init__(random.Random(seed))

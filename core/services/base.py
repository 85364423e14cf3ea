"""What every service shares: the core it belongs to, and small helpers."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..db.database import write_transaction

if TYPE_CHECKING:
    from ..context import Smartpay


class Service:
    def __init__(self, core: "Smartpay"):
        self.core = core

    @property
    def db(self):
        return self.core.db

    def now(self) -> dt.datetime:
        return self.core.clock.now()

    def write(self):
        """The write transaction (BEGIN IMMEDIATE on SQLite); see db.database."""
        return write_transaction(self.core.db)

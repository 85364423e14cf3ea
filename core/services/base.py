"""What every service shares: the database it writes to and the clock it reads time from.

Services take their collaborators in their constructors, by name and typed, so a reader (and an
IDE) sees what each one depends on; `core/wiring.py` builds them all once."""
from __future__ import annotations

import datetime as dt

import peewee as pw

from ..clock import Clock
from ..db.database import write_transaction


class Service:
    def __init__(self, db: pw.Database, clock: Clock):
        self.db = db
        self.clock = clock

    def now(self) -> dt.datetime:
        return self.clock.now()

    def write(self):
        """The write transaction (BEGIN IMMEDIATE on SQLite); see db.database."""
        return write_transaction(self.db)

    def replacing(self, **collaborators):
        """This service built again with some collaborators replaced — how tests hand a service a
        fake (a failing completion, a contested order writer) instead of patching its insides.
        Every service keeps each constructor argument under the argument's own name."""
        import inspect
        names = [n for n in inspect.signature(type(self).__init__).parameters if n not in ("self", "db", "clock")]
        unknown = set(collaborators) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no collaborator {', '.join(sorted(unknown))}")
        return type(self)(self.db, self.clock, **{n: collaborators.get(n, getattr(self, n)) for n in names})

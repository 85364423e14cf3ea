"""Column types shared by the models."""
from __future__ import annotations

import datetime as dt

import peewee

UTC = dt.timezone.utc


class UtcDateTimeField(peewee.DateTimeField):
    """Stores instants as naive UTC (portable across SQLite and PostgreSQL); reads them back
    timezone-aware, so no naive datetime ever leaves the storage layer."""

    def db_value(self, value):
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(f"{getattr(self, 'name', 'datetime')}: naive datetime refused; pass an aware one")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

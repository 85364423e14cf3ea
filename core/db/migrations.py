"""Versioned schema migrations. Each step runs once, in a transaction, in order; the applied
versions are recorded in `schema_version`. New steps append to MIGRATIONS and use peewee's
migrator (playhouse.migrate) for ALTERs."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator

from .models import MODELS, SchemaVersion


def _v1_initial(db: pw.Database, migrator: SchemaMigrator) -> None:
    db.create_tables(MODELS)


MIGRATIONS: list[tuple[int, str, Callable[[pw.Database, SchemaMigrator], None]]] = [
    (1, "initial schema: accounts, projects, items, orders, payments, coupons, credit ledger, audit", _v1_initial),
]
LATEST = MIGRATIONS[-1][0]


def _migrator(db: pw.Database) -> SchemaMigrator:
    return PostgresqlMigrator(db) if isinstance(db, pw.PostgresqlDatabase) else SqliteMigrator(db)


def current_version(db: pw.Database) -> int:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return 0
    return SchemaVersion.select(pw.fn.MAX(SchemaVersion.version)).scalar() or 0


def upgrade(db: pw.Database, now: dt.datetime) -> list[int]:
    """Apply every pending migration; returns the versions applied (empty when up to date)."""
    db.create_tables([SchemaVersion], safe=True)
    applied = []
    for version, description, step in MIGRATIONS:
        if version <= current_version(db):
            continue
        with db.atomic():
            step(db, _migrator(db))
            SchemaVersion.create(version=version, description=description, applied_at=now)
        applied.append(version)
    return applied

"""Versioned schema migrations. Each step runs once, in a transaction, in order; the applied
versions are recorded in `schema_version`. New steps append to MIGRATIONS and use peewee's
migrator (playhouse.migrate) for ALTERs."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator

from .models import MODELS_V1, MODELS_V2, MODELS_V3, SchemaVersion


def _v1_initial(db: pw.Database, migrator: SchemaMigrator) -> None:
    db.create_tables(MODELS_V1)


def _v2_money_moves(db: pw.Database, migrator: SchemaMigrator) -> None:
    db.create_tables(MODELS_V2)
    # Webhooks look attempts up by the provider's reference. A database created at version 1 by
    # this code already has the index (the model declares it), hence IF NOT EXISTS.
    db.execute_sql("CREATE INDEX IF NOT EXISTS payment_attempt_provider_ref ON payment_attempt (provider_ref)")


def _v3_ssh_access(db: pw.Database, migrator: SchemaMigrator) -> None:
    db.create_tables(MODELS_V3)


def _v4_credits_bought_for(db: pw.Database, migrator: SchemaMigrator) -> None:
    from playhouse.migrate import migrate
    from .models import Order
    # Version 1 creates `order` from today's model, which has the column already.
    if "credit_for_id" not in {c.name for c in db.get_columns(Order._meta.table_name)}:
        migrate(migrator.add_column(Order._meta.table_name, "credit_for_id", Order.credit_for))


MIGRATIONS: list[tuple[int, str, Callable[[pw.Database, SchemaMigrator], None]]] = [
    (1, "initial schema: accounts, projects, items, orders, payments, coupons, credit ledger, audit", _v1_initial),
    (2, "refunds, auto-renew plans and cycles, notifications, webhook inbox", _v2_money_moves),
    (3, "SSH access: operators' public keys and one-time desk tickets", _v3_ssh_access),
    (4, "credit purchases for an account below the buyer (R15)", _v4_credits_bought_for),
]
LATEST = MIGRATIONS[-1][0]


def _migrator(db: pw.Database) -> SchemaMigrator:
    return PostgresqlMigrator(db) if isinstance(db, pw.PostgresqlDatabase) else SqliteMigrator(db)


def current_version(db: pw.Database) -> int:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return 0
    return SchemaVersion.select(pw.fn.MAX(SchemaVersion.version)).scalar() or 0


def upgrade(db: pw.Database, now: dt.datetime, target: int | None = None) -> list[int]:
    """Apply every pending migration (up to `target`, for tests of old databases); returns the
    versions applied (empty when up to date)."""
    db.create_tables([SchemaVersion], safe=True)
    applied = []
    for version, description, step in MIGRATIONS:
        if version <= current_version(db) or (target is not None and version > target):
            continue
        with db.atomic():
            step(db, _migrator(db))
            SchemaVersion.create(version=version, description=description, applied_at=now)
        applied.append(version)
    return applied

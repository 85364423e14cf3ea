"""Opening the database and taking the write lock the payment path needs (M2)."""
from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import urlparse

import peewee as pw
from playhouse.db_url import connect as connect_url

from ..errors import ConfigError

db_proxy = pw.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,  # writers queue behind BEGIN IMMEDIATE instead of failing at once
    "synchronous": "normal",
}


def open_database(url: str) -> pw.Database:
    """`sqlite:///path` (the embedded default) or `postgresql://user@host:port/db`."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ConfigError(f"db: '{url}' must look like sqlite:///path/to/file.db")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = pw.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=15)
    elif scheme in ("postgres", "postgresql"):
        db = connect_url(url.replace("postgres://", "postgresql://", 1))
    else:
        raise ConfigError(f"db: unsupported database URL scheme '{scheme}' (use sqlite:/// or postgresql://)")
    db_proxy.initialize(db)
    return db


def is_postgres(db: pw.Database) -> bool:
    return isinstance(db, pw.PostgresqlDatabase)


def write_transaction(db: pw.Database):
    """A transaction that holds the write lock from its first statement on SQLite
    (BEGIN IMMEDIATE), so read-check-write sequences cannot interleave between processes.
    On PostgreSQL the rows are locked with SELECT … FOR UPDATE (see `locked`)."""
    if isinstance(db, pw.SqliteDatabase) and db.transaction_depth() == 0:
        return db.atomic("IMMEDIATE")
    return db.atomic()


def locked(query: pw.ModelSelect) -> pw.ModelSelect:
    """Row lock on PostgreSQL; on SQLite the IMMEDIATE transaction already serialises writers."""
    db = query.model._meta.database
    if is_postgres(db.obj if isinstance(db, pw.DatabaseProxy) else db):
        return query.for_update()
    return query


@contextlib.contextmanager
def closing_connection(db: pw.Database):
    db.connect(reuse_if_open=True)
    try:
        yield db
    finally:
        if not db.is_closed():
            db.close()

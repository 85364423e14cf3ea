"""Many rows of one shape in one `executemany`: the auto-renew runner's batched writes.

peewee builds every statement's SQL afresh (a fraction of a millisecond of Python each), and
the runner's batches write the same few shapes dozens of times per batch. These helpers build
the SQL once per shape and hand the rows to the driver's `executemany`, inside the caller's
transaction (same connection). Values go through each field's `db_value`, exactly as peewee
would send them (aware datetimes → naive UTC, see fields.py)."""
from __future__ import annotations

from typing import Iterable, Sequence

import peewee as pw


def _database(model: type[pw.Model]) -> pw.Database:
    db = model._meta.database
    return db.obj if isinstance(db, pw.DatabaseProxy) else db


def _executemany(db: pw.Database, sql: str, params: list[tuple]) -> None:
    # peewee's exception wrapper: callers catch pw.IntegrityError as for any peewee query.
    with pw.__exception_wrapper__:
        db.cursor().executemany(sql, params)


def _name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def update_many(model: type[pw.Model], set_fields: Sequence[pw.Field], key_fields: Sequence[pw.Field],
                rows: Iterable[Sequence]) -> None:
    """`UPDATE t SET a = ?, … WHERE k = ? AND …` once per row; each row gives the SET values,
    then the key values. A None key value matches nothing (`= NULL`): callers guard on
    nullable keys themselves."""
    fields = list(set_fields) + list(key_fields)
    params = [tuple(f.db_value(v) for f, v in zip(fields, row)) for row in rows]
    if not params:
        return
    db = _database(model)
    p = db.param
    sql = (f"UPDATE {_name(model._meta.table_name)} SET "
           + ", ".join(f"{_name(f.column_name)} = {p}" for f in set_fields)
           + " WHERE " + " AND ".join(f"{_name(f.column_name)} = {p}" for f in key_fields))
    _executemany(db, sql, params)


def save_many(instances: Sequence[pw.Model], fields: Sequence[pw.Field]) -> None:
    """`instance.save(only=fields)` for each instance (all of one model), in one executemany."""
    if not instances:
        return
    model = type(instances[0])
    pk = model._meta.primary_key
    update_many(model, fields, [pk], [[o.__data__.get(f.name) for f in fields] + [o.__data__[pk.name]]
                                      for o in instances])


def insert_many(model: type[pw.Model], fields: Sequence[pw.Field], rows: Iterable[Sequence]) -> None:
    """`INSERT INTO t (a, …) VALUES (?, …)` once per row (ids are not read back)."""
    params = [tuple(f.db_value(v) for f, v in zip(fields, row)) for row in rows]
    if not params:
        return
    db = _database(model)
    sql = (f"INSERT INTO {_name(model._meta.table_name)} (" + ", ".join(_name(f.column_name) for f in fields)
           + ") VALUES (" + ", ".join(db.param for _ in fields) + ")")
    _executemany(db, sql, params)

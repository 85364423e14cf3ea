"""Storage: SQLite pragmas, versioned migrations, UTC instants, PostgreSQL by URL."""
import datetime as dt

import peewee as pw
import pytest

from smartpay.core.clock import FixedClock
from smartpay.core.config import Settings
from smartpay.core.context import Smartpay
from smartpay.core.db import migrations
from smartpay.core.db.database import open_database
from smartpay.core.db.fields import UtcDateTimeField
from smartpay.core.db.models import Account, SchemaVersion
from smartpay.core.errors import ConfigError

from support import BACKEND, CHEAP_PASSWORDS, NOW


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite pragmas; the PostgreSQL run covers the other backend")
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(core):
    assert core.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert core.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert core.db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


@pytest.mark.skipif(BACKEND != "postgres", reason="only meaningful in the PostgreSQL run")
def test_postgresql_is_used_by_url(core):
    assert isinstance(core.db, pw.PostgresqlDatabase)


def test_foreign_keys_are_enforced(core):
    with pytest.raises(pw.IntegrityError):
        with core.db.atomic():
            Account.create(login="orphan", name="Orphan", role="installer", parent=999_999,
                           password_hash="x", created_at=NOW)


def test_upgrade_is_versioned_and_idempotent(settings):
    first = Smartpay.open(settings, FixedClock(NOW), upgrade=True, passwords=CHEAP_PASSWORDS)
    assert migrations.current_version(first.db) == migrations.LATEST
    assert first.upgrade() == []  # nothing left to apply
    assert SchemaVersion.select().count() == len(migrations.MIGRATIONS)
    first.close()


def test_an_unmigrated_database_is_refused_with_what_to_do(settings):
    with pytest.raises(ConfigError) as err:
        Smartpay.open(settings, FixedClock(NOW))
    assert "smartpay db upgrade" in str(err.value)


def test_instants_come_back_timezone_aware_in_utc(core, world):
    row = Account.get(Account.login == "aktest")
    assert row.created_at.tzinfo is not None
    assert row.created_at == NOW


def test_naive_datetimes_are_refused_by_the_storage_layer():
    with pytest.raises(ValueError):
        UtcDateTimeField().db_value(dt.datetime(2025, 1, 1))


def test_unknown_database_scheme_is_a_clear_error():
    with pytest.raises(ConfigError) as err:
        open_database("mysql://localhost/x")
    assert "sqlite:///" in str(err.value) and "postgresql://" in str(err.value)


def test_settings_default_database_is_sqlite_in_the_user_data_dir():
    assert Settings().db_url.startswith("sqlite:///") and Settings().db_url.endswith("smartpay.db")


def test_migration_4_adds_the_credit_purchase_beneficiary_to_a_version_3_database(tmp_path, clock):
    """R15's column on a database made before it: version 1 today creates `order` from the current
    model, so the old table is rebuilt by dropping the column, as a version-3 desk had it."""
    import peewee as pw

    from smartpay.core.db import migrations
    from smartpay.core.db.database import db_proxy
    db = pw.SqliteDatabase(str(tmp_path / "v3.db"))
    db_proxy.initialize(db)
    migrations.upgrade(db, clock.now(), target=3)
    from playhouse.migrate import SqliteMigrator, migrate
    migrate(SqliteMigrator(db).drop_column("order", "credit_for_id", legacy=True))  # rebuilds the table
    assert "credit_for_id" not in {c.name for c in db.get_columns("order")}
    assert migrations.upgrade(db, clock.now()) == [4]
    assert "credit_for_id" in {c.name for c in db.get_columns("order")}
    db.close()

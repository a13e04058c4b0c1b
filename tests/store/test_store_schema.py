"""Migrations build the schema from empty on both databases, and match the table definitions."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assay.store import SCHEMA_REVISION, Store, head_revision, tables
from assay.store._migrate import downgrade


def test_schema_revision_is_the_migration_head() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_migrations_from_empty_create_every_table(store: Store) -> None:
    assert store.current_revision() == SCHEMA_REVISION
    names = set(sa.inspect(store.engine).get_table_names())
    expected = {t.name for t in (*tables.GOVERNED_TABLES, *tables.WEB_TABLES)}
    expected |= {"audit_events", "alembic_version"}
    assert names == expected
    # A table is never named "models": the ML model under review is a "model version".
    assert "models" not in names


def test_migrated_schema_matches_the_table_definitions(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(store: Store) -> None:
    downgrade(store.engine, "base")
    assert store.current_revision() is None
    assert set(sa.inspect(store.engine).get_table_names()) <= {"alembic_version"}
    store.upgrade()
    assert store.current_revision() == SCHEMA_REVISION
    assert store.verify().ok


def test_upgrade_is_idempotent(store: Store) -> None:
    store.upgrade()
    store.upgrade()
    assert store.current_revision() == SCHEMA_REVISION


def test_sqlite_uses_wal(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("WAL is a SQLite setting")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize("package", ["assay.store", "assay.governance"])
def test_public_api_is_sorted_and_complete(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(module, name), name
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and n != "annotations"
        and isinstance(getattr(v, "__module__", None), str)
        and getattr(v, "__module__", "").startswith(package + "._")
    }
    assert public <= set(exported)

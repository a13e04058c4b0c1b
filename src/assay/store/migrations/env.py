"""Alembic environment: migrations run on the connection Assay hands over (see _migrate.py)."""

from __future__ import annotations

from alembic import context

from assay.store._schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Assay's migrations run through `assay db upgrade` (or assay.store.Store.upgrade), "
        "not the alembic command line."
    )
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()

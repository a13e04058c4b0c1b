"""The Store: one database (SQLite or PostgreSQL) and one blob folder, written through audited
transactions.

Every write goes through :meth:`Store.write`, which serialises writers (``BEGIN IMMEDIATE`` on
SQLite, a table lock on PostgreSQL), collects the image of every row the transaction changes and,
just before commit, appends exactly one hash-chained audit event that records them. If anything
fails, the transaction rolls back and nothing, not even the event, is written.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from assay.canonical import canonical_json
from assay.errors import InputError, NotFoundError, TransitionError
from assay.store._audit import (
    GENESIS_HASH,
    AuditReport,
    event_hash,
    row_image,
    row_keys_text,
    verify_chain,
)
from assay.store._blobs import BlobStore
from assay.store._engine import SCOPE_OPTION, WRITE_OPTION, create_engine, normalize_url
from assay.store._limits import check_row, check_text_value
from assay.store._roles import chain_lock_statement
from assay.store._schema import APPEND_ONLY_TABLES, audit_events, row_key
from assay.store._types import to_jsonable, utc

__all__ = ["Guard", "Store", "WriteTx"]

Guard = Callable[[Connection, sa.Table, RowMapping], None]
"""Checks one row a write transaction inserts, updates (before and after) or deletes, and
raises to refuse it; given by the layer that knows who may write what (governance)."""

_Key = Mapping[str, Any] | int | str


class WriteTx:
    """One audited write transaction; obtained from :meth:`Store.write`.

    Use :meth:`insert`, :meth:`update` and :meth:`delete` for governed tables (they record the row
    images the audit event needs); use :attr:`conn` for reads.
    """

    def __init__(
        self,
        conn: Connection,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        note: str | None,
        at: dt.datetime,
        guard: Guard | None = None,
    ) -> None:
        self.conn = conn
        self._guard = guard
        self.actor = actor
        self.action = action
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.note = None if note is None else check_text_value(note, what="note")
        self.at = utc(at)
        self._changes: dict[str, dict[str, Any]] = {}

    def set_entity(self, entity_type: str, entity_id: str | int) -> None:
        """Name the main entity of the event (for example once an insert assigned the id)."""
        self.entity_type = entity_type
        self.entity_id = str(entity_id)

    def _record(self, table: sa.Table, before: RowMapping | None, after: RowMapping | None) -> None:
        source = after if after is not None else before
        assert source is not None
        key = row_key(table, source)
        full = f"{table.name}:{key}"
        image_after = row_image(table, after) if after is not None else None
        if full in self._changes:
            self._changes[full]["after"] = image_after
        else:
            self._changes[full] = {
                "table": table.name,
                "key": key,
                "before": row_image(table, before) if before is not None else None,
                "after": image_after,
            }

    @staticmethod
    def _where(table: sa.Table, key: _Key) -> Any:
        pk = list(table.primary_key.columns)
        if isinstance(key, Mapping):
            return sa.and_(*(col == key[col.name] for col in pk))
        if len(pk) != 1:
            raise TypeError(f"{table.name} has a composite key; pass a mapping")
        return pk[0] == key

    def get(self, table: sa.Table, key: _Key) -> RowMapping | None:
        """The row with this primary key, or None."""
        return self.conn.execute(sa.select(table).where(self._where(table, key))).mappings().first()

    def insert(self, table: sa.Table, values: Mapping[str, Any]) -> RowMapping:
        """Insert one row and return it as stored (with its generated id).

        Values the databases would store differently, or not at all, are refused first
        (:func:`~assay.store.check_row`): the same on SQLite and PostgreSQL.
        """
        check_row(table, values)
        row = (
            self.conn.execute(table.insert().values(**values).returning(*table.c)).mappings().one()
        )
        if self._guard is not None:
            self._guard(self.conn, table, row)
        self._record(table, None, row)
        return row

    def update(self, table: sa.Table, key: _Key, values: Mapping[str, Any]) -> RowMapping:
        """Update one row; :class:`TransitionError` for append-only tables such as evidence."""
        if table.name in APPEND_ONLY_TABLES:
            raise TransitionError(
                f"Rows in {table.name} are immutable once written. "
                + (
                    "To correct evidence, record a new version that supersedes it "
                    "(assay evidence add ... --supersedes ID --reason ...)."
                    if table.name == "evidence"
                    else "Record a new entry instead."
                )
            )
        check_row(table, values)
        before = self.get(table, key)
        if before is None:
            raise NotFoundError(f"There is no row {key!r} in {table.name}.")
        after = (
            self.conn.execute(
                table.update().where(self._where(table, key)).values(**values).returning(*table.c)
            )
            .mappings()
            .one()
        )
        if self._guard is not None:
            self._guard(self.conn, table, before)
            self._guard(self.conn, table, after)
        self._record(table, before, after)
        return after

    def delete(self, table: sa.Table, key: _Key) -> RowMapping:
        """Delete one row (link rows only; records are closed, never deleted)."""
        if table.name in APPEND_ONLY_TABLES:
            raise TransitionError(f"Rows in {table.name} are never deleted.")
        before = self.get(table, key)
        if before is None:
            raise NotFoundError(f"There is no row {key!r} in {table.name}.")
        if self._guard is not None:
            self._guard(self.conn, table, before)
        self.conn.execute(table.delete().where(self._where(table, key)))
        self._record(table, before, None)
        return before

    def record_existing(self, table: sa.Table, row: RowMapping) -> None:
        """Record a row that already exists as written by this event (adopting rows into the
        chain, as a migration does for credentials)."""
        self._record(table, None, row)

    def record_dropped(self, table: sa.Table, key: str) -> None:
        """Record that the row ``key`` of ``table``, absent here, is no longer carried (an import
        that leaves credentials out)."""
        self._changes[f"{table.name}:{key}"] = {
            "table": table.name,
            "key": key,
            "before": None,
            "after": None,
        }

    @property
    def changed(self) -> bool:
        """Whether any row was written so far."""
        return bool(self._changes)

    def chain_head(self) -> tuple[int, str]:
        """The sequence number and hash of the newest audit event before this transaction's
        (``(0, GENESIS_HASH)`` on an empty chain)."""
        last = self.conn.execute(
            sa.select(audit_events.c.seq, audit_events.c.hash)
            .order_by(audit_events.c.seq.desc())
            .limit(1)
        ).first()
        return (0, GENESIS_HASH) if last is None else (int(last[0]), str(last[1]))

    def append_event(self) -> None:
        """Append the one audit event of this transaction (:meth:`Store.write` does, at the end)."""
        head_seq, prev = self.chain_head()
        seq = head_seq + 1
        changes = canonical_json(list(self._changes.values()))
        keys = row_keys_text(list(self._changes.values()))
        at_text = to_jsonable(self.at)
        digest = event_hash(
            prev,
            seq,
            at_text,
            self.actor,
            self.action,
            self.entity_type,
            self.entity_id,
            keys,
            changes,
            self.note,
        )
        self.conn.execute(
            audit_events.insert().values(
                seq=seq,
                at=self.at,
                actor=self.actor,
                action=self.action,
                entity_type=self.entity_type,
                entity_id=self.entity_id,
                row_keys=keys,
                changes=changes,
                note=self.note,
                prev_hash=prev,
                hash=digest,
            )
        )


class Store:
    """A database plus a blob folder.

    Parameters
    ----------
    url
        ``sqlite:///PATH`` or ``postgresql+psycopg://USER@HOST:PORT/DB``.
    blob_dir
        Folder of the content-addressed blobs (``.assay/blobs`` in a workspace).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> store = Store(f"sqlite:///{tmp}/assay.db", blob_dir=tmp / "blobs")
    >>> store.upgrade()
    >>> store.verify().ok
    True
    >>> store.dispose()
    """

    def __init__(self, url: str, *, blob_dir: Path) -> None:
        self.url = normalize_url(url)
        self.engine: Engine = create_engine(self.url)
        self.blobs = BlobStore(blob_dir)
        self._lock_sql: str | None = None
        self.scope: frozenset[str] | None = None

    def scoped(self, scope: frozenset[str] | None) -> Store:
        """This store (same engine, blobs and pool) whose connections carry ``scope``: the
        organisations a reader may see (None: all). Every connection it opens has the scope in
        its execution options (:func:`connection_scope`), so a lookup given only a connection
        still knows whose it is."""
        view = copy.copy(self)
        view.scope = scope
        return view

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        if self.scope is not None:
            conn = conn.execution_options(**{SCOPE_OPTION: self.scope})
        return conn

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return str(self.engine.dialect.name)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A connection in one read transaction.

        ``snapshot=True`` asks PostgreSQL for REPEATABLE READ so that several queries (an export,
        a verification) see one consistent state; SQLite transactions always do.
        """
        with self._connect() as conn:
            if snapshot and self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def volatile(self) -> Iterator[Connection]:
        """A write transaction for short-lived state outside the audit chain: sessions, login
        throttling, a token's last use. Never for governed or credential rows (use :meth:`write`).
        """
        with self._connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def write(
        self,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str | int = "",
        note: str | None = None,
        at: dt.datetime | None = None,
        guard: Guard | None = None,
    ) -> Iterator[WriteTx]:
        """One transaction that ends with one audit event, or rolls back entirely.

        Parameters
        ----------
        actor
            The user making the change.
        action
            What the change is, as ``noun.verb`` (``"risk.update"``).
        entity_type, entity_id
            The main record changed; :meth:`WriteTx.set_entity` can set them later.
        note
            Free text kept in the event (a reason, a comment).
        at
            The event time; now (UTC) by default.
        guard
            Called with every row the transaction writes, before it is recorded; raising rolls
            the whole transaction back.
        """
        if not actor or any(ch.isspace() for ch in actor):
            raise InputError(f"The actor name {actor!r} must be non-empty and without spaces.")
        with self._connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                if self.dialect == "postgresql":
                    # Serialise writers so the chain never forks; plain reads are not blocked.
                    conn.exec_driver_sql(self._chain_lock(conn))
                tx = WriteTx(
                    conn,
                    actor=actor,
                    action=action,
                    entity_type=entity_type,
                    entity_id=str(entity_id),
                    note=note,
                    at=at if at is not None else dt.datetime.now(dt.UTC),
                    guard=guard,
                )
                yield tx
                if tx.changed:
                    tx.append_event()

    def _chain_lock(self, conn: Connection) -> str:
        """The statement that takes the chain's writer lock as this store's database role (the
        owner locks the table; a per-person role calls ``assay_lock_chain()``)."""
        if self._lock_sql is None:
            self._lock_sql = chain_lock_statement(conn)
        return self._lock_sql or "LOCK TABLE audit_events IN EXCLUSIVE MODE"

    def verify(self) -> AuditReport:
        """Verify the audit chain and every governed row (see :func:`verify_chain`)."""
        with self.read(snapshot=True) as conn:
            return verify_chain(conn, url=self.url, workers=os.cpu_count() or 1)

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision``."""
        from assay.store._migrate import upgrade

        upgrade(self.engine, revision)

    def current_revision(self) -> str | None:
        """The migration the database is at, or None for an empty database."""
        from assay.store._migrate import current_revision

        return current_revision(self.engine)

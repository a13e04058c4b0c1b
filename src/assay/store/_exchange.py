"""Bulk export and import of every governed row and the audit log, exactly as stored.

Import reproduces a store byte for byte (ids, hashes, timestamps); the imported chain is verified,
in the same transaction, before anything is committed. Exports never carry credentials (passwords,
API tokens): when the imported chain recorded some, import appends one event
(``credentials.drop``) saying they were not carried, so the new store verifies; people set new
credentials there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.errors import ConflictError, InputError, IntegrityError
from assay.store._audit import AuditReport, verify_chain
from assay.store._engine import WRITE_OPTION
from assay.store._limits import check_row
from assay.store._schema import CREDENTIAL_TABLES, GOVERNED_TABLES, audit_events
from assay.store._store import Store, WriteTx
from assay.store._types import UTCDateTime, to_jsonable

__all__ = ["EVENT_COLUMNS", "dump_events", "dump_table", "is_empty", "load"]

EVENT_COLUMNS = tuple(audit_events.columns.keys())
_CHUNK = 5_000


def is_empty(conn: Connection) -> bool:
    """True when no audit event and no governed row exists."""
    if conn.execute(sa.select(audit_events.c.seq).limit(1)).first() is not None:
        return False
    return all(conn.execute(sa.select(t).limit(1)).first() is None for t in GOVERNED_TABLES)


def dump_table(conn: Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    """Every row of a governed table as JSON values, in primary-key order."""
    q = sa.select(table).order_by(*table.primary_key.columns)
    for row in conn.execution_options(yield_per=_CHUNK).execute(q).mappings():
        yield {str(k): to_jsonable(v) for k, v in row.items()}


def dump_events(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every audit event as stored (``changes`` kept as its exact text), in chain order."""
    q = sa.select(audit_events).order_by(audit_events.c.seq)
    for row in conn.execution_options(yield_per=_CHUNK).execute(q).mappings():
        yield {str(k): to_jsonable(v) for k, v in row.items()}


def _parsers(table: sa.Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        if isinstance(col.type, UTCDateTime):
            out[col.name] = dt.datetime.fromisoformat
        elif isinstance(col.type, sa.Date):
            out[col.name] = dt.date.fromisoformat
    return out


def _typed(table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    parsers = _parsers(table)
    names = set(table.columns.keys())
    for row in rows:
        if not isinstance(row, Mapping):
            raise IntegrityError(
                f"The imported rows of {table.name} are not all mappings of column to value; "
                "the export was edited."
            )
        extra = set(row) - names
        if extra:
            raise IntegrityError(
                f"The imported rows of {table.name} have unknown columns {sorted(extra)}; the "
                "export comes from another Assay version or was edited."
            )
        out = dict(row)
        for name, parse in parsers.items():
            if out.get(name) is not None:
                out[name] = _parsed(table, name, parse, out[name])
        _check_imported(table, out)
        yield out


def _parsed(table: sa.Table, name: str, parse: Any, value: Any) -> Any:
    try:
        parsed = parse(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or (isinstance(parsed, dt.datetime) and parsed.tzinfo is None):
        raise IntegrityError(
            f"The imported rows of {table.name} have the {name} {str(value)[:40]!r}, which is not "
            "a date or a time with its offset; the export was edited."
        )
    return parsed


def _check_imported(table: sa.Table, row: dict[str, Any]) -> None:
    """Refuse, before any database sees it, a row that SQLite and PostgreSQL would not both store
    (a NUL character, a value longer than its column): a backup restores into either."""
    # An event's changes and row keys are Assay's own JSON text, as long as the event needs.
    checked = (
        {k: v for k, v in row.items() if k not in ("changes", "row_keys")}
        if table is audit_events
        else row
    )
    try:
        check_row(table, checked)
    except InputError as exc:
        key = "/".join(str(row.get(col.name)) for col in table.primary_key.columns)
        raise IntegrityError(
            f"The imported row {table.name}:{key} cannot be stored: {exc} Nothing was imported."
        ) from None


def _insert_chunks(conn: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, _CHUNK)):
        conn.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def load(
    store: Store,
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    events: Iterable[Mapping[str, Any]],
    *,
    verify: bool = True,
) -> AuditReport | None:
    """Load rows and audit events into an empty store, in one transaction.

    Parameters
    ----------
    store
        A migrated, empty store.
    tables
        Rows per governed table name, as produced by :func:`dump_table`.
    events
        Audit events, as produced by :func:`dump_events`.
    verify
        Verify the chain and rows before committing; refuse (and write nothing) when broken.

    Returns
    -------
    AuditReport or None
        The verification report when ``verify`` is set.
    """
    unknown = set(tables) - {t.name for t in GOVERNED_TABLES}
    if unknown:
        raise IntegrityError(f"Unknown tables in the import: {sorted(unknown)}.")
    try:
        return _load(store, tables, events, verify=verify)
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise IntegrityError(
            f"The imported records cannot be stored ({first}); the export was edited or comes "
            "from a damaged workspace. Nothing was imported."
        ) from None


def _load(
    store: Store,
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    events: Iterable[Mapping[str, Any]],
    *,
    verify: bool,
) -> AuditReport | None:
    report = None
    with store.engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if store.dialect == "postgresql":
                conn.exec_driver_sql("LOCK TABLE audit_events IN EXCLUSIVE MODE")
            if not is_empty(conn):
                raise ConflictError(
                    "The target workspace already holds records; import and restore need an "
                    "empty one. Run them in a new folder (or against an empty database)."
                )
            for table in GOVERNED_TABLES:
                if table.name in tables:
                    _insert_chunks(conn, table, _typed(table, tables[table.name]))
            _insert_chunks(conn, audit_events, _typed(audit_events, events))
            if store.dialect == "postgresql":
                for table in GOVERNED_TABLES:
                    if "id" in table.c and table.c.id.autoincrement is not False:
                        conn.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
            _drop_credentials(conn)
            if verify:
                report = verify_chain(conn, credentials=False)
                if not report.ok:
                    first = report.first_problem
                    raise IntegrityError(
                        "The imported records do not verify, so nothing was imported: "
                        f"{first.message if first else ''} ({len(report.problems)} problem(s))."
                    )
    return report


def _drop_credentials(conn: Connection) -> None:
    """Record, in one event, that the credentials the imported chain holds were not carried."""
    by_name = {t.name: t for t in CREDENTIAL_TABLES}
    prefixes = tuple(name + ":" for name in by_name)
    alive: dict[str, bool] = {}
    for (keys,) in conn.execute(sa.select(audit_events.c.row_keys).order_by(audit_events.c.seq)):
        for item in keys.split(" "):
            key, _, digest = item.rpartition("=")
            if key.startswith(prefixes):
                alive[key] = digest != "-"
    live = sorted(k for k, present in alive.items() if present)
    if not live:
        return
    tx = WriteTx(
        conn,
        actor="assay",
        action="credentials.drop",
        entity_type="user",
        entity_id="",
        note="Imported without credentials: set passwords and tokens again.",
        at=dt.datetime.now(dt.UTC),
    )
    for full in live:
        name, _, key = full.partition(":")
        tx.record_dropped(by_name[name], key)
    tx.append_event()

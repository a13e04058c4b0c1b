"""The hash-chained audit log: how events are hashed, and how the chain and the rows are verified.

Each event stores the row images it wrote (``changes``: the before and after image of every row
touched by one transaction), ``row_keys`` (``table:key=sha256`` of each after image) and
``hash = sha256(JSON[prev_hash, seq, at, actor, action, entity_type, entity_id, row_keys, note]
+ "\n" + changes)``. Verification recomputes every hash and link, then checks every governed row
in the database against the digest of the last event that wrote it, so an edit, insert or delete
made outside Assay, in the log or in any governed table, is found and named.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import multiprocessing
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.canonical import canonical_json, sha256_hex
from assay.canonical import digest as text_digest
from assay.store._schema import (
    CREDENTIAL_TABLES,
    GOVERNED_TABLES,
    LATE_COLUMN,
    SECRET_COLUMN,
    VOLATILE_COLUMN,
    audit_events,
    row_key,
)
from assay.store._types import to_jsonable, utc

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "AuditProblem",
    "AuditReport",
    "event_hash",
    "read_events",
    "row_digest",
    "row_image",
    "row_keys_text",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event."""

_MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit event: who changed what, when, and the row images before and after."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    changes: tuple[Mapping[str, Any], ...]
    note: str | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view of the event."""
        return {
            "seq": self.seq,
            "at": to_jsonable(self.at),
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "changes": list(self.changes),
            "note": self.note,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One verification failure: an event (``seq``) or a row (``table`` and ``key``)."""

    message: str
    seq: int | None = None
    table: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of :func:`verify_chain`."""

    events: int
    rows_checked: int
    head_seq: int
    head_hash: str
    problems: tuple[AuditProblem, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    """What is worth knowing but breaks nothing (a write still in progress)."""

    @property
    def ok(self) -> bool:
        """True when the chain and every governed row verified."""
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        """The first broken link or row, if any."""
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view of the report."""
        return {
            "ok": self.ok,
            "events": self.events,
            "rows_checked": self.rows_checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": [
                {"message": p.message, "seq": p.seq, "table": p.table, "key": p.key}
                for p in self.problems
            ],
            "notes": list(self.notes),
        }


def event_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    row_keys: str,
    changes: str | bytes,
    note: str | None,
) -> str:
    """The hash of one event; ``at`` is the ISO text of :func:`assay.store.to_jsonable`.

    ``sha256(JSON[prev_hash, seq, at, actor, action, entity_type, entity_id, row_keys, note]
    + "\n" + changes)``, UTF-8. The header is compact JSON, so it holds no raw newline and the
    first newline ends it; ``changes`` (canonical JSON, the bulk of an event) is hashed as is.
    """
    # Byte for byte what json.dumps(list, ensure_ascii=False, separators=(",", ":")) writes,
    # without building a new encoder per call (verification hashes a million headers).
    q = encode_basestring
    header = (
        f"[{q(prev_hash)},{int(seq)},{q(at)},{q(actor)},{q(action)},{q(entity_type)},"
        f"{q(entity_id)},{q(row_keys)},{'null' if note is None else q(note)}]"
    )
    digest = hashlib.sha256(header.encode("utf-8"))
    digest.update(b"\n")
    digest.update(changes if isinstance(changes, bytes) else changes.encode("utf-8"))
    return digest.hexdigest()


def _at_text(value: Any) -> str:
    """The ISO text of a stored event time, read without the column type's processing."""
    if isinstance(value, str):
        # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (see UTCDateTime).
        if len(value) == 26:
            return value[:10] + "T" + value[11:] + "+00:00"
        return value
    return str(to_jsonable(value))


@functools.cache
def _columns_marked(table: sa.Table, key: str) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if c.info.get(key))


def row_image(table: sa.Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The JSON image of a row as the audit log records it (every column, dates as ISO text).

    A column added by a later migration (``LATE_COLUMN``) is left out while it is NULL, so rows
    recorded before it existed keep their digests; a ``VOLATILE_COLUMN`` is always left out; a
    ``SECRET_COLUMN`` is recorded as the sha256 of its value.
    """
    late = _columns_marked(table, LATE_COLUMN)
    volatile = _columns_marked(table, VOLATILE_COLUMN)
    secret = _columns_marked(table, SECRET_COLUMN)
    out: dict[str, Any] = {}
    for name in table.columns.keys():  # noqa: SIM118 (a ColumnCollection)
        if name in volatile:
            continue
        value = row.get(name) if name in late else row[name]
        if value is None and name in late:
            continue
        if isinstance(value, dt.date):
            value = to_jsonable(value)
        elif name in secret and value is not None:
            value = text_digest(str(value))
        out[name] = value
    return out


def row_digest(image: Mapping[str, Any] | None) -> str:
    """The digest of a row image as ``row_keys`` records it: sha256 of its canonical JSON, or
    ``-`` when the row was deleted."""
    if image is None:
        return "-"
    return sha256_hex(canonical_json(image))


def row_keys_text(changes: Sequence[Mapping[str, Any]]) -> str:
    """The ``row_keys`` of an event: ``table:key=digest`` of every row written, space-separated.

    The digests let verification check each current row against the chain without reparsing
    the events' changes; the event hash covers them together with the changes.
    """
    return " ".join(f"{c['table']}:{c['key']}={row_digest(c['after'])}" for c in changes)


def read_events(
    conn: Connection,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEvent]:
    """Events matching the filters, oldest first unless ``newest_first``."""
    q = sa.select(audit_events)
    if entity_type is not None:
        q = q.where(audit_events.c.entity_type == entity_type)
    if entity_id is not None:
        q = q.where(audit_events.c.entity_id == entity_id)
    if actor is not None:
        q = q.where(audit_events.c.actor == actor)
    if since is not None:
        q = q.where(audit_events.c.at >= utc(since))
    if until is not None:
        q = q.where(audit_events.c.at < utc(until))
    q = q.order_by(audit_events.c.seq.desc() if newest_first else audit_events.c.seq)
    if limit is not None:
        q = q.limit(limit)
    out = []
    for r in conn.execute(q).mappings():
        out.append(
            AuditEvent(
                seq=r["seq"],
                at=r["at"],
                actor=r["actor"],
                action=r["action"],
                entity_type=r["entity_type"],
                entity_id=r["entity_id"],
                changes=tuple(json.loads(r["changes"])),
                note=r["note"],
                prev_hash=r["prev_hash"],
                hash=r["hash"],
            )
        )
    return out


_EVENT_SQL = {
    # The time as the exact ISO text the hash covers, so no row needs a datetime object. SQLite
    # hands the changes over as UTF-8 bytes, hashed without decoding; psycopg decodes text faster
    # than it parses bytea, so PostgreSQL sends text.
    "postgresql": (
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')",
        "changes",
    ),
    "sqlite": ("at", "CAST(changes AS BLOB)"),
}


def _raw_events(
    dbapi: Any, dialect: str, lo: int | None = None, hi: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """Audit events in chain order (optionally ``lo <= seq <= hi``), from the driver's cursor.

    Verification reads a million events; SQLAlchemy's row and type processing would cost more
    than the hashing itself. PostgreSQL streams them through a server-side cursor.
    """
    at, changes = _EVENT_SQL.get(dialect, ("at", "changes"))
    where = "" if lo is None else f" WHERE seq BETWEEN {int(lo)} AND {int(hi or lo)}"
    sql = (
        f"SELECT seq, {at}, actor, action, entity_type, entity_id, row_keys, {changes}, note, "
        f"prev_hash, hash FROM audit_events{where} ORDER BY seq"
    )
    cursor = dbapi.cursor(name="assay_verify_chain") if dialect == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(20_000):
            yield from rows
    finally:
        cursor.close()


@dataclass(slots=True)
class _Segment:
    """What checking a run of consecutive events found."""

    events: int = 0
    first_seq: int | None = None
    first_prev: str | None = None
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    problems: list[AuditProblem] = field(default_factory=list)
    latest: dict[str, tuple[int, str]] = field(default_factory=dict)


def _check_events(rows: Iterator[tuple[Any, ...]], *, first: bool) -> _Segment:
    """Check the hashes, sequence and links of consecutive events.

    With ``first`` the run starts the chain (at sequence 1, after the genesis hash); otherwise the
    first event's sequence and link are left for the caller to check against the previous run.
    """
    seg = _Segment()
    problems = seg.problems
    latest = seg.latest
    expected_seq: int | None = 1 if first else None
    prev: str | None = GENESIS_HASH if first else None
    stored = GENESIS_HASH
    for seq, at, actor, action, etype, eid, keys, changes, note, prev_hash, stored in rows:
        if seg.first_seq is None:
            seg.first_seq, seg.first_prev = seq, prev_hash
        seg.events += 1
        if expected_seq is not None and seq != expected_seq and len(problems) < _MAX_PROBLEMS:
            problems.append(_gap(expected_seq, seq))
        if prev is not None and prev_hash != prev and len(problems) < _MAX_PROBLEMS:
            problems.append(_unlinked(seq, prev_hash, prev))
        recomputed = event_hash(
            prev_hash, seq, _at_text(at), actor, action, etype, eid, keys, changes, note
        )
        if recomputed != stored and len(problems) < _MAX_PROBLEMS:
            problems.append(
                AuditProblem(
                    f"Audit event {seq} ({action} {etype} {eid}) was edited: its content no "
                    "longer matches its hash.",
                    seq=seq,
                )
            )
        prev = stored
        expected_seq = seq + 1
        for item in keys.split(" "):
            key, _, digest = item.rpartition("=")
            latest[key] = (seq, digest)
    seg.last_seq = expected_seq - 1 if expected_seq is not None else 0
    seg.last_hash = prev if prev is not None else GENESIS_HASH
    return seg


def _gap(expected: int, seq: int) -> AuditProblem:
    return AuditProblem(
        f"Audit events {expected}..{seq - 1} are missing: the log jumps from event "
        f"{expected - 1} to event {seq}; events were deleted.",
        seq=seq,
    )


def _unlinked(seq: int, prev_hash: str, prev: str) -> AuditProblem:
    return AuditProblem(
        f"Audit event {seq} does not link to the event before it (prev_hash {prev_hash[:12]}… "
        f"but the previous event's hash is {prev[:12]}…): an event before it was edited, removed "
        "or inserted.",
        seq=seq,
    )


def _check_range(url: str, lo: int, hi: int) -> _Segment:
    """Check events ``lo..hi`` on a connection of this (forked) worker process."""
    from assay.store._engine import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            dbapi = conn.connection.dbapi_connection
            return _check_events(_raw_events(dbapi, conn.dialect.name, lo, hi), first=lo == 1)
    finally:
        engine.dispose()


def _row_digests(conn: Connection, *, credentials: bool = True) -> dict[str, str]:
    """``table:key`` → digest of its current image, for every governed (and credential) row."""
    out: dict[str, str] = {}
    for table in (*GOVERNED_TABLES, *(CREDENTIAL_TABLES if credentials else ())):
        prefix = table.name + ":"
        for row in conn.execution_options(yield_per=20_000).execute(sa.select(table)).mappings():
            out[prefix + row_key(table, row)] = row_digest(row_image(table, row))
    return out


def _compare_rows(
    latest: dict[str, tuple[int, str]], current: dict[str, str], problems: list[AuditProblem]
) -> None:
    """Every governed row must hash to the image its last event recorded, and vice versa."""
    for key, digest in current.items():
        if len(problems) >= _MAX_PROBLEMS:
            return
        table = key.partition(":")[0]
        recorded = latest.get(key)
        if recorded is None:
            problems.append(
                AuditProblem(
                    f"The row {key} was inserted outside Assay: no audit event wrote it.",
                    table=table,
                    key=key,
                )
            )
        elif recorded[1] == "-":
            problems.append(
                AuditProblem(
                    f"The row {key} was deleted by audit event {recorded[0]} but is present "
                    "again: it was re-inserted outside Assay.",
                    table=table,
                    key=key,
                )
            )
        elif digest != recorded[1]:
            problems.append(
                AuditProblem(
                    f"The row {key} was edited outside Assay: it differs from what audit "
                    f"event {recorded[0]} recorded.",
                    seq=recorded[0],
                    table=table,
                    key=key,
                )
            )
    for key, (seq, digest) in latest.items():
        if len(problems) >= _MAX_PROBLEMS:
            return
        if digest != "-" and key not in current:
            problems.append(
                AuditProblem(
                    f"The row {key} was deleted outside Assay: audit event {seq} recorded it and "
                    "no event removed it.",
                    seq=seq,
                    table=key.partition(":")[0],
                    key=key,
                )
            )


PARALLEL_FROM = 200_000
"""Chains at least this long are checked by several processes when the platform can fork."""


def verify_chain(
    conn: Connection, *, url: str | None = None, workers: int = 1, credentials: bool = True
) -> AuditReport:
    """Recompute the audit chain and check every governed row against it.

    Parameters
    ----------
    conn
        A connection inside one read transaction, so that the chain and rows are one snapshot.
    url
        The database URL, which worker processes connect to.
    workers
        Processes that check ranges of a long chain (at least :data:`PARALLEL_FROM` events) while
        this one hashes the rows; 1 checks everything here.
    credentials
        Check the credential rows (passwords, API tokens) too. An import leaves them out: exports
        never carry credentials, so their rows are neither expected nor checked there.

    Returns
    -------
    AuditReport
        ``ok`` when nothing was edited, inserted or deleted outside Assay; otherwise the problems,
        first broken link first.
    """
    head = conn.execute(sa.select(sa.func.max(audit_events.c.seq))).scalar() or 0
    dialect = conn.dialect.name
    parallel = (
        workers > 1
        and url is not None
        and head >= PARALLEL_FROM
        and "fork" in multiprocessing.get_all_start_methods()
        # Forking a process that runs other threads (a web server) could copy held locks.
        and threading.active_count() == 1
    )
    if not parallel:
        dbapi = conn.connection.dbapi_connection
        segments = [_check_events(_raw_events(dbapi, dialect), first=True)]
        current = _row_digests(conn, credentials=credentials)
    else:
        assert url is not None
        step = -(-head // workers)
        ranges = [(url, lo, min(head, lo + step - 1)) for lo in range(1, head + 1, step)]
        # Fork: the workers need no imports, and each opens its own connection.
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            pending = pool.starmap_async(_check_range, ranges)
            current = _row_digests(conn, credentials=credentials)
            segments = pending.get()
    problems: list[AuditProblem] = []
    latest: dict[str, tuple[int, str]] = {}
    events = 0
    prev_seq, prev_hash = 0, GENESIS_HASH
    for i, seg in enumerate(segments):
        if i > 0 and seg.first_seq is not None:
            if seg.first_seq != prev_seq + 1:
                problems.append(_gap(prev_seq + 1, seg.first_seq))
            if seg.first_prev != prev_hash:
                problems.append(_unlinked(seg.first_seq, str(seg.first_prev), prev_hash))
        problems.extend(seg.problems)
        latest.update(seg.latest)
        events += seg.events
        if seg.events:
            prev_seq, prev_hash = seg.last_seq, seg.last_hash
    problems = problems[:_MAX_PROBLEMS]
    if not credentials:
        skipped = tuple(t.name + ":" for t in CREDENTIAL_TABLES)
        latest = {k: v for k, v in latest.items() if not k.startswith(skipped)}
    _compare_rows(latest, current, problems)
    return AuditReport(
        events=events,
        rows_checked=len(current),
        head_seq=prev_seq,
        head_hash=prev_hash,
        problems=tuple(problems),
    )

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
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.store._schema import GOVERNED_TABLES, audit_events, row_key
from assay.store._types import canonical_json, to_jsonable, utc

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


def row_image(table: sa.Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The JSON image of a row as the audit log records it (every column, dates as ISO text)."""
    out: dict[str, Any] = {}
    for name in table.columns.keys():  # noqa: SIM118 (a ColumnCollection)
        value = row[name]
        if isinstance(value, dt.date):
            value = to_jsonable(value)
        out[name] = value
    return out


def row_digest(image: Mapping[str, Any] | None) -> str:
    """The digest of a row image as ``row_keys`` records it: sha256 of its canonical JSON, or
    ``-`` when the row was deleted."""
    if image is None:
        return "-"
    return hashlib.sha256(canonical_json(image).encode("utf-8")).hexdigest()


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
    # The time as the exact ISO text the hash covers, so no row needs a datetime object; the
    # changes as UTF-8 bytes, hashed (and parsed) without decoding to text first.
    "postgresql": (
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')",
        "convert_to(changes, 'UTF8')",
    ),
    "sqlite": ("at", "CAST(changes AS BLOB)"),
}


def _raw_events(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """Every audit event in chain order, straight from the driver's cursor.

    Verification reads a million events; SQLAlchemy's row and type processing would cost more
    than the hashing itself. PostgreSQL streams them through a server-side cursor.
    """
    at, changes = _EVENT_SQL.get(conn.dialect.name, ("at", "changes"))
    sql = (
        f"SELECT seq, {at}, actor, action, entity_type, entity_id, row_keys, {changes}, note, "
        "prev_hash, hash FROM audit_events ORDER BY seq"
    )
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        cursor = dbapi.cursor(name="assay_verify_chain")
    else:
        cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(20_000):
            yield from rows
    finally:
        cursor.close()


def verify_chain(conn: Connection) -> AuditReport:
    """Recompute the audit chain and compare every governed row with its last recorded image.

    Parameters
    ----------
    conn
        A connection inside one read transaction, so that the chain and rows are one snapshot.

    Returns
    -------
    AuditReport
        ``ok`` when nothing was edited, inserted or deleted outside Assay; otherwise the problems,
        first broken link first.
    """
    problems: list[AuditProblem] = []

    def problem(p: AuditProblem) -> None:
        if len(problems) < _MAX_PROBLEMS:
            problems.append(p)

    latest: dict[str, tuple[int, str]] = {}
    expected_seq = 1
    prev = GENESIS_HASH
    events = 0
    for seq, at, actor, action, etype, eid, keys, changes, note, prev_hash, stored in _raw_events(
        conn
    ):
        events += 1
        if seq != expected_seq:
            problem(
                AuditProblem(
                    f"Audit events {expected_seq}..{seq - 1} are missing: the log jumps from "
                    f"event {expected_seq - 1} to event {seq}; events were deleted.",
                    seq=seq,
                )
            )
        if prev_hash != prev:
            problem(
                AuditProblem(
                    f"Audit event {seq} does not link to the event before it (prev_hash "
                    f"{prev_hash[:12]}… but the previous event's hash is {prev[:12]}…): an "
                    "event before it was edited, removed or inserted.",
                    seq=seq,
                )
            )
        recomputed = event_hash(
            prev_hash, seq, _at_text(at), actor, action, etype, eid, keys, changes, note
        )
        if recomputed != stored:
            problem(
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

    # The state check: every governed row must hash to the image its last event recorded.
    rows_checked = 0
    by_table: dict[str, list[str]] = {}
    for key in latest:
        by_table.setdefault(key.partition(":")[0], []).append(key)
    for table in GOVERNED_TABLES:
        prefix = table.name + ":"
        seen: set[str] = set()
        for row in conn.execution_options(yield_per=20_000).execute(sa.select(table)).mappings():
            rows_checked += 1
            key = prefix + row_key(table, row)
            seen.add(key)
            recorded = latest.get(key)
            if recorded is None:
                problem(
                    AuditProblem(
                        f"The row {key} was inserted outside Assay: no audit event wrote it.",
                        table=table.name,
                        key=key,
                    )
                )
            elif recorded[1] == "-":
                problem(
                    AuditProblem(
                        f"The row {key} was deleted by audit event {recorded[0]} but is present "
                        "again: it was re-inserted outside Assay.",
                        table=table.name,
                        key=key,
                    )
                )
            elif row_digest(row_image(table, row)) != recorded[1]:
                problem(
                    AuditProblem(
                        f"The row {key} was edited outside Assay: it differs from what audit "
                        f"event {recorded[0]} recorded.",
                        seq=recorded[0],
                        table=table.name,
                        key=key,
                    )
                )
        for key in by_table.get(table.name, ()):
            seq, digest = latest[key]
            if digest != "-" and key not in seen:
                problem(
                    AuditProblem(
                        f"The row {key} was deleted outside Assay: audit event {seq} recorded "
                        "it and no event removed it.",
                        seq=seq,
                        table=table.name,
                        key=key,
                    )
                )
    return AuditReport(
        events=events,
        rows_checked=rows_checked,
        head_seq=expected_seq - 1,
        head_hash=prev,
        problems=tuple(problems),
    )

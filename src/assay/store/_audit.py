"""The hash-chained audit log: how events are hashed, and how the chain and the rows are verified.

Each event stores the row images it wrote (``changes``: the before and after image of every row
touched by one transaction) and ``hash = sha256(canonical([prev_hash, seq, at, actor, action,
entity_type, entity_id, row_keys, changes, note]))``. Verification recomputes every hash and link,
then compares every governed row in the database with the after image of the last event that
wrote it, so an edit, insert or delete made outside Assay, in the log or in any governed table,
is found and named.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    "row_image",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event."""

_MAX_PROBLEMS = 100
_BATCH = 900


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
    changes: str,
    note: str | None,
) -> str:
    """The hash of one event; ``at`` is the ISO text of :func:`assay.store.to_jsonable`."""
    payload = json.dumps(
        [prev_hash, seq, at, actor, action, entity_type, entity_id, row_keys, changes, note],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def row_image(table: sa.Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The JSON image of a row as the audit log records it (every column, dates as ISO text)."""
    out: dict[str, Any] = {}
    for name in table.columns.keys():  # noqa: SIM118 (a ColumnCollection)
        value = row[name]
        if isinstance(value, dt.date):
            value = to_jsonable(value)
        out[name] = value
    return out


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


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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

    c = audit_events.c
    q = sa.select(
        c.seq,
        c.at,
        c.actor,
        c.action,
        c.entity_type,
        c.entity_id,
        c.row_keys,
        c.changes,
        c.note,
        c.prev_hash,
        c.hash,
    ).order_by(c.seq)
    latest: dict[str, int] = {}
    expected_seq = 1
    prev = GENESIS_HASH
    events = 0
    result = conn.execution_options(yield_per=20_000).execute(q)
    for seq, at, actor, action, etype, eid, keys, changes, note, prev_hash, stored in result:
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
            prev_hash, seq, to_jsonable(at), actor, action, etype, eid, keys, changes, note
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
        for key in keys.split(" "):
            latest[key] = seq
    result.close()

    # The state check: the rows in the database must equal the last recorded images.
    rows_checked = 0
    wanted: dict[int, list[str]] = {}
    for key, seq in latest.items():
        wanted.setdefault(seq, []).append(key)
    expected: dict[str, str | None] = {}
    for batch in _chunks(sorted(wanted), _BATCH):
        for seq, changes in conn.execute(sa.select(c.seq, c.changes).where(c.seq.in_(batch))):
            keys_here = set(wanted[seq])
            for change in json.loads(changes):
                full = f"{change['table']}:{change['key']}"
                if full in keys_here:
                    after = change["after"]
                    expected[full] = None if after is None else canonical_json(after)
    for table in GOVERNED_TABLES:
        prefix = table.name + ":"
        seen: set[str] = set()
        for row in conn.execution_options(yield_per=20_000).execute(sa.select(table)).mappings():
            rows_checked += 1
            key = prefix + row_key(table, row)
            seen.add(key)
            want = expected.get(key, "<none>")
            if want == "<none>":
                problem(
                    AuditProblem(
                        f"The row {key} was inserted outside Assay: no audit event wrote it.",
                        table=table.name,
                        key=key,
                    )
                )
            elif want is None:
                problem(
                    AuditProblem(
                        f"The row {key} was deleted by audit event {latest[key]} but is present "
                        "again: it was re-inserted outside Assay.",
                        table=table.name,
                        key=key,
                    )
                )
            elif canonical_json(row_image(table, row)) != want:
                problem(
                    AuditProblem(
                        f"The row {key} was edited outside Assay: it differs from what audit "
                        f"event {latest[key]} recorded.",
                        seq=latest[key],
                        table=table.name,
                        key=key,
                    )
                )
        for key, want_text in expected.items():
            if key.startswith(prefix) and want_text is not None and key not in seen:
                problem(
                    AuditProblem(
                        f"The row {key} was deleted outside Assay: audit event {latest[key]} "
                        "recorded it and no event removed it.",
                        seq=latest[key],
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

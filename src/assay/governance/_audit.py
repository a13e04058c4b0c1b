"""Reading and verifying the audit log of a workspace."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from assay.errors import AssayError, InputError, NotFoundError
from assay.governance._common import PREFIXES, check_datetime, format_ref, parse_ref
from assay.governance._scope import event_visible, scope_clause
from assay.store import (
    AuditEvent,
    AuditProblem,
    AuditReport,
    connection_scope,
    read_events,
    tables,
)

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "audit_log",
    "chain_head",
    "evidence_origin",
    "parse_entity",
    "rows_as_of",
    "verify_audit",
]

ENTITY_TYPES = (
    "user",
    "system",
    "dataset_version",
    "model_version",
    "component",
    "evidence",
    "review",
    "risk",
    "action",
    "waiver",
    "incident",
    "token",
)


def parse_entity(ws: Workspace, text: str) -> tuple[str, str | None]:
    """Read an entity filter: ``risk``, ``risk:3``, ``RISK-3``, ``system:credit-scoring``.

    >>> parse_entity(None, "RISK-3")  # a reference needs no workspace
    ('risk', '3')
    """
    value = text.strip()
    for kind, prefix in PREFIXES.items():
        if value.upper().startswith(prefix + "-") and value[len(prefix) + 1 :].isdigit():
            return kind, value[len(prefix) + 1 :]
    kind, sep, ident = value.partition(":")
    if kind not in ENTITY_TYPES:
        raise InputError(
            f"{text!r} is not an entity: write TYPE or TYPE:ID (types: "
            f"{', '.join(ENTITY_TYPES)}), or a reference such as RISK-3."
        )
    if not sep:
        return kind, None
    if kind == "system" and not ident.isdigit():
        with ws.store.read() as conn:
            found = conn.execute(
                sa.select(tables.ai_systems.c.id).where(
                    tables.ai_systems.c.name == ident, scope_clause(conn, tables.ai_systems)
                )
            ).scalar()
        if found is None:
            raise InputError(f"There is no AI system called {ident!r}.")
        ident = str(found)
    if kind in PREFIXES and ident.upper().startswith(PREFIXES[kind] + "-"):
        ident = ident[len(PREFIXES[kind]) + 1 :]
    return kind, ident


def audit_log(
    ws: Workspace,
    *,
    entity: str | None = None,
    actor: str | None = None,
    since: dt.datetime | str | None = None,
    until: dt.datetime | str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEvent]:
    """Audit events, oldest first, filtered by entity (``RISK-3``, ``system:NAME``), actor or
    time."""
    etype = eid = None
    if entity is not None:
        etype, eid = parse_entity(ws, entity)
    with ws.store.read() as conn:
        scoped = connection_scope(conn) is not None
        if scoped and etype is not None and eid is not None and not event_visible(conn, etype, eid):
            raise NotFoundError(f"There is no {etype} {eid} in your organisations.")
        events = read_events(
            conn,
            entity_type=etype,
            entity_id=eid,
            actor=actor,
            since=check_datetime(since, what="since time"),
            until=check_datetime(until, what="until time"),
            limit=None if scoped else limit,
            newest_first=newest_first,
        )
        if not scoped:
            return events
        seen = [e for e in events if event_visible(conn, e.entity_type, e.entity_id)]
        return seen if limit is None else seen[:limit]


def verify_audit(ws: Workspace, *, blobs: bool = False) -> AuditReport:
    """Recompute the audit chain and check every governed row against it, and every stored file
    that evidence, components and approvals refer to.

    A file is checked cheaply by default: it exists and, for evidence, has the size recorded.
    With ``blobs=True`` each is re-hashed, which also finds an edit that kept the size. Temporary
    files of writes not renamed into place (a killed write) are listed in the report's ``notes``.
    The report names the first broken link; it does not raise.
    """
    report = ws.store.verify()
    problems = (*report.problems, *_blob_problems(ws, full=blobs))
    notes = tuple(
        f"{path} is the temporary file of a write that has not finished, or was killed; it is "
        "deleted when the workspace is next opened an hour after its last change."
        for path in ws.blobs.incoming()
    )
    return dataclasses.replace(report, problems=problems, notes=notes)


def _referenced_blobs(ws: Workspace) -> dict[str, tuple[str, int | None]]:
    """Every stored file a record refers to → (the first record referring to it, the size that
    record gives or None)."""
    e, a, c = tables.evidence.c, tables.approvals.c, tables.system_components.c
    found: dict[str, tuple[str, int | None]] = {}
    with ws.store.read() as conn:
        for id_, digest, size in conn.execute(
            sa.select(e.id, e.blob_sha256, e.size_bytes).order_by(e.id)
        ):
            found.setdefault(digest, (format_ref("evidence", id_), size))
        for id_, digest in conn.execute(sa.select(a.id, a.subject_sha256).order_by(a.id)):
            found.setdefault(digest, (format_ref("approval", id_), None))
        for id_, digest in conn.execute(sa.select(c.id, c.content_sha256).order_by(c.id)):
            if digest:
                found.setdefault(digest, (f"component {id_}", None))
    return found


def _blob_problems(ws: Workspace, *, full: bool) -> list[AuditProblem]:
    problems = []
    for digest, (owner, size) in sorted(_referenced_blobs(ws).items()):
        if full:
            try:
                ws.blobs.verify(digest)
            except AssayError as exc:
                problems.append(AuditProblem(f"{exc} (the file of {owner})"))
            continue
        actual = ws.blobs.size(digest)
        if actual is None:
            problems.append(
                AuditProblem(
                    f"The blob sha256:{digest} (the file of {owner}) is missing from "
                    f"{ws.blobs.root}. Restore the blobs folder from a backup."
                )
            )
        elif size is not None and actual != size:
            problems.append(
                AuditProblem(
                    f"The blob {ws.blobs.path(digest)} (the file of {owner}) is {actual} bytes, "
                    f"not the {size} recorded: it was modified. Restore it from a backup."
                )
            )
    return problems


def evidence_origin(ws: Workspace, ref: str | int) -> AuditEvent | None:
    """The audit event that wrote an evidence record, or None when no event did (the row was put
    in the database outside Assay). Its ``action`` says which path recorded it: ``evidence.add``
    (anyone's evidence) or ``evidence.derive`` (an Assay builder, named in ``note``)."""
    id_ = str(parse_ref("evidence", ref))
    with ws.store.read() as conn:
        for event in read_events(conn, entity_type="evidence", entity_id=id_):
            for change in event.changes:
                if (change["table"], change["key"], change["before"]) == ("evidence", id_, None):
                    return event
    return None


def rows_as_of(ws: Workspace, seq: int, table: str) -> dict[str, dict[str, Any]]:
    """Every row of a governed ``table`` as the audit chain recorded it up to event ``seq``
    (key → row image): what the records said at that moment, whatever changed since."""
    ev = tables.audit_events.c
    q = (
        sa.select(ev.changes)
        .where(ev.seq <= seq)
        .where(sa.or_(ev.row_keys.like(f"{table}:%"), ev.row_keys.like(f"% {table}:%")))
        .order_by(ev.seq)
    )
    rows: dict[str, dict[str, Any]] = {}
    with ws.store.read() as conn:
        for (changes,) in conn.execute(q):
            for change in json.loads(changes):
                if change["table"] != table:
                    continue
                if change["after"] is None:
                    rows.pop(change["key"], None)
                else:
                    rows[change["key"]] = change["after"]
    return rows


def chain_head(ws: Workspace) -> tuple[int, str]:
    """The sequence number and hash of the newest audit event (``(0, "0" * 64)`` when none):
    what packets embed and checkpoints sign."""
    ev = tables.audit_events.c
    with ws.store.read() as conn:
        row = conn.execute(sa.select(ev.seq, ev.hash).order_by(ev.seq.desc()).limit(1)).first()
    return (0, "0" * 64) if row is None else (int(row[0]), str(row[1]))

"""Incidents: severity, times, affected systems, versions and cohorts, a timeline, root cause,
corrective actions, postmortem; and the first-hours evidence bundle."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import mimetypes
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay import __version__
from assay.canonical import canonical_json
from assay.errors import InputError, TransitionError
from assay.governance._common import (
    Record,
    check_choice,
    check_datetime,
    check_text,
    format_ref,
    not_found,
    parse_ref,
    stamps,
    writing,
)
from assay.governance._evidence import EvidenceRecord, evidence_records, insert_evidence
from assay.governance._inventory import dataset_row, model_row, system_row
from assay.governance._names import file_slug
from assay.governance._risks import _link, risk_row
from assay.governance._scope import org_filter, readable, scope_clause, shown
from assay.store import WriteTx, tables, to_jsonable

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "INCIDENT_SEVERITIES",
    "INCIDENT_STATUSES",
    "Bundle",
    "Incident",
    "TimelineEntry",
    "add_timeline_entry",
    "bundle_incident",
    "close_incident",
    "get_incident",
    "list_incidents",
    "open_incident",
    "update_incident",
]

INCIDENT_SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
"""sev1 is the most severe."""
INCIDENT_STATUSES = ("open", "mitigated", "closed")
_I = tables.incidents.c
_L = tables.links.c


@dataclass(frozen=True, slots=True)
class TimelineEntry(Record):
    """One entry of an incident's timeline."""

    at: dt.datetime
    entry: str
    created_by: str


@dataclass(frozen=True, slots=True)
class Incident(Record):
    """An incident and everything linked to it."""

    id: int
    ref: str
    title: str
    severity: str
    status: str
    occurred_at: dt.datetime
    detected_at: dt.datetime
    summary: str | None
    affected_cohorts: Any
    immediate_mitigations: str | None
    root_cause: str | None
    postmortem: str | None
    commander: str
    systems: tuple[str, ...]
    model_versions: tuple[str, ...]
    dataset_versions: tuple[str, ...]
    risks: tuple[int, ...]
    actions: tuple[int, ...]
    timeline: tuple[TimelineEntry, ...]
    first_bundle_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class Bundle(Record):
    """An incident evidence bundle written to disk and recorded as evidence."""

    path: Path
    sha256: str
    files: int
    evidence: EvidenceRecord


def incident_row(conn: Connection, ref: str | int) -> RowMapping:
    """The row of one incident; NotFoundError otherwise."""
    id_ = parse_ref("incident", ref)
    row = conn.execute(sa.select(tables.incidents).where(_I.id == id_)).mappings().first()
    if row is None or not readable(conn, tables.incidents, row):
        raise not_found(
            "incident", format_ref("incident", id_), "List them with `assay incident list`."
        )
    return row


def _linked(conn: Connection, incident_id: int, to_type: str) -> list[int]:
    return list(
        conn.execute(
            sa.select(_L.to_id)
            .where(_L.from_type == "incident", _L.from_id == incident_id, _L.to_type == to_type)
            .order_by(_L.to_id)
        ).scalars()
    )


def _record(conn: Connection, row: RowMapping) -> Incident:
    iid = row["id"]
    s = tables.ai_systems.c
    m = tables.model_versions.c
    d = tables.dataset_versions.c
    sys_ids = _linked(conn, iid, "system")
    systems = tuple(
        conn.execute(sa.select(s.name).where(s.id.in_(sys_ids)).order_by(s.name)).scalars()
    )
    models = tuple(
        f"{sn}:{n}@{v}"
        for sn, n, v in conn.execute(
            sa.select(s.name, m.name, m.version)
            .join(tables.ai_systems, s.id == m.system_id)
            .where(m.id.in_(_linked(conn, iid, "model_version")))
            .order_by(s.name, m.name, m.version)
        )
    )
    datasets = tuple(
        f"{n}@{v}"
        for n, v in conn.execute(
            sa.select(d.name, d.version)
            .where(d.id.in_(_linked(conn, iid, "dataset_version")))
            .order_by(d.name, d.version)
        )
    )
    a = tables.actions.c
    actions = tuple(
        conn.execute(sa.select(a.id).where(a.incident_id == iid).order_by(a.id)).scalars()
    )
    t = tables.incident_timeline.c
    timeline = tuple(
        TimelineEntry.from_row(r)
        for r in conn.execute(
            sa.select(tables.incident_timeline).where(t.incident_id == iid).order_by(t.at, t.id)
        ).mappings()
    )
    return Incident.from_row(
        row,
        ref=format_ref("incident", iid),
        systems=systems,
        model_versions=models,
        dataset_versions=datasets,
        risks=tuple(_linked(conn, iid, "risk")),
        actions=actions,
        timeline=timeline,
    )


def _affect(
    ws: Workspace,
    tx: WriteTx,
    incident_id: int,
    systems: Sequence[str],
    model_versions: Sequence[str],
    dataset_versions: Sequence[str],
) -> None:
    incident = tx.get(tables.incidents, incident_id)
    assert incident is not None
    for name in systems:
        _link(ws, tx, "incident", incident_id, "system", _same_org(tx, incident, name), "affects")
    for ref in model_versions:
        sys_name, sep, version = ref.partition(":")
        if not sep:
            raise InputError(
                f"Name a model version with its system: SYSTEM:VERSION or "
                f"SYSTEM:NAME@VERSION, not {ref!r}."
            )
        srow = system_row(tx.conn, sys_name)
        mrow = model_row(tx.conn, srow["id"], srow["name"], version)
        _link(
            ws, tx, "incident", incident_id, "system", _same_org(tx, incident, sys_name), "affects"
        )
        _link(ws, tx, "incident", incident_id, "model_version", mrow["id"], "affects")
    for ref in dataset_versions:
        drow = dataset_row(tx.conn, ref)
        _link(ws, tx, "incident", incident_id, "dataset_version", drow["id"], "affects")


def _same_org_risk(tx: WriteTx, incident: RowMapping, ref: str | int) -> int:
    """The id of the risk ``ref``, whose system must belong to the incident's organisation."""
    risk = risk_row(tx.conn, ref)
    system = tx.get(tables.ai_systems, risk["system_id"])
    assert system is not None
    _same_org(tx, incident, str(system["name"]))
    return int(risk["id"])


def _same_org(tx: WriteTx, incident: RowMapping, system: str) -> int:
    """The id of ``system``, which must belong to the incident's organisation."""
    srow = system_row(tx.conn, system)
    if srow["org"] != incident["org"]:
        raise InputError(
            f"An incident belongs to one organisation ({shown(incident['org'])}); the system "
            f"{system!r} belongs to {shown(srow['org'])}. Open a separate incident there."
        )
    return int(srow["id"])


def _cohorts(cohorts: Sequence[str]) -> list[str]:
    out = [c.strip() for c in cohorts if c and c.strip()]
    return sorted(set(out))


def open_incident(
    ws: Workspace,
    *,
    title: str,
    severity: str,
    occurred_at: dt.datetime | str,
    detected_at: dt.datetime | str | None = None,
    systems: Sequence[str] = (),
    model_versions: Sequence[str] = (),
    dataset_versions: Sequence[str] = (),
    cohorts: Sequence[str] = (),
    summary: str | None = None,
    commander: str | None = None,
) -> Incident:
    """Open an incident.

    Parameters
    ----------
    ws
        The workspace.
    title, summary
        What happened.
    severity
        sev1 (most severe) to sev4.
    occurred_at, detected_at
        When it started and when it was noticed (default: now); ISO text without an offset is UTC.
    systems, model_versions, dataset_versions
        What is affected: system names, ``SYSTEM:VERSION`` (or ``SYSTEM:NAME@VERSION``) and
        ``NAME@VERSION``.
    cohorts
        Affected groups of people (``"age<25"``, ``"region=EU"``).
    commander
        Who leads the response; default: the current user.
    """
    check_choice(severity, INCIDENT_SEVERITIES, what="severity")
    occurred = check_datetime(occurred_at, what="occurred-at time")
    detected = check_datetime(detected_at, what="detected-at time") or ws.now()
    assert occurred is not None
    if detected_at is not None and detected < occurred:
        raise InputError("The incident was detected before it occurred; check the two times.")
    now = ws.now()
    for moment, what, fix in (
        (occurred, "occurred", "it started"),
        (detected, "was detected", "it was noticed"),
    ):
        if moment > now:
            raise InputError(
                f"The incident {what} in the future ({moment.isoformat()}; it is now "
                f"{now.isoformat(timespec='seconds')}). Give the time {fix} (ISO; without an "
                "offset it is UTC)."
            )
    if not (systems or model_versions):
        raise InputError("Name at least one affected system (or SYSTEM:VERSION model version).")
    with writing(ws, "manage incidents", action="incident.open", entity_type="incident") as tx:
        first = systems[0] if systems else model_versions[0].partition(":")[0]
        row = tx.insert(
            tables.incidents,
            {
                "org": system_row(tx.conn, first)["org"],
                "title": check_text(title, what="incident title"),
                "severity": severity,
                "status": "open",
                "occurred_at": occurred,
                "detected_at": detected,
                "summary": check_text(summary, what="summary", required=False),
                "affected_cohorts": _cohorts(cohorts),
                "immediate_mitigations": None,
                "root_cause": None,
                "postmortem": None,
                "commander": check_text(commander, what="commander", required=False) or ws.user,
                "first_bundle_at": None,
                "closed_at": None,
                **stamps(ws),
            },
        )
        tx.set_entity("incident", row["id"])
        _affect(ws, tx, row["id"], systems, model_versions, dataset_versions)
        return _record(tx.conn, row)


def update_incident(
    ws: Workspace,
    ref: str | int,
    *,
    status: str | None = None,
    severity: str | None = None,
    summary: str | None = None,
    immediate_mitigations: str | None = None,
    root_cause: str | None = None,
    postmortem: str | None = None,
    commander: str | None = None,
    add_cohorts: Sequence[str] = (),
    add_systems: Sequence[str] = (),
    add_model_versions: Sequence[str] = (),
    add_dataset_versions: Sequence[str] = (),
    add_risks: Sequence[str | int] = (),
    note: str | None = None,
) -> Incident:
    """Update an incident: its fields, what it affects, the risks it relates to, or its status
    (``open`` ↔ ``mitigated``; use :func:`close_incident` to close)."""
    if status is not None:
        check_choice(
            status,
            ("open", "mitigated"),
            what="incident status (close with `assay incident close INC-N`)",
        )
    if severity is not None:
        check_choice(severity, INCIDENT_SEVERITIES, what="severity")
    id_ = parse_ref("incident", ref)
    with writing(
        ws,
        "manage incidents",
        action="incident.update",
        entity_type="incident",
        entity_id=id_,
        note=note,
    ) as tx:
        row = incident_row(tx.conn, id_)
        values: dict[str, Any] = {}
        if status is not None and status != row["status"]:
            if row["status"] == "closed" and not check_text(note, what="note", required=False):
                raise TransitionError(
                    f"Say why {format_ref('incident', id_)} is reopened (--note)."
                )
            values.update(status=status, closed_at=None)
        for key, value in (
            ("severity", severity),
            ("summary", summary),
            ("immediate_mitigations", immediate_mitigations),
            ("root_cause", root_cause),
            ("postmortem", postmortem),
            ("commander", commander),
        ):
            if value is not None:
                values[key] = check_text(value, what=key.replace("_", " "))
        if add_cohorts:
            values["affected_cohorts"] = _cohorts([*row["affected_cohorts"], *add_cohorts])
        if values:
            row = tx.update(tables.incidents, id_, {**values, **stamps(ws, created=False)})
        _affect(ws, tx, id_, add_systems, add_model_versions, add_dataset_versions)
        for r in add_risks:
            _link(ws, tx, "incident", id_, "risk", _same_org_risk(tx, row, r), "related")
        if not tx.changed:
            raise InputError("Nothing to change: give at least one field with a new value.")
        if not values:
            tx.update(tables.incidents, id_, stamps(ws, created=False))
        return _record(tx.conn, incident_row(tx.conn, id_))


def add_timeline_entry(
    ws: Workspace, ref: str | int, entry: str, *, at: dt.datetime | str | None = None
) -> Incident:
    """Add a timeline entry (what happened or was done, and when; default now)."""
    id_ = parse_ref("incident", ref)
    when = check_datetime(at, what="time") or ws.now()
    with writing(
        ws, "manage incidents", action="incident.timeline", entity_type="incident", entity_id=id_
    ) as tx:
        row = incident_row(tx.conn, id_)
        tx.insert(
            tables.incident_timeline,
            {
                "incident_id": id_,
                "at": when,
                "entry": check_text(entry, what="timeline entry"),
                "created_at": ws.now(),
                "created_by": ws.user,
            },
        )
        return _record(tx.conn, row)


def close_incident(
    ws: Workspace,
    ref: str | int,
    *,
    root_cause: str | None = None,
    postmortem: str | None = None,
) -> Incident:
    """Close an incident. It needs a root cause and a postmortem; sev1 and sev2 incidents also
    need at least one corrective action (``assay action add --incident``)."""
    id_ = parse_ref("incident", ref)
    iref = format_ref("incident", id_)
    with writing(
        ws, "manage incidents", action="incident.close", entity_type="incident", entity_id=id_
    ) as tx:
        row = incident_row(tx.conn, id_)
        if row["status"] == "closed":
            raise TransitionError(f"{iref} is already closed.")
        cause = check_text(root_cause, what="root cause", required=False) or row["root_cause"]
        pm = check_text(postmortem, what="postmortem", required=False) or row["postmortem"]
        missing = [n for n, v in (("root cause", cause), ("postmortem", pm)) if not v]
        if missing:
            raise TransitionError(
                f"{iref} cannot be closed without a {' and a '.join(missing)} "
                "(--root-cause, --postmortem)."
            )
        a = tables.actions.c
        if (
            row["severity"] in ("sev1", "sev2")
            and not tx.conn.execute(sa.select(a.id).where(a.incident_id == id_)).first()
        ):
            raise TransitionError(
                f"{iref} is {row['severity']}: record at least one corrective action before "
                f"closing it (`assay action add --incident {iref} ...`)."
            )
        new = tx.update(
            tables.incidents,
            id_,
            {
                "status": "closed",
                "root_cause": cause,
                "postmortem": pm,
                "closed_at": ws.now(),
                **stamps(ws, created=False),
            },
        )
        return _record(tx.conn, new)


def get_incident(ws: Workspace, ref: str | int) -> Incident:
    """One incident by ``INC-2`` or ``2``."""
    with ws.store.read() as conn:
        return _record(conn, incident_row(conn, ref))


def list_incidents(ws: Workspace, *, open_only: bool = False) -> list[Incident]:
    """Incidents, newest first."""
    q = sa.select(tables.incidents).order_by(_I.detected_at.desc(), _I.id.desc())
    if open_only:
        q = q.where(_I.status != "closed")
    with ws.store.read() as conn:
        q = q.where(scope_clause(conn, tables.incidents))
        return [_record(conn, r) for r in list(conn.execute(q).mappings())]


# -- the bundle ---------------------------------------------------------------------------------


def _rows(conn: Connection, table: Any, where: Any) -> list[dict[str, Any]]:
    return [
        {str(k): to_jsonable(v) for k, v in r.items()}
        for r in conn.execute(sa.select(table).where(where).order_by(table.c.id)).mappings()
    ]


@dataclass(frozen=True)
class _Scope:
    """What a bundle covers: the affected systems and versions, and the time window."""

    sys_ids: list[int]
    model_ids: list[int]
    dataset_ids: list[int]
    start: dt.datetime
    end: dt.datetime
    org: str | None


def _scope(conn: Connection, row: RowMapping, window: dt.timedelta) -> _Scope:
    """The incident's linked systems and versions: the systems' models when none is linked, and
    the training data of the models; the window around occurrence and detection."""
    iid = row["id"]
    sys_ids = _linked(conn, iid, "system")
    model_ids = _linked(conn, iid, "model_version")
    dataset_ids = _linked(conn, iid, "dataset_version")
    m = tables.model_versions.c
    if not model_ids:
        model_ids = list(conn.execute(sa.select(m.id).where(m.system_id.in_(sys_ids))).scalars())
    t = tables.model_training_data.c
    dataset_ids = sorted(
        set(dataset_ids)
        | set(
            conn.execute(
                sa.select(t.dataset_version_id).where(t.model_version_id.in_(model_ids))
            ).scalars()
        )
    )
    return _Scope(
        sys_ids,
        model_ids,
        dataset_ids,
        row["occurred_at"] - window,
        row["detected_at"] + window,
        row["org"],
    )


def _evidence_in(conn: Connection, scope: _Scope) -> list[EvidenceRecord]:
    """Evaluations of the affected versions, and the systems' evidence observed (or monitoring
    recorded) within the window; earlier bundles are left out. Only the incident's
    organisation's: the dataset catalogue is shared, its evaluations are not."""
    start, end, sys_ids = scope.start, scope.end, scope.sys_ids
    e = tables.evidence.c
    evaluations = sa.or_(
        e.model_version_id.in_(scope.model_ids), e.dataset_version_id.in_(scope.dataset_ids)
    )
    monitoring = sa.and_(
        e.system_id.in_(sys_ids),
        sa.or_(
            sa.and_(
                e.observed_from.is_not(None),
                e.observed_from <= end,
                sa.func.coalesce(e.observed_to, e.observed_from) >= start,
            ),
            sa.and_(e.kind == "monitoring", e.created_at >= start, e.created_at <= end),
        ),
    )
    ev_rows = list(
        conn.execute(
            sa.select(tables.evidence)
            .where(
                sa.or_(evaluations, monitoring),
                e.kind != "incident_bundle",
                org_filter(e.org, frozenset({shown(scope.org)})),
            )
            .order_by(e.id)
        ).mappings()
    )
    return evidence_records(conn, ev_rows)


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _gather(
    ws: Workspace, conn: Connection, row: RowMapping, window: dt.timedelta
) -> tuple[dict[str, bytes], int | None]:
    """The files of a bundle (path → bytes), and the first affected system's id."""
    scope = _scope(conn, row, window)
    sys_ids = scope.sys_ids
    evidence = _evidence_in(conn, scope)
    c = tables.system_components.c
    components = _rows(conn, tables.system_components, c.system_id.in_(sys_ids))
    w = tables.waivers.c
    r = tables.risks.c
    tables_json = {
        "incident.json": _record(conn, row).to_dict(),
        "systems.json": _rows(conn, tables.ai_systems, tables.ai_systems.c.id.in_(sys_ids)),
        "model_versions.json": _rows(
            conn, tables.model_versions, tables.model_versions.c.id.in_(scope.model_ids)
        ),
        "dataset_versions.json": _rows(
            conn, tables.dataset_versions, tables.dataset_versions.c.id.in_(scope.dataset_ids)
        ),
        "evidence.json": [rec.to_dict() for rec in evidence],
        "components.json": components,
        "waivers.json": _rows(conn, tables.waivers, w.system_id.in_(sys_ids)),
        "risks.json": _rows(conn, tables.risks, r.system_id.in_(sys_ids)),
        "window.json": {"from": to_jsonable(scope.start), "to": to_jsonable(scope.end)},
        **_monitoring(conn, scope),
    }
    files = {path: _json_bytes(value) for path, value in tables_json.items()}
    for record in evidence:
        if ws.blobs.has(record.blob_sha256):
            files[_evidence_path(record)] = ws.blobs.read_bytes(record.blob_sha256)
    for comp in components:
        sha = comp.get("content_sha256")
        if sha and ws.blobs.has(sha):
            name = f"components/{file_slug(str(comp['name']))}-{sha[:12]}"
            files[name] = ws.blobs.read_bytes(sha)
    return files, (sys_ids[0] if sys_ids else None)


#: File extensions of media types the standard library does not know.
_EXTENSIONS = {"application/x-ndjson": ".jsonl", "application/vnd.apache.parquet": ".parquet"}


def _evidence_path(record: EvidenceRecord) -> str:
    """Where an evidence file goes in a bundle: named by its reference and title, with the
    extension of its media type (``evidence/EV-12-fairness-by-sex.json``); the manifest gives
    its sha256, ``evidence.json`` its record."""
    media = record.media_type.split(";")[0].strip().lower()
    ext = _EXTENSIONS.get(media) or mimetypes.guess_extension(media) or ".bin"
    words = "-".join(record.title.split())  # spaces alone need no disambiguating hash
    return f"evidence/{record.ref}-{file_slug(words)[:60].strip('.-')}{ext}"


def _monitoring(conn: Connection, scope: _Scope) -> dict[str, Any]:
    """Monitoring around the incident: the systems' monitors, the windows computed and the
    alerts open within the window."""
    start, end = scope.start, scope.end
    names = list(
        conn.execute(
            sa.select(tables.ai_systems.c.name).where(tables.ai_systems.c.id.in_(scope.sys_ids))
        ).scalars()
    )
    mon = tables.monitors.c
    monitor_ids = list(conn.execute(sa.select(mon.id).where(mon.system.in_(names))).scalars())
    mw = tables.monitor_windows.c
    ma = tables.monitor_alerts.c
    return {
        "monitors.json": _rows(conn, tables.monitors, mon.id.in_(monitor_ids)),
        "monitor_windows.json": _rows(
            conn,
            tables.monitor_windows,
            sa.and_(mw.monitor_id.in_(monitor_ids), mw.window_end >= start, mw.window_start <= end),
        ),
        "monitor_alerts.json": _rows(
            conn,
            tables.monitor_alerts,
            sa.and_(
                ma.monitor_id.in_(monitor_ids),
                ma.opened_at <= end,
                sa.or_(ma.resolved_at.is_(None), ma.resolved_at >= start),
            ),
        ),
    }


def _zip(files: dict[str, bytes], manifest: dict[str, Any]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ["manifest.json", *sorted(files)]:
            data = (
                (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
                if name == "manifest.json"
                else files[name]
            )
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return sink.getvalue()


def _manifest(
    iref: str, now: dt.datetime, user: str, window_hours: float, files: dict[str, bytes]
) -> dict[str, Any]:
    """The bundle's manifest: the sha256 and size of every file, and a digest over them all."""
    manifest: dict[str, Any] = {
        "schema": "assay.incident-bundle/v1",
        "incident": iref,
        "created_at": to_jsonable(now),
        "created_by": user,
        "window_hours": window_hours,
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    manifest["manifest_sha256"] = hashlib.sha256(
        canonical_json(manifest["files"]).encode()
    ).hexdigest()
    return manifest


def bundle_incident(
    ws: Workspace,
    ref: str | int,
    *,
    out: Path | str | None = None,
    window_hours: float = 72.0,
) -> Bundle:
    """Gather everything linked to an incident's affected versions into one zip archive.

    The archive holds the incident, the affected systems, model and dataset versions (the
    training data of affected models included), the evaluations of those versions with their
    content, evidence observed within ``window_hours`` of the incident (monitoring windows),
    waivers, risks, and prompt/guardrail components, plus ``manifest.json`` with the sha256 of
    every file. The archive is itself recorded as ``incident_bundle`` evidence; the first one
    sets the incident's ``first_bundle_at`` (the incident-responsiveness KPI).
    """
    if window_hours <= 0:
        raise InputError("window_hours must be positive.")
    id_ = parse_ref("incident", ref)
    iref = format_ref("incident", id_)
    with writing(
        ws, "manage incidents", action="incident.bundle", entity_type="incident", entity_id=id_
    ) as tx:
        row = incident_row(tx.conn, id_)
        files, first_system = _gather(ws, tx.conn, row, dt.timedelta(hours=window_hours))
        now = ws.now()
        archive = _zip(files, _manifest(iref, now, ws.user, window_hours, files))
        sha = ws.blobs.put_bytes(archive)
        target = (
            Path(out)
            if out is not None
            else Path(f"{iref}-bundle-{now.strftime('%Y%m%dT%H%M%SZ')}.zip")
        )
        window = dt.timedelta(hours=window_hours)
        ev = insert_evidence(
            tx,
            {
                "kind": "incident_bundle",
                "org": row["org"],
                "title": f"{iref} evidence bundle",
                "blob_sha256": sha,
                "media_type": "application/zip",
                "size_bytes": len(archive),
                "system_id": first_system,
                "model_version_id": None,
                "dataset_version_id": None,
                "dataset_digest": None,
                "code_commit": None,
                "code_dirty": None,
                "tool": "assay",
                "tool_version": __version__,
                "parameters": {"incident": iref, "window_hours": window_hours},
                "summary": {"files": len(files)},
                "observed_from": row["occurred_at"] - window,
                "observed_to": min(now, row["detected_at"] + window),
                "valid_until": None,
                "supersedes_id": None,
                "correction_reason": None,
                "created_at": now,
                "created_by": ws.user,
            },
        )
        _link(ws, tx, "incident", id_, "evidence", ev["id"], "bundle")
        if row["first_bundle_at"] is None:
            tx.update(tables.incidents, id_, {"first_bundle_at": now, **stamps(ws, created=False)})
        record = evidence_records(tx.conn, [ev])[0]
    # Written once the record is committed, so a failed transaction leaves no stray archive.
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(archive)
    return Bundle(path=target, sha256=sha, files=len(files), evidence=record)

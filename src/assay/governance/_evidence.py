"""Evidence: immutable records of evaluations, documents and artifacts, bound to exact versions.

A record is never edited. A correction is a new record that supersedes the old one and says why.
Each record carries a ``content_hash`` over all its fields (including the blob's sha256), so a
copy of the record can be checked on its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import mimetypes
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.canonical import canonical_json
from assay.errors import ConflictError, InputError, IntegrityError
from assay.governance._common import (
    Record,
    check_date,
    check_datetime,
    check_text,
    format_ref,
    not_found,
    parse_ref,
    writing,
)
from assay.governance._inventory import (
    dataset_row,
    model_row,
    normalize_digest,
    system_row,
)
from assay.governance._json_content import check_json_evidence, check_result
from assay.governance._scope import readable, scope_clause
from assay.policy import evidence_kind, find_kind
from assay.store import WriteTx, check_json_value, row_image, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "CodeVersion",
    "EvidenceRecord",
    "add_evidence",
    "detect_code_version",
    "evidence_content",
    "evidence_records",
    "get_evidence",
    "list_evidence",
    "record_derived",
    "record_evaluation",
    "refuse_reserved",
    "verify_evidence",
]

_E = tables.evidence.c


@dataclass(frozen=True, slots=True)
class CodeVersion:
    """The commit of a git working tree and whether it had uncommitted changes."""

    commit: str
    dirty: bool


def detect_code_version(path: Path | str | None = None) -> CodeVersion | None:
    """The git commit checked out at ``path`` (default: the current folder).

    Returns None outside a git repository or when git is not installed. ``dirty`` is True when
    tracked files have uncommitted changes, so a result cannot be reproduced from the commit alone.

    Examples
    --------
    >>> import tempfile
    >>> detect_code_version(tempfile.mkdtemp()) is None
    True
    """
    cwd = Path(path) if path is not None else Path.cwd()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = head.stdout.strip()
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        return None
    return CodeVersion(commit=commit, dirty=bool(status.stdout.strip()))


@dataclass(frozen=True, slots=True)
class EvidenceRecord(Record):
    """One piece of evidence; ``superseded_by`` is set when a correction replaced it."""

    id: int
    ref: str
    kind: str
    title: str
    blob_sha256: str
    media_type: str
    size_bytes: int
    system: str | None
    model_version: str | None
    dataset_version: str | None
    dataset_digest: str | None
    code_commit: str | None
    code_dirty: bool | None
    tool: str | None
    tool_version: str | None
    parameters: Any
    summary: Any
    observed_from: dt.datetime | None
    observed_to: dt.datetime | None
    valid_until: dt.date | None
    supersedes: int | None
    superseded_by: int | None
    correction_reason: str | None
    content_hash: str
    created_at: dt.datetime
    created_by: str

    @property
    def traceable(self) -> bool:
        """Linked to a model version, a dataset (version or digest) and a code commit."""
        return bool(
            self.model_version
            and (self.dataset_version or self.dataset_digest)
            and self.code_commit
        )


def content_hash(image: Mapping[str, Any]) -> str:
    """The sha256 over every field of a record except ``id`` and ``content_hash`` itself."""
    fields = {k: v for k, v in image.items() if k not in ("id", "content_hash")}
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def evidence_records(conn: Connection, rows: list[RowMapping]) -> list[EvidenceRecord]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    sys_ids = {r["system_id"] for r in rows if r["system_id"] is not None}
    mv_ids = {r["model_version_id"] for r in rows if r["model_version_id"] is not None}
    ds_ids = {r["dataset_version_id"] for r in rows if r["dataset_version_id"] is not None}
    s = tables.ai_systems.c
    m = tables.model_versions.c
    d = tables.dataset_versions.c
    names = dict(conn.execute(sa.select(s.id, s.name).where(s.id.in_(sys_ids))).all())
    models = {
        i: f"{n}@{v}"
        for i, n, v in conn.execute(sa.select(m.id, m.name, m.version).where(m.id.in_(mv_ids)))
    }
    datasets = {
        i: f"{n}@{v}"
        for i, n, v in conn.execute(sa.select(d.id, d.name, d.version).where(d.id.in_(ds_ids)))
    }
    later = dict(
        conn.execute(sa.select(_E.supersedes_id, _E.id).where(_E.supersedes_id.in_(ids))).all()
    )
    return [
        EvidenceRecord.from_row(
            r,
            ref=format_ref("evidence", r["id"]),
            system=names.get(r["system_id"]),
            model_version=models.get(r["model_version_id"]),
            dataset_version=datasets.get(r["dataset_version_id"]),
            supersedes=r["supersedes_id"],
            superseded_by=later.get(r["id"]),
        )
        for r in rows
    ]


def evidence_row(conn: Connection, ref: str | int) -> RowMapping:
    """The row of one evidence record; NotFoundError otherwise."""
    id_ = parse_ref("evidence", ref)
    row = conn.execute(sa.select(tables.evidence).where(_E.id == id_)).mappings().first()
    if row is None or not readable(conn, tables.evidence, row):
        raise not_found(
            "evidence record", format_ref("evidence", id_), "List them with `assay evidence list`."
        )
    return row


def closing_evidence(
    conn: Connection, ref: str | int, *, systems: set[int], closes: str
) -> RowMapping:
    """The evidence record ``ref`` that closes ``closes`` (an action or a risk about
    ``systems``): a record of one of those systems or of none (an organisation-wide record of
    their organisation), never another system's or another organisation's record.

    Raises
    ------
    ConflictError
        The record is evidence about another system, or of another organisation.
    """
    ev = evidence_row(conn, ref)
    if ev["system_id"] is not None and ev["system_id"] not in systems:
        raise ConflictError(
            f"{format_ref('evidence', ev['id'])} is evidence about another system, so it cannot "
            f"show that {closes} was done; close it with evidence recorded for its system."
        )
    s = tables.ai_systems.c
    orgs = set(conn.execute(sa.select(s.org).where(s.id.in_(systems))).scalars())
    if ev["system_id"] is None and orgs and ev["org"] not in orgs:
        raise ConflictError(
            f"{format_ref('evidence', ev['id'])} is evidence of another organisation, so it "
            f"cannot show that {closes} was done; close it with evidence of its own."
        )
    return ev


def add_evidence(
    ws: Workspace,
    *,
    kind: str,
    path: Path | str | None = None,
    data: bytes | None = None,
    title: str | None = None,
    media_type: str | None = None,
    system: str | None = None,
    model_version: str | None = None,
    dataset_version: str | None = None,
    dataset_digest: str | None = None,
    code_commit: str | None = None,
    code_dirty: bool | None = None,
    tool: str | None = None,
    tool_version: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
    observed_from: dt.datetime | str | None = None,
    observed_to: dt.datetime | str | None = None,
    valid_until: dt.date | str | None = None,
    supersedes: str | int | None = None,
    reason: str | None = None,
) -> EvidenceRecord:
    """Record a piece of evidence: a file (``path``) or bytes (``data``) plus what it is about.

    Parameters
    ----------
    ws
        The workspace.
    kind
        What the evidence is: ``fairness``, ``performance``, ``data_quality``, ``model_card``,
        ``risk_assessment``, ``monitoring``, ``incident_bundle``... (lower case).
    path, data
        The content, stored once in the blob store under its sha256.
    title, media_type
        Defaults: the file name and a type guessed from its suffix.
    system, model_version, dataset_version
        What it is about: a system name, its model version (``name@version`` or ``version``),
        a dataset version (``name@version`` or ``sha256:...``).
    dataset_digest
        The digest of the data evaluated; checked against ``dataset_version`` when both are given.
    code_commit, code_dirty
        The code that produced it (see :func:`detect_code_version`).
    tool, tool_version, parameters, summary
        How it was produced and its headline results (JSON values).
    observed_from, observed_to
        The period it covers (a monitoring window).
    valid_until
        After this date the evidence no longer counts as current.
    supersedes, reason
        The record this one corrects, and why (both required for a correction).

    Returns
    -------
    EvidenceRecord
        The stored record.
    """
    if not isinstance(kind, str):
        raise InputError(f"The evidence kind must be a name, not {kind!r}.")
    kind = evidence_kind(kind).name  # registered kinds only (assay.policy), aliases resolved
    refuse_reserved(kind)
    spec = EvidenceInput(
        kind=kind, path=path, data=data, title=title, media_type=media_type, system=system,
        model_version=model_version, dataset_version=dataset_version,
        dataset_digest=dataset_digest, code_commit=code_commit, code_dirty=code_dirty, tool=tool,
        tool_version=tool_version, parameters=parameters, summary=summary,
        observed_from=observed_from, observed_to=observed_to, valid_until=valid_until,
        supersedes=supersedes, reason=reason,
    )  # fmt: skip
    return _file(ws, spec, action="evidence.add", note=None)


def refuse_reserved(kind: str) -> None:
    """Refuse a kind that only Assay's builders write (:data:`assay.policy.RESERVED_KINDS`)."""
    found = find_kind(kind) if isinstance(kind, str) else None
    if found is not None and found.reserved:
        how = f" Make one with `{found.made_by}`." if found.made_by else ""
        raise InputError(
            f"Evidence of kind {found.name!r} ({found.label}) is derived by Assay from other "
            f"records and is written only by its builder, never added by hand.{how}"
        )


def record_derived(ws: Workspace, *, builder: str, **fields: Any) -> EvidenceRecord:
    """Record evidence of a derived kind (a review packet, a gate decision...): for Assay's own
    builders only, never exposed by the CLI, the web app or the API.

    ``fields`` are those of :func:`add_evidence`; ``kind`` must be a derived kind. The record's
    ``tool`` names ``builder`` and its creator is the workspace's (authenticated) user; the audit
    event is ``evidence.derive``, which packet verification checks.
    """
    spec = EvidenceInput(**fields)
    found = find_kind(spec.kind)
    if found is None or not found.reserved:
        raise InputError(f"record_derived writes derived kinds only, not {spec.kind!r}.")
    spec = dataclasses.replace(spec, tool=builder)
    return _file(ws, spec, action="evidence.derive", note=builder)


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    """What :func:`add_evidence` was given."""

    kind: str
    path: Path | str | None = None
    data: bytes | None = None
    title: str | None = None
    media_type: str | None = None
    system: str | None = None
    model_version: str | None = None
    dataset_version: str | None = None
    dataset_digest: str | None = None
    code_commit: str | None = None
    code_dirty: bool | None = None
    tool: str | None = None
    tool_version: str | None = None
    parameters: Mapping[str, Any] | None = None
    summary: Mapping[str, Any] | None = None
    observed_from: dt.datetime | str | None = None
    observed_to: dt.datetime | str | None = None
    valid_until: dt.date | str | None = None
    supersedes: str | int | None = None
    reason: str | None = None


def _checked(ws: Workspace, spec: EvidenceInput) -> dict[str, Any]:
    """Validate what needs no database; store the content. The row's columns known so far."""
    if (spec.path is None) == (spec.data is None):
        raise InputError("Give the evidence content as exactly one of a file path or bytes.")
    if spec.model_version is not None and spec.system is None and spec.supersedes is None:
        raise InputError("A model version belongs to a system: give --system too.")
    params = dict(spec.parameters) if spec.parameters is not None else None
    summ = dict(spec.summary) if spec.summary is not None else None
    check_json_value(params, name="parameters")
    check_json_value(summ, name="summary")
    start = check_datetime(spec.observed_from, what="observed-from time")
    end = check_datetime(spec.observed_to, what="observed-to time")
    if start is not None and end is not None and end < start:
        raise InputError("The observed period ends before it starts; swap the two times.")
    until = check_date(spec.valid_until, what="valid-until date")
    if until is not None and until < ws.today():
        raise InputError(f"valid_until {until} is in the past; evidence must be valid when added.")
    if spec.path is not None:
        p = Path(spec.path)
        guessed, default_title = mimetypes.guess_type(p.name)[0], p.name
        check_json_evidence(spec.media_type or guessed or "", path=p, what=f"The file {str(p)!r}")
        sha, size = ws.blobs.put_file(p)
    else:
        assert spec.data is not None
        check_json_evidence(spec.media_type or "", data=spec.data, what=f"The {spec.kind} content")
        sha, size = ws.blobs.put_bytes(spec.data), len(spec.data)
        guessed, default_title = None, spec.kind
    return {
        "kind": spec.kind,
        "title": check_text(spec.title, what="title", required=False) or default_title,
        "blob_sha256": sha,
        "media_type": spec.media_type or guessed or "application/octet-stream",
        "size_bytes": size,
        "dataset_digest": normalize_digest(spec.dataset_digest) if spec.dataset_digest else None,
        "code_commit": check_text(spec.code_commit, what="code commit", required=False),
        "code_dirty": spec.code_dirty,
        "tool": check_text(spec.tool, what="tool", required=False),
        "tool_version": check_text(spec.tool_version, what="tool version", required=False),
        "parameters": params,
        "summary": summ,
        "observed_from": start,
        "observed_to": end,
        "valid_until": until,
        "correction_reason": check_text(spec.reason, what="reason", required=False),
    }


def _correction(tx: WriteTx, spec: EvidenceInput, values: dict[str, Any]) -> None:
    """Fill in what a correction (``supersedes``) carries over from the record it corrects."""
    values.update(system_id=None, model_version_id=None, dataset_version_id=None)
    values["supersedes_id"] = None
    if spec.supersedes is None:
        if spec.reason is not None:
            raise InputError("--reason explains a correction; give --supersedes too.")
        return
    old = evidence_row(tx.conn, spec.supersedes)
    old_id = values["supersedes_id"] = old["id"]
    if not values["correction_reason"]:
        raise InputError(f"Say why {format_ref('evidence', old_id)} is being corrected (--reason).")
    if getattr(find_kind(old["kind"]), "name", old["kind"]) != spec.kind:
        raise InputError(
            f"A correction keeps the kind of what it corrects: "
            f"{format_ref('evidence', old_id)} is {old['kind']!r}, not {spec.kind!r}."
        )
    newer = tx.conn.execute(sa.select(_E.id).where(_E.supersedes_id == old_id)).scalar()
    if newer is not None:
        raise ConflictError(
            f"{format_ref('evidence', old_id)} was already superseded by "
            f"{format_ref('evidence', newer)}; correct that record instead."
        )
    if spec.system is None:
        values["system_id"], values["model_version_id"] = old["system_id"], old["model_version_id"]
        if spec.dataset_version is None and spec.dataset_digest is None:
            values["dataset_version_id"] = old["dataset_version_id"]
            values["dataset_digest"] = old["dataset_digest"]


def _subjects(tx: WriteTx, spec: EvidenceInput, values: dict[str, Any]) -> None:
    """Resolve the system, model version and dataset version the evidence is about."""
    if spec.system is not None:
        srow = system_row(tx.conn, spec.system)
        values["system_id"] = srow["id"]
        if spec.model_version is not None:
            mrow = model_row(tx.conn, srow["id"], srow["name"], spec.model_version)
            values["model_version_id"] = mrow["id"]
    if spec.dataset_version is not None:
        drow = dataset_row(tx.conn, spec.dataset_version)
        values["dataset_version_id"] = drow["id"]
        digest = values["dataset_digest"]
        if digest is not None and digest != drow["digest"]:
            raise InputError(
                f"The evidence was computed on data with digest {digest}, but the dataset "
                f"version {drow['name']}@{drow['version']} has digest {drow['digest']}. "
                "Register the data as a new dataset version, or name the right one."
            )
        values["dataset_digest"] = drow["digest"]


def _file(ws: Workspace, spec: EvidenceInput, *, action: str, note: str | None) -> EvidenceRecord:
    values = _checked(ws, spec)
    with writing(ws, "add evidence", action=action, entity_type="evidence", note=note) as tx:
        _correction(tx, spec, values)
        _subjects(tx, spec, values)
        values.update(created_at=ws.now(), created_by=ws.user, org=_owner_org(tx, values))
        columns = [c.name for c in tables.evidence.columns if c.name not in ("id", "content_hash")]
        row = insert_evidence(tx, {name: values[name] for name in columns})
        tx.set_entity("evidence", row["id"])
        return evidence_records(tx.conn, [row])[0]


def _owner_org(tx: WriteTx, values: Mapping[str, Any]) -> str | None:
    """The organisation of new evidence: its system's; without one, the writer's own. A
    correction stays in the organisation of the record it corrects (ConflictError otherwise)."""
    old = None
    if values.get("supersedes_id") is not None:
        old = tx.get(tables.evidence, values["supersedes_id"])
    if values.get("system_id") is not None:
        system = tx.get(tables.ai_systems, values["system_id"])
        assert system is not None
        org = cast("str | None", system["org"])
    elif old is not None:
        return cast("str | None", old["org"])
    else:
        writer = tx.get(tables.users, tx.actor)
        return None if writer is None else cast("str | None", writer["org"])
    if old is not None and old["org"] != org:
        raise ConflictError(
            f"{format_ref('evidence', old['id'])} is a record of another organisation than "
            "the system named; a correction stays in the organisation of what it corrects."
        )
    return org


def insert_evidence(tx: WriteTx, values: dict[str, Any]) -> RowMapping:
    """Insert an evidence row inside ``tx``, computing its content hash."""
    image = row_image(tables.evidence, {"id": None, "content_hash": None, **values})
    return tx.insert(tables.evidence, {**values, "content_hash": content_hash(image)})


def get_evidence(ws: Workspace, ref: str | int) -> EvidenceRecord:
    """One evidence record by ``EV-12`` or ``12``."""
    with ws.store.read() as conn:
        return evidence_records(conn, [evidence_row(conn, ref)])[0]


def evidence_content(ws: Workspace, ref: str | int) -> bytes:
    """The stored content of an evidence record, checked against its sha256."""
    record = get_evidence(ws, ref)
    data = ws.blobs.read_bytes(record.blob_sha256)
    if hashlib.sha256(data).hexdigest() != record.blob_sha256:
        raise IntegrityError(
            f"The content of {record.ref} was modified on disk: it no longer matches the sha256 "
            "recorded. Restore the blobs folder from a backup."
        )
    return data


def verify_evidence(ws: Workspace, ref: str | int) -> EvidenceRecord:
    """Recompute a record's content hash and its blob's sha256; IntegrityError on mismatch."""
    with ws.store.read() as conn:
        row = evidence_row(conn, ref)
        record = evidence_records(conn, [row])[0]
    if content_hash(row_image(tables.evidence, row)) != row["content_hash"]:
        raise IntegrityError(f"{record.ref} does not match its content hash: it was edited.")
    ws.blobs.verify(record.blob_sha256)
    return record


def list_evidence(
    ws: Workspace,
    *,
    system: str | None = None,
    kind: str | None = None,
    model_version: str | None = None,
    include_superseded: bool = False,
    limit: int | None = None,
) -> list[EvidenceRecord]:
    """Evidence records, newest first; corrections hide what they superseded unless asked."""
    q = sa.select(tables.evidence).order_by(_E.created_at.desc(), _E.id.desc())
    with ws.store.read() as conn:
        if system is not None:
            srow = system_row(conn, system)
            q = q.where(_E.system_id == srow["id"])
            if model_version is not None:
                mrow = model_row(conn, srow["id"], srow["name"], model_version)
                q = q.where(_E.model_version_id == mrow["id"])
        elif model_version is not None:
            raise InputError("Filter by model version together with --system.")
        if kind is not None:
            q = q.where(_E.kind == kind)
        if not include_superseded:
            newer = tables.evidence.alias("newer")
            q = q.where(~sa.exists().where(newer.c.supersedes_id == _E.id))
        q = q.where(scope_clause(conn, tables.evidence))
        if limit is not None:
            q = q.limit(limit)
        return evidence_records(conn, list(conn.execute(q).mappings()))


def _summary(result: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": result["schema"]}
    if isinstance(result.get("n"), int):
        out["n"] = result["n"]
    verdicts = result.get("verdicts")
    if isinstance(verdicts, list):
        slim = []
        for v in verdicts:
            if isinstance(v, Mapping) and "verdict" in v:
                slim.append({k: v[k] for k in ("rule", "by", "verdict") if k in v})
        out["verdicts"] = slim
        out["failed"] = sum(1 for v in slim if v.get("verdict") == "fail")
    elif isinstance(result.get("verdict"), str):
        out["verdict"] = result["verdict"]
    try:
        check_json_value(out, name="summary")
    except InputError:
        return {"schema": result["schema"]}
    return out


def _result_blob(result: Mapping[str, Any]) -> bytes:
    """The result as the record's blob (sorted keys, 2-space indent), checked to be a result."""
    if not isinstance(result, Mapping) or not isinstance(result.get("schema"), str):
        raise InputError(
            "An evaluation result must be a mapping with a 'schema' string "
            "(pass FairnessResult.to_dict())."
        )
    check_result(result)
    try:
        return json.dumps(result, sort_keys=True, indent=2, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InputError(f"The evaluation result is not JSON-serialisable: {exc}.") from exc


def _provenance(result: Mapping[str, Any]) -> Mapping[str, Any]:
    """The result's provenance (empty when it has none)."""
    provenance = result.get("provenance") if isinstance(result.get("provenance"), Mapping) else {}
    assert isinstance(provenance, Mapping)
    return provenance


def _dataset_digest(provenance: Mapping[str, Any]) -> str | None:
    """The digest of the dataset a result was computed on, as its provenance gives it."""
    dataset = provenance.get("dataset") if isinstance(provenance.get("dataset"), Mapping) else {}
    assert isinstance(dataset, Mapping)
    return dataset.get("digest") if isinstance(dataset.get("digest"), str) else None


def _params(result: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The result's parameters, made JSON-safe (values that are not become text)."""
    params = result.get("params") if isinstance(result.get("params"), Mapping) else None
    if params is not None:
        try:
            check_json_value(params, name="params")
        except InputError:
            params = json.loads(json.dumps(params, default=str))
    return params


def _registered_dataset(workspace: Workspace, digest: str) -> str | None:
    """The one registered dataset version (``name@version``) with this digest, if exactly one."""
    with workspace.store.read() as conn:
        d = tables.dataset_versions.c
        found = conn.execute(
            sa.select(d.name, d.version).where(d.digest == normalize_digest(digest))
        ).all()
    if len(found) == 1:
        return f"{found[0][0]}@{found[0][1]}"
    return None


def _as_actor(workspace: Workspace, actor: str | None) -> Workspace:
    """The workspace, acting as ``actor`` when another user is named."""
    if actor is None or actor == workspace.user:
        return workspace
    return workspace.as_user(actor)


def record_evaluation(
    workspace: Workspace,
    result: Mapping[str, Any],
    *,
    kind: str,
    system: str,
    model_version: str,
    dataset_version: str | None = None,
    code_commit: str | None = None,
    code_dirty: bool | None = None,
    actor: str | None = None,
    title: str | None = None,
    valid_until: dt.date | str | None = None,
    supersedes: str | int | None = None,
    reason: str | None = None,
) -> EvidenceRecord:
    """File an evaluation result (``FairnessResult.to_dict()`` and the like) as evidence.

    Parameters
    ----------
    workspace
        The open workspace.
    result
        A JSON-serialisable result with ``"schema"`` and, usually, ``"provenance"`` (its
        ``["dataset"]["digest"]`` and ``["assay_version"]`` are recorded) and ``"params"``.
    kind
        The evidence kind, for example ``"fairness"``.
    system, model_version
        The system's name and its registered model version (``version`` or ``name@version``).
    dataset_version
        A registered dataset version (``name@version``). When omitted, a dataset version with the
        result's digest is linked if one is registered; the digest is recorded either way.
    code_commit, code_dirty
        The code's commit; when omitted it is detected with ``git rev-parse HEAD`` in the current
        folder (None outside a repository), together with whether the tree had changes.
    actor
        Record as this user instead of the workspace's user.
    title, valid_until, supersedes, reason
        As in :func:`add_evidence`.

    Returns
    -------
    EvidenceRecord
        The record; its blob is the result as canonical JSON (sorted keys, 2-space indent).
    """
    blob = _result_blob(result)
    provenance = _provenance(result)
    digest = _dataset_digest(provenance)
    params = _params(result)
    if code_commit is None:
        detected = detect_code_version()
        if detected is not None:
            code_commit, code_dirty = detected.commit, detected.dirty
    if dataset_version is None and digest is not None:
        dataset_version = _registered_dataset(workspace, digest)
    from assay import __version__

    ws = _as_actor(workspace, actor)
    schema = str(result["schema"])
    return add_evidence(
        ws,
        kind=kind,
        data=blob,
        title=title or f"{schema} result",
        media_type="application/json",
        system=system,
        model_version=model_version,
        dataset_version=dataset_version,
        dataset_digest=digest,
        code_commit=code_commit,
        code_dirty=code_dirty,
        tool="assay",
        tool_version=str(provenance.get("assay_version") or __version__),
        parameters=params,
        summary=_summary(result),
        valid_until=valid_until,
        supersedes=supersedes,
        reason=reason,
    )

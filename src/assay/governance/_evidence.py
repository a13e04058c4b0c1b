"""Evidence: immutable records of evaluations, documents and artifacts, bound to exact versions.

A record is never edited. A correction is a new record that supersedes the old one and says why.
Each record carries a ``content_hash`` over all its fields (including the blob's sha256), so a
copy of the record can be checked on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

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
from assay.policy import evidence_kind, find_kind
from assay.store import WriteTx, canonical_json, check_json_value, row_image, tables

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
    "record_evaluation",
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
    if row is None:
        raise not_found(
            "evidence record", format_ref("evidence", id_), "List them with `assay evidence list`."
        )
    return row


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
    if (path is None) == (data is None):
        raise InputError("Give the evidence content as exactly one of a file path or bytes.")
    if model_version is not None and system is None and supersedes is None:
        raise InputError("A model version belongs to a system: give --system too.")
    params = dict(parameters) if parameters is not None else None
    summ = dict(summary) if summary is not None else None
    check_json_value(params, name="parameters")
    check_json_value(summ, name="summary")
    start = check_datetime(observed_from, what="observed-from time")
    end = check_datetime(observed_to, what="observed-to time")
    if start is not None and end is not None and end < start:
        raise InputError("The observed period ends before it starts; swap the two times.")
    until = check_date(valid_until, what="valid-until date")
    if until is not None and until < ws.today():
        raise InputError(f"valid_until {until} is in the past; evidence must be valid when added.")
    if path is not None:
        p = Path(path)
        sha, size = ws.blobs.put_file(p)
        guessed = mimetypes.guess_type(p.name)[0]
        default_title = p.name
    else:
        assert data is not None
        sha, size = ws.blobs.put_bytes(data), len(data)
        guessed = None
        default_title = kind
    mtype = media_type or guessed or "application/octet-stream"
    digest = normalize_digest(dataset_digest) if dataset_digest else None

    with writing(ws, "add evidence", action="evidence.add", entity_type="evidence") as tx:
        system_id = model_id = dataset_id = old_id = None
        if supersedes is not None:
            old = evidence_row(tx.conn, supersedes)
            old_id = old["id"]
            if not check_text(reason, what="reason", required=False):
                raise InputError(
                    f"Say why {format_ref('evidence', old_id)} is being corrected (--reason)."
                )
            if getattr(find_kind(old["kind"]), "name", old["kind"]) != kind:
                raise InputError(
                    f"A correction keeps the kind of what it corrects: "
                    f"{format_ref('evidence', old_id)} is {old['kind']!r}, not {kind!r}."
                )
            newer = tx.conn.execute(sa.select(_E.id).where(_E.supersedes_id == old_id)).scalar()
            if newer is not None:
                raise ConflictError(
                    f"{format_ref('evidence', old_id)} was already superseded by "
                    f"{format_ref('evidence', newer)}; correct that record instead."
                )
            if system is None:
                system_id, model_id = old["system_id"], old["model_version_id"]
                if dataset_version is None and dataset_digest is None:
                    dataset_id, digest = old["dataset_version_id"], old["dataset_digest"]
        elif reason is not None:
            raise InputError("--reason explains a correction; give --supersedes too.")
        if system is not None:
            srow = system_row(tx.conn, system)
            system_id = srow["id"]
            if model_version is not None:
                model_id = model_row(tx.conn, srow["id"], srow["name"], model_version)["id"]
        if dataset_version is not None:
            drow = dataset_row(tx.conn, dataset_version)
            dataset_id = drow["id"]
            if digest is not None and digest != drow["digest"]:
                raise InputError(
                    f"The evidence was computed on data with digest {digest}, but the dataset "
                    f"version {drow['name']}@{drow['version']} has digest {drow['digest']}. "
                    "Register the data as a new dataset version, or name the right one."
                )
            digest = drow["digest"]
        values: dict[str, Any] = {
            "kind": kind,
            "title": check_text(title, what="title", required=False) or default_title,
            "blob_sha256": sha,
            "media_type": mtype,
            "size_bytes": size,
            "system_id": system_id,
            "model_version_id": model_id,
            "dataset_version_id": dataset_id,
            "dataset_digest": digest,
            "code_commit": check_text(code_commit, what="code commit", required=False),
            "code_dirty": code_dirty,
            "tool": check_text(tool, what="tool", required=False),
            "tool_version": check_text(tool_version, what="tool version", required=False),
            "parameters": params,
            "summary": summ,
            "observed_from": start,
            "observed_to": end,
            "valid_until": until,
            "supersedes_id": old_id,
            "correction_reason": check_text(reason, what="reason", required=False),
            "created_at": ws.now(),
            "created_by": ws.user,
        }
        row = insert_evidence(tx, values)
        tx.set_entity("evidence", row["id"])
        return evidence_records(tx.conn, [row])[0]


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
    if not isinstance(result, Mapping) or not isinstance(result.get("schema"), str):
        raise InputError(
            "An evaluation result must be a mapping with a 'schema' string "
            "(pass FairnessResult.to_dict())."
        )
    try:
        blob = json.dumps(result, sort_keys=True, indent=2, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InputError(f"The evaluation result is not JSON-serialisable: {exc}.") from exc
    provenance = result.get("provenance") if isinstance(result.get("provenance"), Mapping) else {}
    assert isinstance(provenance, Mapping)
    dataset = provenance.get("dataset") if isinstance(provenance.get("dataset"), Mapping) else {}
    assert isinstance(dataset, Mapping)
    digest = dataset.get("digest") if isinstance(dataset.get("digest"), str) else None
    params = result.get("params") if isinstance(result.get("params"), Mapping) else None
    if params is not None:
        try:
            check_json_value(params, name="params")
        except InputError:
            params = json.loads(json.dumps(params, default=str))
    if code_commit is None:
        detected = detect_code_version()
        if detected is not None:
            code_commit, code_dirty = detected.commit, detected.dirty
    if dataset_version is None and digest is not None:
        with workspace.store.read() as conn:
            d = tables.dataset_versions.c
            found = conn.execute(
                sa.select(d.name, d.version).where(d.digest == normalize_digest(digest))
            ).all()
        if len(found) == 1:
            dataset_version = f"{found[0][0]}@{found[0][1]}"
    from assay._version import __version__

    ws = workspace
    if actor is not None and actor != workspace.user:
        from assay.governance._workspace import Workspace as Ws

        ws = Ws(
            workspace.root,
            workspace.store,
            user=actor,
            config=workspace.config,
            clock=workspace.clock,
        )
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

"""Approvals: a signed decision over the sha256 of exactly what was decided on.

Each approval names its signer, time, decision and rationale, and the sha256 of the canonical
content it covers (a review packet, the terms of a waiver). That content is kept in the blob
store, so :func:`verify_approval` can show months later what was approved. It also records the
audit chain's head when it was signed (``chain_seq``, ``chain_hash``): a published checkpoint
after that point pins everything the approval saw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.canonical import canonical_json
from assay.errors import IntegrityError
from assay.governance._common import Record, format_ref, not_found, parse_ref
from assay.governance._scope import readable, scope_clause
from assay.store import WriteTx, tables

if TYPE_CHECKING:
    from pathlib import Path

    from assay.governance._workspace import Workspace

__all__ = ["Approval", "get_approval", "list_approvals", "verify_approval"]

_P = tables.approvals.c


@dataclass(frozen=True, slots=True)
class Approval(Record):
    """One signed decision on a review or waiver."""

    id: int
    ref: str
    subject_type: str
    subject_id: int
    round: int
    decision: str
    rationale: str
    conditions: str | None
    signer: str
    signed_at: dt.datetime
    subject_sha256: str
    chain_seq: int | None = None
    chain_hash: str | None = None


def _record(row: RowMapping) -> Approval:
    return Approval.from_row(row, ref=format_ref("approval", row["id"]))


def sign(
    ws: Workspace,
    tx: WriteTx,
    *,
    subject_type: str,
    subject_id: int,
    round_: int,
    decision: str,
    rationale: str,
    conditions: str | None,
    content: Any = None,
    content_sha256: str | None = None,
) -> Approval:
    """Write an approval inside ``tx``; ``content`` is stored as canonical JSON and hashed."""
    if content_sha256 is None:
        data = canonical_json(content).encode("utf-8")
        content_sha256 = ws.blobs.put_bytes(data)
    head_seq, head_hash = tx.chain_head()
    row = tx.insert(
        tables.approvals,
        {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "round": round_,
            "decision": decision,
            "rationale": rationale,
            "conditions": conditions,
            "signer": ws.user,
            "signed_at": ws.now(),
            "subject_sha256": content_sha256,
            "chain_seq": head_seq,
            "chain_hash": head_hash,
        },
    )
    return _record(row)


def approvals_of(conn: Connection, subject_type: str, subject_id: int) -> list[Approval]:
    """The approvals of one subject, oldest first."""
    rows = conn.execute(
        sa.select(tables.approvals)
        .where(_P.subject_type == subject_type, _P.subject_id == subject_id)
        .order_by(_P.id)
    ).mappings()
    return [_record(r) for r in rows]


def list_approvals(
    ws: Workspace, *, subject_type: str | None = None, signer: str | None = None
) -> list[Approval]:
    """Approvals, newest first."""
    q = sa.select(tables.approvals).order_by(_P.id.desc())
    if subject_type is not None:
        q = q.where(_P.subject_type == subject_type)
    if signer is not None:
        q = q.where(_P.signer == signer)
    with ws.store.read() as conn:
        q = q.where(scope_clause(conn, tables.approvals))
        return [_record(r) for r in conn.execute(q).mappings()]


def get_approval(ws: Workspace, ref: str | int) -> Approval:
    """One approval by ``APR-4`` or ``4``."""
    id_ = parse_ref("approval", ref)
    with ws.store.read() as conn:
        row = conn.execute(sa.select(tables.approvals).where(_P.id == id_)).mappings().first()
        if row is not None and not readable(conn, tables.approvals, row):
            row = None
    if row is None:
        raise not_found(
            "approval", format_ref("approval", id_), "List them with `assay approval list`."
        )
    return _record(row)


def verify_approval(ws: Workspace, ref: str | int, *, file: Path | None = None) -> Approval:
    """Check that the content an approval covers is intact, or that ``file`` is that content.

    Raises :class:`IntegrityError` when the stored content (or the given file) does not hash to
    the approval's ``subject_sha256``.
    """
    approval = get_approval(ws, ref)
    if file is not None:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest != approval.subject_sha256:
            raise IntegrityError(
                f"{file} is not what {approval.ref} approved: it hashes to {digest}, the approval "
                f"covers {approval.subject_sha256}."
            )
        return approval
    ws.blobs.verify(approval.subject_sha256)
    return approval

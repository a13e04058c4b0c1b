"""Checkpoints: the audit chain's head, signed with a key kept outside the database.

The hash chain shows that no event was edited *relative to the events after it*; someone who can
write the database can still delete the newest events, or rewrite events and recompute every hash
after them. A checkpoint pins the chain from outside: the sequence number, hash and time of the
newest event, signed with an Ed25519 key that never enters the database. Published where the
database's writers cannot change it (a CI artefact, a ticket, a write-once bucket), it lets
``assay audit verify --checkpoint FILE --public-key KEY`` prove that the chain still holds that
event with that hash: a truncated tail or a consistent rewrite of any event up to it is found.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from assay.canonical import canonical_json
from assay.errors import ConflictError, InputError, IntegrityError
from assay.governance._audit import verify_audit
from assay.store import AuditProblem, AuditReport, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "CHECKPOINT_SCHEMA",
    "ChainCheckpoint",
    "check_checkpoint",
    "generate_checkpoint_key",
    "verify_against_checkpoints",
    "write_checkpoint",
]

CHECKPOINT_SCHEMA = "assay.checkpoint/v1"
KEYGEN = "assay audit keygen --private-key FILE --public-key FILE"
CHECKPOINT = "assay audit checkpoint --output FILE --key KEY"


@dataclass(frozen=True, slots=True)
class ChainCheckpoint:
    """A signed chain head: event ``seq`` had ``hash`` (written at ``event_at``)."""

    seq: int
    hash: str
    event_at: str
    made_at: str
    made_by: str
    key_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": CHECKPOINT_SCHEMA,
            "seq": self.seq,
            "hash": self.hash,
            "event_at": self.event_at,
            "made_at": self.made_at,
            "made_by": self.made_by,
            "key_sha256": self.key_sha256,
        }


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise InputError(
            "Checkpoints need the 'cryptography' package: pip install cryptography"
        ) from exc
    return ed25519


def _raw_public(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def generate_checkpoint_key(private_path: Path | str, public_path: Path | str) -> str:
    """Create an Ed25519 key pair for checkpoints: the private key (PEM, readable only by its
    owner) and the public key (PEM, to hand to whoever verifies). Returns the public key's
    sha256. Keep the private key outside the workspace and the database."""
    from cryptography.hazmat.primitives import serialization

    private, public = Path(private_path), Path(public_path)
    for path in (private, public):
        if path.exists():
            raise ConflictError(f"{path} already exists; choose another file (keys are kept).")
    key = _crypto().Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return hashlib.sha256(_raw_public(key.public_key())).hexdigest()


def _load_key(path: Path | str, *, private: bool) -> Any:
    from cryptography.hazmat.primitives import serialization

    ed25519 = _crypto()
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The key file {str(p)!r} does not exist; make one with `{KEYGEN}`.")
    try:
        data = p.read_bytes()
        key = (
            serialization.load_pem_private_key(data, password=None)
            if private
            else serialization.load_pem_public_key(data)
        )
    except (ValueError, TypeError) as exc:
        kind = "private" if private else "public"
        raise InputError(f"{p} is not a PEM {kind} key made by `{KEYGEN}`.") from exc
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise InputError(f"{p} is not an Ed25519 key; make one with `{KEYGEN}`.")
    return key


def write_checkpoint(ws: Workspace, output: Path | str, key: Path | str) -> ChainCheckpoint:
    """Verify the chain, then write its head signed with the private ``key`` to ``output``.

    Raises
    ------
    IntegrityError
        The chain does not verify now; a checkpoint would vouch for a broken chain.
    """
    private = _load_key(key, private=True)
    report = verify_audit(ws)
    if not report.ok:
        first = report.first_problem
        raise IntegrityError(
            "The audit chain does not verify, so no checkpoint was written: "
            f"{first.message if first else ''} Run `assay audit verify` for the details."
        )
    ev = tables.audit_events.c
    with ws.store.read() as conn:
        at = conn.execute(sa.select(ev.at).where(ev.seq == report.head_seq)).scalar()
    point = ChainCheckpoint(
        seq=report.head_seq,
        hash=report.head_hash,
        event_at=at.isoformat() if at is not None else "",
        made_at=ws.now().isoformat(),
        made_by=ws.user,
        key_sha256=hashlib.sha256(_raw_public(private.public_key())).hexdigest(),
    )
    body = point.to_dict()
    signature = private.sign(canonical_json(body).encode("utf-8"))
    signed = {"checkpoint": body, "signature": base64.b64encode(signature).decode("ascii")}
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(signed, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return point


def _read_signed(file: Path | str, public: Any) -> ChainCheckpoint:
    from cryptography.exceptions import InvalidSignature

    path = Path(file)
    try:
        signed = json.loads(path.read_text(encoding="utf-8"))
        body = signed["checkpoint"]
        signature = base64.b64decode(signed["signature"], validate=True)
        if body.get("schema") != CHECKPOINT_SCHEMA:
            raise ValueError(body.get("schema"))
        point = ChainCheckpoint(**{k: v for k, v in body.items() if k != "schema"})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path} is not a checkpoint written by `{CHECKPOINT}`.") from exc
    try:
        public.verify(signature, canonical_json(body).encode("utf-8"))
    except InvalidSignature:
        raise IntegrityError(
            f"The checkpoint {path} is not signed by this public key: it was altered, or made "
            "with another key."
        ) from None
    return point


def check_checkpoint(
    ws: Workspace, file: Path | str, public_key: Path | str
) -> tuple[ChainCheckpoint, list[AuditProblem]]:
    """Check the chain against a signed checkpoint: the event it names must still be there,
    with the same hash. Returns the checkpoint and what is wrong (nothing when it holds).

    Raises
    ------
    IntegrityError
        The checkpoint's signature does not verify with ``public_key``.
    """
    point = _read_signed(file, _load_key(public_key, private=False))
    ev = tables.audit_events.c
    with ws.store.read() as conn:
        found = conn.execute(sa.select(ev.hash).where(ev.seq == point.seq)).scalar()
        head = conn.execute(sa.select(sa.func.max(ev.seq))).scalar() or 0
    if found is None:
        return point, [
            AuditProblem(
                f"The chain ends at event {head}, but the checkpoint of {point.made_at} "
                f"({Path(file).name}) vouches for event {point.seq}: events "
                f"{head + 1}..{point.seq} (at least) were deleted from the end of the log.",
                seq=point.seq,
            )
        ]
    if found != point.hash:
        return point, [
            AuditProblem(
                f"Event {point.seq} has hash {found[:12]}…, but the checkpoint of {point.made_at} "
                f"({Path(file).name}) signed {point.hash[:12]}…: the log up to event {point.seq} "
                "was rewritten since (hashes recomputed to hide it).",
                seq=point.seq,
            )
        ]
    return point, []


def verify_against_checkpoints(
    ws: Workspace,
    checkpoints: list[Path] | tuple[Path, ...],
    public_key: Path | str,
    *,
    blobs: bool = False,
) -> AuditReport:
    """:func:`verify_audit`, plus each signed checkpoint (see :func:`check_checkpoint`)."""
    report = verify_audit(ws, blobs=blobs)
    problems = list(report.problems)
    for file in checkpoints:
        problems += check_checkpoint(ws, file, public_key)[1]
    return dataclasses.replace(report, problems=tuple(problems))

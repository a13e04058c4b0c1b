"""Frozen review packets: built once as canonical JSON, stored by sha256, signed, verified.

``build_packet`` snapshots everything a review board reads — the review, the system, the policy's
requirements, the completeness report, the model card, the datasheets, the risk assessment, the
open risks, the waivers and an index of every evidence record with its hashes — into canonical JSON
(sorted keys, no insignificant whitespace). The bytes are stored in the blob store and recorded as
evidence of kind ``review_packet``; their sha256 is the packet's identity, and an approval signs
exactly that hash (:func:`sign_packet`). Later edits to any record never change a built packet.
:func:`verify_packet` re-hashes the packet and every evidence record it indexes, and names whatever
changed. The packet laid out as a document is :mod:`assay.documents._packet_document`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay.canonical import canonical_json, sha256_hex
from assay.documents._datasheet import dataset_evidence
from assay.documents._packet_origin import PACKET_BUILDER, packet_origin_problems
from assay.documents._review_state import (
    ReviewState,
    RiskState,
    WaiverState,
    assess_review,
    completeness_from_dict,
)
from assay.errors import IntegrityError, NotFoundError
from assay.policy import OPEN_RISK_STATUSES, evidence_kind, find_kind
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from assay.documents._review_documents import ReviewDocuments
    from assay.governance import Approval, EvidenceRecord, Review, Workspace
    from assay.policy import Policy

__all__ = [
    "PACKET_SCHEMA",
    "BuiltPacket",
    "PacketCheck",
    "build_packet",
    "find_packet",
    "item_hashes",
    "load_packet",
    "packet_state",
    "sign_packet",
    "verify_packet",
]

PACKET_KIND = "review_packet"
PACKET_SCHEMA = str(evidence_kind(PACKET_KIND).schema)


@dataclass(frozen=True)
class BuiltPacket:
    """A built packet: its sha256, the evidence record that holds it, and its content."""

    sha256: str
    record: EvidenceRecord
    content: Mapping[str, Any]

    @property
    def review(self) -> str:
        return str(as_mapping(self.content.get("review")).get("ref", ""))


@dataclass(frozen=True)
class PacketCheck:
    """The result of :func:`verify_packet`."""

    sha256: str
    record: str
    items_checked: int
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sha256": self.sha256,
            "record": self.record,
            "items_checked": self.items_checked,
            "problems": list(self.problems),
        }


def item_hashes(content: Mapping[str, Any]) -> dict[str, str]:
    """The sha256 of each item of a packet, so that verification can name what changed."""
    out: dict[str, str] = {}
    for key in (
        "review",
        "system",
        "model_versions",
        "policy",
        "state",
        "evaluations",
        "completeness",
        "findings",
        "built",
    ):
        if key in content:
            out[key] = sha256_hex(canonical_json(content[key]))
    for entry in as_list(content.get("documents")):
        entry = as_mapping(entry)
        out[f"document:{entry.get('name')}"] = sha256_hex(canonical_json(entry.get("document")))
    for kind, prefix in (("evidence", "evidence"), ("risks", "risk"), ("waivers", "waiver")):
        for entry in as_list(content.get(kind)):
            out[f"{prefix}:{as_mapping(entry).get('ref')}"] = sha256_hex(canonical_json(entry))
    return out


def _evidence_entry(r: EvidenceRecord) -> dict[str, Any]:
    return {
        "ref": r.ref,
        "kind": r.kind,
        "title": r.title,
        "blob_sha256": r.blob_sha256,
        "content_hash": r.content_hash,
        "media_type": r.media_type,
        "size_bytes": r.size_bytes,
        "created_at": r.created_at.isoformat(),
        "created_by": r.created_by,
        "model_version": r.model_version,
        "dataset_version": r.dataset_version,
        "dataset_digest": r.dataset_digest,
        "code_commit": r.code_commit,
        "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        "summary": r.summary,
        "traceable": r.traceable,
    }


def _evaluations(evidence: list[EvidenceRecord]) -> list[dict[str, Any]]:
    """The latest evaluation of each kind, for the packet's summary of findings."""
    evaluations = []
    seen: set[str] = set()
    for r in sorted(evidence, key=lambda r: r.id, reverse=True):
        kind = find_kind(r.kind)
        if kind is None or kind.group != "evaluation" or kind.name in seen:
            continue
        seen.add(kind.name)
        summary = as_mapping(r.summary)
        evaluations.append(
            {
                "ref": r.ref,
                "kind": kind.name,
                "model_version": r.model_version,
                "failed": summary.get("failed"),
                "verdict": summary.get("verdict"),
                "checks": len(as_list(summary.get("verdicts"))),
                "recorded": r.created_at.isoformat(),
            }
        )
    return evaluations


def _packet_evidence(ws: Workspace, system: str, docs: ReviewDocuments) -> list[EvidenceRecord]:
    """Every evidence record the packet rests on: the system's, its training datasets', and the
    datasheets' answers (never another packet)."""
    from assay.governance import get_evidence, list_evidence

    evidence = [r for r in list_evidence(ws, system=system) if r.kind != PACKET_KIND]
    known = {r.ref for r in evidence}
    for ref, sheet in docs.datasheets:
        for r in dataset_evidence(ws, ref):
            if r.ref not in known and r.kind != PACKET_KIND:
                evidence.append(r)
                known.add(r.ref)
        answers = sheet.data.get("sections_record")
        if answers and answers not in known:
            evidence.append(get_evidence(ws, str(answers)))
            known.add(str(answers))
    evidence.sort(key=lambda r: r.id)
    return evidence


def _model_versions(ws: Workspace, system: str) -> list[dict[str, Any]]:
    """The system's model versions, the newest last: what the gate's approval rule reads."""
    from assay.governance import list_model_versions

    return [
        {
            "ref": m.ref,
            "artifact_sha256": m.artifact_sha256,
            "registry_uri": m.registry_uri,
            "code_commit": m.code_commit,
        }
        for m in list_model_versions(ws, system)
    ]


def _review_entry(rev: Review) -> dict[str, Any]:
    return {
        "ref": rev.ref,
        "title": rev.title,
        "status": rev.status,
        "tier": rev.tier,
        "priority": rev.priority,
        "owner": rev.owner,
        "due_date": rev.due_date.isoformat() if rev.due_date else None,
        "opened": rev.created_at.isoformat(),
        "opened_by": rev.created_by,
    }


def _policy_entry(pol: Policy, state: ReviewState) -> dict[str, Any]:
    """The policy's name and what it asks of the review's checkpoint."""
    tier_spec = pol.tiers.get(state.tier)
    point = tier_spec.checkpoints.get(state.checkpoint) if tier_spec is not None else None
    return {
        "name": pol.name,
        "version": pol.version,
        "checkpoint": state.checkpoint,
        "approvers": list(point.approvers) if point is not None else [],
        "minimum_completeness": pol.minimum_completeness,
        "block_on_open_risks": list(state.blocking_ratings),
    }


def build_packet(
    ws: Workspace,
    review: str | int,
    *,
    checkpoint: str | None = None,
    policy: Policy | None = None,
) -> BuiltPacket:
    """Build and freeze the review packet of a review.

    The packet holds the review's state (:func:`assay.documents.review_state`) and the very
    documents that state was computed from, so its figures and its appendices agree.

    Parameters
    ----------
    ws
        The workspace; its user is recorded as the packet's builder.
    review
        The review, ``REV-3`` or ``3``.
    checkpoint
        The policy checkpoint the packet is for; the review's own when None.
    policy
        The policy; the workspace's when None.

    Returns
    -------
    BuiltPacket
        Its sha256 (what an approval signs), the ``review_packet`` evidence record and the content.
    """
    from assay.governance import chain_head, get_review, get_system, record_derived

    pol = policy if policy is not None else ws.policy
    rev = get_review(ws, review)
    # Read as the system's organisation: the packet is its record, and a programme member's
    # wider view (other organisations' evaluations of a shared dataset) must not reach it.
    ws = ws.in_org(get_system(ws, rev.system).org)
    system = rev.system
    state, docs = assess_review(ws, rev.ref, checkpoint=checkpoint, policy=pol)
    evidence = _packet_evidence(ws, system, docs)
    datasets = [ref for ref, _ in docs.datasheets]
    content: dict[str, Any] = {
        "schema": PACKET_SCHEMA,
        "built": {"at": ws.now().isoformat(), "by": ws.user, "chain": _head(chain_head(ws))},
        "review": _review_entry(rev),
        "system": get_system_dict(ws, system),
        "model_versions": _model_versions(ws, system),
        "policy": _policy_entry(pol, state),
        "state": state.to_dict(),
        "evaluations": _evaluations(evidence),
        # a list, not a mapping: canonical JSON sorts keys, and the appendices keep this order
        "documents": [{"name": n, "document": d.to_dict()} for n, d in docs.named()],
        "evidence": [_evidence_entry(r) for r in evidence],
        **_risks_and_waivers(ws, system),
    }
    model = docs.model_card.data.get("model_version")
    record = record_derived(
        ws,
        builder=PACKET_BUILDER,
        kind=PACKET_KIND,
        data=canonical_json(content).encode("utf-8"),
        title=f"Review packet {rev.ref}: {rev.title}",
        media_type="application/json",
        system=system,
        model_version=str(model) if model else None,
        dataset_version=datasets[0] if datasets else None,
        code_commit=_model_commit(ws, system, str(model) if model else None),
        summary={
            "schema": PACKET_SCHEMA,
            "review": rev.ref,
            "checkpoint": state.checkpoint,
            "completeness": state.score,
            **{k: v for k, v in state.summary().items() if k != "score"},
            "items": item_hashes(content),
        },
    )
    return BuiltPacket(record.blob_sha256, record, content)


def _risks_and_waivers(ws: Workspace, system: str) -> dict[str, Any]:
    """The system's risks, and its waivers with their approvals as references."""
    from assay.governance import list_risks, list_waivers

    return {
        "risks": [r.to_dict() for r in list_risks(ws, system=system)],
        "waivers": [
            {k: v for k, v in w.to_dict().items() if k != "approvals"}
            | {"approvals": [a.ref for a in w.approvals]}
            for w in list_waivers(ws, system=system)
        ],
    }


def packet_state(content: Mapping[str, Any]) -> ReviewState:
    """The review state frozen in a packet's content.

    Packets built before the state was frozen whole (``assay.packet/v1``) hold its parts:
    the completeness report, the findings, the risks and the waivers; they are read from those.
    """
    if "state" in content:
        return ReviewState.from_dict(as_mapping(content["state"]))
    comp = as_mapping(content.get("completeness"))
    findings = as_mapping(content.get("findings"))
    review = as_mapping(content.get("review"))
    blocking = {str(x) for x in as_list(findings.get("blocking_risks"))}
    risks = [as_mapping(r) for r in as_list(content.get("risks"))]
    refs = {r.get("id"): str(r.get("ref")) for r in risks}
    open_risks = tuple(
        RiskState.from_dict(
            {
                **r,
                "blocking": r.get("ref") in blocking,
                "waived_by": None,
                "due_date": r.get("due_date"),
            }
        )
        for r in risks
        if r.get("status") in OPEN_RISK_STATUSES
    )
    waivers = tuple(
        WaiverState.from_dict({**w, "risk": refs.get(w.get("risk"))})
        for w in (as_mapping(x) for x in as_list(content.get("waivers")))
    )
    return ReviewState(
        review=str(review.get("ref")),
        title=str(review.get("title") or ""),
        system=str(as_mapping(content.get("system")).get("name")),
        status=str(review.get("status")),
        owner=review.get("owner"),
        due_date=review.get("due_date"),
        completeness=completeness_from_dict({**comp, "review": review.get("ref")}),
        open_risks=open_risks,
        blocking_ratings=tuple(str(r) for r in as_list(findings.get("blocking_ratings"))),
        waivers=waivers,
        approvals=(),
        as_of=str(as_mapping(content.get("built")).get("at") or ""),
    )


def _head(head: tuple[int, str]) -> dict[str, Any]:
    return {"seq": head[0], "hash": head[1]}


def ws_generative(ws: Workspace, system: str) -> bool:
    from assay.governance import get_system

    return get_system(ws, system).generative


def get_system_dict(ws: Workspace, system: str) -> dict[str, Any]:
    from assay.governance import get_system

    return get_system(ws, system).to_dict()


def _model_commit(ws: Workspace, system: str, model: str | None) -> str | None:
    from assay.governance import list_model_versions

    for mv in list_model_versions(ws, system):
        if mv.ref == model:
            return mv.code_commit
    return None


def find_packet(ws: Workspace, ref: str) -> EvidenceRecord:
    """The packet record named by ``EV-12``, a review (``REV-3``: its latest packet) or a sha256
    (or a prefix of at least 8 hex digits)."""
    from assay.governance import get_evidence, list_evidence

    text = ref.strip()
    upper = text.upper()
    if upper.startswith("EV-"):
        record = get_evidence(ws, text)
        if record.kind != PACKET_KIND:
            raise NotFoundError(f"{record.ref} is {record.kind!r} evidence, not a review packet.")
        return record
    packets = list_evidence(ws, kind=PACKET_KIND, include_superseded=True)
    if upper.startswith("REV-") or text.isdigit():
        wanted = upper if upper.startswith("REV-") else f"REV-{text}"
        for r in packets:
            if as_mapping(r.summary).get("review") == wanted:
                return r
        raise NotFoundError(
            f"No packet was built for {wanted}. Build one with `assay packet build {wanted}`."
        )
    digest = text.removeprefix("sha256:").lower()
    if len(digest) >= 8:
        matches = [r for r in packets if r.blob_sha256.startswith(digest)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFoundError(f"{ref!r} matches several packets; give more of the sha256.")
    raise NotFoundError(
        f"No review packet {ref!r}. Name it by its evidence record (EV-12), its review (REV-3) "
        "or its sha256; list them with `assay evidence list --kind review_packet`."
    )


def load_packet(ws: Workspace, ref: str) -> BuiltPacket:
    """Read a built packet, checking that its bytes still hash to its sha256."""
    record = find_packet(ws, ref)
    data = ws.blobs.read_bytes(record.blob_sha256)
    actual = hashlib.sha256(data).hexdigest()
    if actual != record.blob_sha256:
        raise IntegrityError(
            f"The packet {record.ref} was altered: its blob hashes to {actual}, not "
            f"{record.blob_sha256}. Run `assay packet verify {record.ref}` to see what changed."
        )
    return BuiltPacket(record.blob_sha256, record, json.loads(data))


def verify_packet(ws: Workspace, ref: str) -> PacketCheck:
    """Re-check a built packet: its own hash, each item's hash, and every evidence record in it.

    Problems name the item: ``evidence:EV-3``, ``document:model_card``, ``risk:RISK-2``... The
    packet's record keeps the hash of each item, so an altered blob is traced to the item that
    changed; each evidence entry is compared with the store and its blob re-hashed.
    """
    from assay.governance import get_evidence, verify_evidence

    record = find_packet(ws, ref)
    problems: list[str] = []
    try:
        verify_evidence(ws, record.ref)
    except (IntegrityError, NotFoundError) as exc:
        problems.append(f"packet record {record.ref}: {exc}")
    try:
        data = ws.blobs.read_bytes(record.blob_sha256)
    except NotFoundError as exc:
        return PacketCheck(record.blob_sha256, record.ref, 0, (*problems, str(exc)))
    actual = hashlib.sha256(data).hexdigest()
    try:
        content = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        content = None
    if actual != record.blob_sha256:
        problems.append(
            f"packet: the stored bytes hash to {actual}, not the built sha256 {record.blob_sha256}"
        )
    recorded = as_mapping(as_mapping(record.summary).get("items"))
    if not isinstance(content, Mapping):
        problems.append("packet: the stored bytes are no longer JSON")
        return PacketCheck(record.blob_sha256, record.ref, 0, tuple(problems))
    problems += packet_origin_problems(ws, record, content)
    now = item_hashes(content)
    for key, digest in recorded.items():
        if key not in now:
            problems.append(f"{key}: removed from the packet")
        elif now[key] != digest:
            problems.append(f"{key}: changed since the packet was built")
    for key in now:
        if key not in recorded:
            problems.append(f"{key}: added to the packet after it was built")
    checked = 0
    for entry in as_list(content.get("evidence")):
        entry = as_mapping(entry)
        eref = str(entry.get("ref"))
        checked += 1
        try:
            stored = get_evidence(ws, eref)
        except NotFoundError:
            problems.append(f"evidence:{eref}: no longer in the store")
            continue
        if stored.blob_sha256 != entry.get("blob_sha256"):
            problems.append(
                f"evidence:{eref}: the store's blob sha256 {stored.blob_sha256[:12]}… differs from "
                f"the packet's {str(entry.get('blob_sha256'))[:12]}…"
            )
        if stored.content_hash != entry.get("content_hash"):
            problems.append(f"evidence:{eref}: the record's content hash differs from the packet's")
        try:
            verify_evidence(ws, eref)
        except (IntegrityError, NotFoundError) as exc:
            problems.append(f"evidence:{eref}: {exc}")
    return PacketCheck(record.blob_sha256, record.ref, checked + len(recorded), tuple(problems))


def sign_packet(
    ws: Workspace,
    ref: str,
    *,
    decision: str,
    rationale: str,
    conditions: str | None = None,
    acknowledge_incomplete: bool = False,
) -> Approval:
    """Record a decision on the packet's review that signs the packet's sha256.

    The decision goes through the review workflow (:func:`assay.governance.advance_review`), with
    the packet's stored bytes as the signed content, so the approval's ``subject_sha256`` is the
    packet's sha256. The packet is verified first; an altered packet cannot be signed. Approving a
    packet below the policy's completeness minimum needs ``acknowledge_incomplete``, which the
    review's history (and so the audit trail) keeps.
    """
    from assay.governance import advance_review

    packet = load_packet(ws, ref)
    check = verify_packet(ws, packet.record.ref)
    if not check.ok:
        raise IntegrityError(
            f"The packet {packet.record.ref} does not verify, so it cannot be signed: "
            + "; ".join(check.problems[:3])
        )
    review = advance_review(
        ws,
        packet.review,
        decision,
        rationale=rationale,
        conditions=conditions,
        packet=ws.blobs.path(packet.sha256),
        acknowledge_incomplete=acknowledge_incomplete,
    )
    signed = [a for a in review.approvals if a.subject_sha256 == packet.sha256]
    return signed[-1]

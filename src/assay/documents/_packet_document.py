"""A built review packet as a document: the cover, the summary of findings, the open risks, the
waivers, completeness and consistency, the evidence index, the approvals page, and the model card,
datasheets and risk assessment as appendices — all from the packet's frozen content, except the
approvals that sign its sha256."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assay.documents._doc import (
    Badge,
    Block,
    Callout,
    Cell,
    Document,
    Facts,
    Gap,
    Para,
    Section,
    Table,
    document_from_dict,
    sections_of,
)
from assay.documents._gather import hash_cell, short_date
from assay.documents._packet import BuiltPacket, load_packet, packet_state
from assay.policy import meets_minimum
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from assay.documents._review_state import ReviewState
    from assay.governance import Approval, Workspace

__all__ = ["packet_approvals", "packet_document", "render_packet"]


def packet_approvals(ws: Workspace, packet: BuiltPacket) -> list[Approval]:
    """The decisions that sign this packet's sha256 (on its review), oldest first."""
    from assay.governance import list_approvals

    review_id = int(packet.review.split("-")[-1]) if packet.review else -1
    return [
        a
        for a in reversed(list_approvals(ws, subject_type="review"))
        if a.subject_id == review_id and a.subject_sha256 == packet.sha256
    ]


def packet_document(ws: Workspace, ref: str) -> Document:
    """The built packet as a document: cover, findings, risks, waivers, completeness, evidence
    index, approvals page, and the model card, datasheets and risk assessment as appendices.

    Everything comes from the frozen content except the approvals page, which lists the approvals
    recorded since that sign this packet's sha256.
    """
    packet = load_packet(ws, ref)
    return render_packet(packet, packet_approvals(ws, packet))


def _cover(packet: BuiltPacket, state: ReviewState) -> Section:
    c = packet.content
    review = as_mapping(c.get("review"))
    system = as_mapping(c.get("system"))
    policy = as_mapping(c.get("policy"))
    built = as_mapping(c.get("built"))
    owner = str(review.get("owner") or system.get("owner") or "")
    return Section(
        "cover",
        "Cover",
        (
            Facts(
                (
                    ("Review", f"{review.get('ref')}: {review.get('title')}"),
                    ("System", f"{system.get('name')} — {system.get('purpose')}"),
                    ("Risk tier", str(review.get("tier") or system.get("risk_tier"))),
                    ("Checkpoint", str(policy.get("checkpoint"))),
                    ("Review owner", owner or Gap("review owner", None)),
                    ("System owner", str(system.get("owner"))),
                    ("Agreed checkpoint date", review.get("due_date") or Gap("due date", owner)),
                    ("Policy", f"{policy.get('name')} {policy.get('version')}"),
                    ("Built", f"{short_date_iso(built.get('at'))} by {built.get('by')}"),
                    ("Packet record", packet.record.ref),
                    ("Packet sha256", packet.sha256),
                    (
                        "Evidence completeness",
                        Badge(
                            "pass" if state.passes else "fail",
                            f"{state.score}% (minimum {state.minimum_percent}%)",
                        ),
                    ),
                )
            ),
            Para(
                "This packet is frozen: it is the canonical JSON whose sha256 is printed above. "
                "Approvals sign that hash; `assay packet verify "
                f"{packet.record.ref}` re-checks it and every evidence record it lists.",
                muted=True,
            ),
        ),
    )


def render_packet(packet: BuiltPacket, approvals: list[Approval]) -> Document:
    """Lay out a built packet (frozen content plus the approvals that sign it) as a document."""
    c = packet.content
    review = as_mapping(c.get("review"))
    system = as_mapping(c.get("system"))
    policy = as_mapping(c.get("policy"))
    state = packet_state(c)
    built = as_mapping(c.get("built"))
    sections: list[Section] = [
        _cover(packet, state),
        Section(
            "findings",
            "Summary of findings",
            tuple(_finding_blocks(state, c)),
            new_page=False,
        ),
        Section("open-risks", "Open risks", (_risk_table(state),)),
        Section("waivers", "Waivers", (_waiver_table(state),)),
        Section("completeness", "Completeness and consistency", tuple(_completeness_blocks(state))),
        Section(
            "evidence-index",
            "Evidence index",
            (_evidence_index(c),),
            lead="Every evidence record this packet rests on, with the hashes `assay packet "
            "verify EV-N` re-checks (EV-N: this packet's record).",
        ),
        Section(
            "approvals",
            "Approvals",
            tuple(_approval_blocks(policy, approvals, packet.sha256)),
            new_page=True,
        ),
    ]
    letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for entry in (as_mapping(x) for x in as_list(c.get("documents"))):
        name = str(entry.get("name"))
        embedded = document_from_dict(as_mapping(entry.get("document")))
        sections.extend(
            sections_of(embedded, name.replace(":", "-").replace("@", "-"), next(letters))
        )
    return Document(
        kind="review_packet",
        title=f"Review packet: {system.get('name')}",
        eyebrow=f"Responsible AI assurance · Review packet · {review.get('ref')}",
        subtitle=str(review.get("title") or ""),
        meta=(
            ("Review", str(review.get("ref"))),
            ("System", str(system.get("name"))),
            ("Tier", str(review.get("tier"))),
            ("Checkpoint", str(policy.get("checkpoint"))),
            ("Completeness", f"{state.score}%"),
            ("Built", short_date_iso(built.get("at"))),
            ("Packet sha256", hash_cell(packet.sha256)),
            ("Approvals", str(len(approvals))),
        ),
        sections=tuple(sections),
        data={"sha256": packet.sha256, "record": packet.record.ref, "packet": dict(c)},
        footer=f"Review packet {review.get('ref')} · sha256 {packet.sha256[:16]}…",
    )


def short_date_iso(text: Any) -> str:
    import datetime as dt

    try:
        return short_date(dt.datetime.fromisoformat(str(text)))
    except ValueError:
        return str(text)


def _headline(state: ReviewState, evaluations: list[Any]) -> list[str]:
    headline: list[str] = []
    if state.blocking_risks:
        headline.append(
            f"{len(state.blocking_risks)} open risk(s) rated "
            f"{' or '.join(state.blocking_ratings)} without a waiver block "
            f"approval: {', '.join(state.blocking_risks)}."
        )
    if not meets_minimum(state.score, state.completeness.minimum):
        headline.append(
            f"Evidence completeness is {state.score}%, below the policy minimum of "
            f"{state.minimum_percent}% ({len(state.gaps)} gaps)."
        )
    failures = [c.label for c in state.completeness.consistency if not c.ok]
    if failures:
        headline.append("Inconsistent: " + "; ".join(failures) + ".")
    failed_evals = [as_mapping(e) for e in evaluations if as_mapping(e).get("failed")]
    if failed_evals:
        headline.append(
            "Evaluations with failed checks: "
            + ", ".join(f"{e['kind']} ({e['ref']}: {e['failed']} failed)" for e in failed_evals)
            + "."
        )
    return headline


def _evaluations_of(c: Mapping[str, Any]) -> list[Any]:
    if "evaluations" in c:
        return as_list(c.get("evaluations"))
    return as_list(as_mapping(c.get("findings")).get("evaluations"))


def _finding_blocks(state: ReviewState, c: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    evaluations = _evaluations_of(c)
    headline = _headline(state, evaluations)
    if headline:
        blocks.append(Callout("fail", "Not ready to approve as it stands", tuple(headline)))
    else:
        blocks.append(
            Callout(
                "pass",
                "No blocking findings",
                text="Completeness meets the policy minimum, consistency checks pass and no "
                "open risk blocks approval.",
            )
        )
    rows: list[tuple[Cell, ...]] = []
    for e in (as_mapping(x) for x in evaluations):
        failed = e.get("failed")
        outcome: Cell = (
            Badge("fail", f"{failed} of {e.get('checks')} checks failed")
            if failed
            else Badge("pass", f"{e.get('checks')} checks passed")
            if isinstance(failed, int)
            else Badge(str(e.get("verdict")), str(e.get("verdict")))
            if e.get("verdict")
            else "recorded"
        )
        rows.append(
            (
                str(e.get("ref")),
                str(e.get("kind")),
                e.get("model_version"),
                short_date_iso(e.get("recorded")),
                outcome,
            )
        )
    blocks.append(
        Table(
            ("Evidence", "Evaluation", "Model version", "Recorded", "Outcome"),
            tuple(rows),
            caption="Latest evaluation of each kind",
        )
    )
    by_rating: dict[str, int] = {}
    for risk in state.open_risks:
        by_rating[risk.rating] = by_rating.get(risk.rating, 0) + 1
    failures = [ch.label for ch in state.completeness.consistency if not ch.ok]
    blocks.append(
        Facts(
            (
                (
                    "Open risks",
                    ", ".join(f"{n} {k}" for k, n in sorted(by_rating.items())) or "none",
                ),
                ("Blocking risks", ", ".join(state.blocking_risks) or "none"),
                ("Active waivers", str(len(state.active_waivers))),
                ("Gaps", str(len(state.gaps))),
                ("Consistency", "all checks pass" if not failures else "; ".join(failures)),
            )
        )
    )
    return blocks


_NONE = Badge("missing", "none (a gap of the risk assessment)")


def _risk_table(state: ReviewState) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for r in state.open_risks:
        rows.append(
            (
                r.ref,
                r.title,
                Badge(r.rating, r.rating),
                r.mitigations or _NONE,
                r.owner,
                r.due_date or _NONE,
                Badge(r.status, r.status),
                Badge("fail", "blocks")
                if r.blocking
                else (f"waived by {r.waived_by}" if r.waived_by else "no"),
            )
        )
    return Table(
        ("Risk", "Title", "Rating", "Mitigations", "Owner", "Due", "Status", "Blocks approval"),
        tuple(rows),
        caption="Risks open or being mitigated, highest rating first",
        source="the risk register, as frozen in this packet",
    )


def _waiver_table(state: ReviewState) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for w in state.waivers:
        rows.append(
            (
                w.ref,
                w.control,
                w.risk,
                w.rationale,
                w.compensating_controls,
                Badge("approved" if w.active else w.status, "active" if w.active else w.status),
                w.expires_on,
                ", ".join(w.approvals) or None,
            )
        )
    return Table(
        (
            "Waiver",
            "Control",
            "Risk",
            "Rationale",
            "Compensating controls",
            "Status",
            "Expires",
            "Approvals",
        ),
        tuple(rows),
    )


def _completeness_blocks(state: ReviewState) -> list[Block]:
    comp = state.completeness
    blocks: list[Block] = [
        Facts(
            (
                ("Score", f"{state.score}% of required items present"),
                ("Policy minimum", f"{state.minimum_percent}%"),
                ("Tier and checkpoint", f"{state.tier} · {state.checkpoint}"),
                ("Policy", state.policy),
            )
        ),
        Table(
            ("Document", "Present", "Required", "Score"),
            tuple((k, p, n, f"{pct}%") for k, (p, n, pct) in comp.by_document.items()),
            numeric=(1, 2, 3),
            caption="Score per document",
        ),
    ]
    gaps = state.gaps
    blocks.append(
        Table(
            ("Document", "Requirement", "Status", "Owner", "How to fill"),
            tuple(
                (
                    g.document,
                    g.requirement,
                    Badge(g.status, g.status),
                    g.owner or Gap("owner", None),
                    g.fix,
                )
                for g in gaps
            ),
            caption=f"Gaps ({len(gaps)})",
        )
    )
    blocks.append(
        Table(
            ("Check", "Result", "Detail"),
            tuple(
                (
                    ch.label,
                    Badge("pass", "consistent") if ch.ok else Badge("fail", "inconsistent"),
                    ch.detail,
                )
                for ch in comp.consistency
            ),
            caption="Consistency checks",
        )
    )
    return blocks


def _evidence_index(c: Mapping[str, Any]) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for e in as_list(c.get("evidence")):
        e = as_mapping(e)
        rows.append(
            (
                str(e.get("ref")),
                str(e.get("kind")),
                str(e.get("title")),
                short_date_iso(e.get("created_at")),
                e.get("model_version") or e.get("dataset_version"),
                hash_cell(e.get("code_commit")),
                hash_cell(e.get("blob_sha256")),
                hash_cell(e.get("content_hash")),
            )
        )
    return Table(
        ("Ref", "Kind", "Title", "Recorded", "About", "Commit", "Blob sha256", "Record hash"),
        tuple(rows),
    )


def _approval_blocks(
    policy: Mapping[str, Any], approvals: list[Approval], sha256: str
) -> list[Block]:
    blocks: list[Block] = [
        Para(
            "Each approver signs the sha256 of this packet: "
            f"{sha256}. An approval recorded in Assay carries that hash and is listed here.",
        )
    ]
    roles = [str(r) for r in as_list(policy.get("approvers"))]
    signed_rows: list[tuple[Cell, ...]] = [
        (
            a.signer,
            Badge(
                "approved" if a.decision.startswith("approved") else "rejected",
                a.decision.replace("_", " "),
            ),
            short_date(a.signed_at),
            a.rationale,
            a.conditions,
            hash_cell(a.subject_sha256),
        )
        for a in approvals
    ]
    blocks.append(
        Table(
            ("Signer", "Decision", "Signed", "Rationale", "Conditions", "Signs sha256"),
            tuple(signed_rows),
            caption="Approvals recorded for this packet",
        )
    )
    if len(approvals) < len(roles):
        blocks.append(
            Table(
                ("Role required by the policy", "Name", "Decision", "Date", "Signature"),
                tuple((role, "", "", "", "") for role in roles[len(approvals) :]),
                caption="Signatures still required",
                style="signatures",
            )
        )
    return blocks

"""Reviews: intake → triage → evaluation → ready for review → decision, as a transition table.

Every step writes a transition row (the event log KPIs are computed from) and one audit event.
Decisions are signed approvals over the sha256 of the review's packet, built and frozen by
:func:`assay.documents.build_packet` (or over a rendering of it given as a file).

A review is ready for review, and is approved, on its packet: the packet's frozen completeness must
meet the policy's minimum. Below it (or with no packet built) the step is refused unless the user
acknowledges that the packet is incomplete; the acknowledgement and the packet's figures are kept
with the step, so they are in the audit trail, and the KPIs never count such a review as ready.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import InputError, TransitionError
from assay.governance._approvals import Approval, approvals_of, sign
from assay.governance._common import (
    Record,
    check_choice,
    check_date,
    check_text,
    format_ref,
    not_found,
    parse_ref,
    stamps,
    writing,
)
from assay.governance._intake import (
    PRIORITIES,
    Questionnaire,
    check_answers,
    load_questionnaire,
    screen,
)
from assay.governance._inventory import system_row
from assay.governance._owners import check_owner
from assay.governance._risks import current_rating
from assay.governance._scope import orgs_of, readable, scope_clause
from assay.governance._waivers import active_waiver_filter
from assay.policy import (
    ASSESSED_TIERS,
    DEFAULT_CHECKPOINT,
    blocking_ratings,
    blocking_risks,
    check_packet_signer,
    check_round_decision,
)
from assay.store import WriteTx, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "DECISIONS",
    "REVIEW_STATUSES",
    "REVIEW_TRANSITIONS",
    "Review",
    "ReviewTransition",
    "Step",
    "advance_review",
    "get_review",
    "list_reviews",
    "open_review",
    "triage_review",
    "workspace_questionnaire",
]

REVIEW_STATUSES = (
    "intake",
    "triaged",
    "in_evaluation",
    "ready_for_review",
    "approved",
    "approved_with_conditions",
    "rejected",
    "returned_for_rework",
    "withdrawn",
)
DECISIONS = ("approved", "approved_with_conditions", "rejected", "returned_for_rework")
CLOSED = frozenset({"approved", "approved_with_conditions", "rejected", "withdrawn"})


@dataclass(frozen=True, slots=True)
class Step:
    """One allowed transition: who may take it and what it needs."""

    permission: str
    needs: tuple[str, ...] = ()
    signs: bool = False


_ADVANCE = "triage and advance reviews"
_DECIDE = "decide on a review"

REVIEW_TRANSITIONS: dict[tuple[str, str], Step] = {
    ("intake", "triaged"): Step(_ADVANCE),
    ("triaged", "in_evaluation"): Step(_ADVANCE),
    ("in_evaluation", "ready_for_review"): Step(_ADVANCE),
    ("returned_for_rework", "in_evaluation"): Step(_ADVANCE),
    ("ready_for_review", "approved"): Step(_DECIDE, ("rationale",), signs=True),
    ("ready_for_review", "approved_with_conditions"): Step(
        _DECIDE, ("rationale", "conditions"), signs=True
    ),
    ("ready_for_review", "rejected"): Step(_DECIDE, ("rationale",), signs=True),
    ("ready_for_review", "returned_for_rework"): Step(_DECIDE, ("rationale",), signs=True),
    ("intake", "withdrawn"): Step(_ADVANCE, ("note",)),
    ("triaged", "withdrawn"): Step(_ADVANCE, ("note",)),
    ("in_evaluation", "withdrawn"): Step(_ADVANCE, ("note",)),
    ("returned_for_rework", "withdrawn"): Step(_ADVANCE, ("note",)),
}
"""The review workflow. Anything not in this table is refused."""

_RV = tables.reviews.c
_T = tables.review_transitions.c


@dataclass(frozen=True, slots=True)
class ReviewTransition(Record):
    """One step a review took."""

    from_status: str | None
    to_status: str
    at: dt.datetime
    actor: str
    note: str | None
    details: Any


@dataclass(frozen=True, slots=True)
class Review(Record):
    """A review of a system, from intake request to decision."""

    id: int
    ref: str
    system: str
    title: str
    status: str
    questionnaire: str
    answers: Any
    screening: Any
    suggested_tier: str
    suggested_priority: str
    tier: str | None
    priority: str | None
    owner: str | None
    triage_due: dt.date
    due_date: dt.date | None
    checkpoint: str
    """The policy checkpoint the review prepares (``pre-launch`` unless triage named another)."""
    transitions: tuple[ReviewTransition, ...]
    approvals: tuple[Approval, ...]
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str


def workspace_questionnaire(ws: Workspace) -> Questionnaire:
    """The questionnaire this workspace uses (config ``[intake] questionnaire`` or the default)."""
    path = ws.config.questionnaire
    if path is not None and not Path(path).is_absolute():
        path = str(ws.root / path)
    return load_questionnaire(path)


def review_row(conn: Connection, ref: str | int) -> RowMapping:
    """The row of one review; NotFoundError otherwise."""
    id_ = parse_ref("review", ref)
    row = conn.execute(sa.select(tables.reviews).where(_RV.id == id_)).mappings().first()
    if row is None or not readable(conn, tables.reviews, row):
        raise not_found("review", format_ref("review", id_), "List them with `assay review list`.")
    return row


def _record(ws: Workspace, conn: Connection, row: RowMapping) -> Review:
    transitions = tuple(
        ReviewTransition.from_row(r)
        for r in conn.execute(
            sa.select(tables.review_transitions).where(_T.review_id == row["id"]).order_by(_T.id)
        ).mappings()
    )
    sys_row = (
        conn.execute(sa.select(tables.ai_systems).where(tables.ai_systems.c.id == row["system_id"]))
        .mappings()
        .one()
    )
    return Review.from_row(
        row,
        ref=format_ref("review", row["id"]),
        system=sys_row["name"],
        checkpoint=row["checkpoint"] or DEFAULT_CHECKPOINT,
        transitions=transitions,
        approvals=tuple(approvals_of(conn, "review", row["id"])),
    )


def _transition(
    ws: Workspace,
    tx: WriteTx,
    review_id: int,
    frm: str | None,
    to: str,
    note: str | None,
    details: Mapping[str, Any] | None = None,
) -> None:
    tx.insert(
        tables.review_transitions,
        {
            "review_id": review_id,
            "from_status": frm,
            "to_status": to,
            "at": ws.now(),
            "actor": ws.user,
            "note": note,
            "details": dict(details) if details else None,
        },
    )


def open_review(
    ws: Workspace,
    system: str,
    *,
    answers: Mapping[str, Any],
    title: str | None = None,
) -> Review:
    """File an intake request for a review of ``system`` (any role may).

    The answers are checked against the workspace's questionnaire; the screening (suggested
    tier and priority, Article 5 and Annex III flags) and the triage due date are stored with
    the review. The SLA clock starts now.
    """
    qn = workspace_questionnaire(ws)
    clean = check_answers(qn, answers)
    result = screen(qn, clean, intake=ws.today())
    with writing(ws, "open a review", action="review.open", entity_type="review") as tx:
        srow = system_row(tx.conn, system)
        row = tx.insert(
            tables.reviews,
            {
                "system_id": srow["id"],
                "title": check_text(title, what="title", required=False)
                or f"Review of {srow['name']}",
                "status": "intake",
                "questionnaire": qn.ref,
                "answers": clean,
                "suggested_tier": result.tier,
                "suggested_priority": result.priority,
                "screening": result.to_dict(),
                "tier": None,
                "priority": None,
                "owner": None,
                "triage_due": result.triage_due,
                "due_date": None,
                **stamps(ws),
            },
        )
        tx.set_entity("review", row["id"])
        _transition(ws, tx, row["id"], None, "intake", None, {"screening": result.to_dict()})
        return _record(ws, tx.conn, row)


def triage_review(
    ws: Workspace,
    ref: str | int,
    *,
    owner: str,
    tier: str | None = None,
    priority: str | None = None,
    due_date: dt.date | str | None = None,
    note: str | None = None,
    checkpoint: str = DEFAULT_CHECKPOINT,
) -> Review:
    """Scope a review: set its tier, priority, owner, due date (the agreed checkpoint date) and
    the policy checkpoint it prepares.

    Defaults come from the screening. The tier is copied onto the system. A tier other than the
    suggested one needs a ``note`` saying why. The checkpoint must be one the workspace's policy
    defines for the tier (any name passes for a tier the policy does not cover).
    """
    if tier is not None:
        check_choice(tier, ASSESSED_TIERS, what="risk tier")
    if priority is not None:
        check_choice(priority, PRIORITIES, what="priority")
    due = check_date(due_date, what="due date")
    id_ = parse_ref("review", ref)
    with writing(
        ws, _ADVANCE, action="review.triage", entity_type="review", entity_id=id_, note=note
    ) as tx:
        row = review_row(tx.conn, id_)
        rref = format_ref("review", id_)
        if row["status"] != "intake":
            raise TransitionError(f"{rref} is {row['status']}; only a review at intake is triaged.")
        check_owner(
            tx.conn,
            check_text(owner, what="review owner"),
            what="review owner",
            orgs=orgs_of(tx.conn, tables.reviews, row),
        )
        final_tier = tier or row["suggested_tier"]
        if final_tier != row["suggested_tier"] and not check_text(
            note, what="note", required=False
        ):
            raise InputError(
                f"The screening suggests the tier {row['suggested_tier']!r}; say why {rref} "
                f"is {final_tier!r} instead (--note)."
            )
        if final_tier in ws.policy.tiers:
            ws.policy.checkpoint(final_tier, checkpoint)
        final_due = due or check_date(row["screening"]["due_date"], what="due date")
        if final_due is not None and final_due < ws.today():
            raise InputError(f"The due date {final_due} is in the past.")
        new = tx.update(
            tables.reviews,
            id_,
            {
                "status": "triaged",
                "tier": final_tier,
                "priority": priority or row["suggested_priority"],
                "owner": check_text(owner, what="review owner"),
                "due_date": final_due,
                "checkpoint": check_text(checkpoint, what="checkpoint"),
                **stamps(ws, created=False),
            },
        )
        tx.update(
            tables.ai_systems,
            row["system_id"],
            {"risk_tier": final_tier, **stamps(ws, created=False)},
        )
        _transition(ws, tx, id_, "intake", "triaged", note)
        return _record(ws, tx.conn, new)


@dataclass(frozen=True, slots=True)
class _RiskRow:
    id: int
    status: str
    rating: str
    title: str


def blocking_risk_refs(
    ws: Workspace, conn: Connection, system_id: int, tier: str, checkpoint: str
) -> list[str]:
    """The open risks of a system that block ``checkpoint`` of ``tier`` under the workspace's
    policy (:func:`assay.policy.blocking_risks`), as ``RISK-N (title)``."""
    ratings = blocking_ratings(ws.policy, tier, checkpoint)
    r = tables.risks.c
    w = tables.waivers.c
    waived = set(
        conn.execute(
            sa.select(w.risk_id).where(
                w.system_id == system_id, w.risk_id.is_not(None), active_waiver_filter(ws.today())
            )
        ).scalars()
    )
    rows = [
        _RiskRow(x["id"], x["status"], current_rating(x), x["title"])
        for x in conn.execute(sa.select(tables.risks).where(r.system_id == system_id)).mappings()
    ]
    return [
        f"{format_ref('risk', x.id)} ({x.title})" for x in blocking_risks(rows, ratings, waived)
    ]


#: The steps a review takes on its packet: it must meet the policy's completeness minimum, or the
#: user acknowledges that it does not.
READINESS_STEPS = frozenset({"ready_for_review", "approved", "approved_with_conditions"})
_PACKET_KIND = "review_packet"


def review_packets(conn: Connection, review_id: int) -> list[RowMapping]:
    """The packets built for a review (``review_packet`` evidence naming it), newest first."""
    rv = review_row(conn, review_id)
    rref = format_ref("review", review_id)
    e = tables.evidence.c
    rows = conn.execute(
        sa.select(e.id, e.blob_sha256, e.summary)
        .where(e.system_id == rv["system_id"], e.kind == _PACKET_KIND)
        .order_by(e.id.desc())
    ).mappings()
    return [
        r for r in rows if isinstance(r["summary"], Mapping) and r["summary"].get("review") == rref
    ]


def _readiness(conn: Connection, review_id: int, digest: str | None) -> dict[str, Any] | None:
    """The frozen figures of the packet a step is judged on: the one signed (``digest``) when it
    is a packet of the review, else the newest; None when no packet was built."""
    packets = review_packets(conn, review_id)
    chosen = next((p for p in packets if p["blob_sha256"] == digest), None)
    chosen = chosen or (packets[0] if packets else None)
    if chosen is None:
        return None
    summary = chosen["summary"]
    return {
        "packet": format_ref("evidence", chosen["id"]),
        "sha256": chosen["blob_sha256"],
        "score": summary.get("completeness"),
        "minimum_percent": summary.get("minimum_percent"),
        "passes": summary.get("passes") is True,
        "judged": "passes" in summary,
        "meets_minimum": summary.get("meets_minimum") is True,
        "consistent": summary.get("consistent") is True,
        "gaps": summary.get("gaps"),
        "blocking_risks": list(summary.get("blocking_risks") or []),
    }


def _judge_readiness(
    rref: str, to: str, readiness: dict[str, Any] | None, acknowledged: bool, user: str
) -> dict[str, Any]:
    """The readiness kept with a step: the packet's figures, and whether the user acknowledged
    that it is incomplete. Refuses the step when it is incomplete and not acknowledged."""
    if readiness is not None and readiness["passes"]:
        return {**readiness, "acknowledged": False}
    fill = (
        f"Fill the gaps (`assay completeness {rref}` lists them with their owners) and rebuild "
        f"the packet (`assay packet build {rref}`)"
    )
    if readiness is None:
        why = "no packet was built, so its completeness is unknown"
        fill = f"Build the packet (`assay packet build {rref}`)"
    elif not readiness["judged"]:
        why = f"its packet {readiness['packet']} was built without a completeness verdict"
    else:
        shortfalls = []
        if not readiness["meets_minimum"]:
            shortfalls.append(
                f"is {readiness['score']}% complete, below the policy minimum of "
                f"{readiness['minimum_percent']}% ({readiness['gaps']} gaps)"
            )
        if not readiness["consistent"]:
            shortfalls.append("holds documents that contradict each other")
        why = f"its packet {readiness['packet']} " + " and ".join(shortfalls or ["is incomplete"])
    if not acknowledged:
        raise TransitionError(
            f"{rref} cannot move to {to}: {why}. {fill}, or acknowledge that it is incomplete "
            "(--acknowledge-incomplete, or the form's checkbox): the acknowledgement is kept in "
            "the audit trail and the KPIs do not count the review as ready."
        )
    return {
        **(readiness or {"packet": None}),
        "acknowledged": True,
        "acknowledged_by": user,
        "why": why,
    }


def _check_approvable(ws: Workspace, conn: Connection, row: RowMapping, rref: str) -> None:
    """Refuse approving a prohibited practice, or while blocking risks are open."""
    if row["tier"] == "prohibited":
        raise TransitionError(
            f"{rref} screens as an EU AI Act prohibited practice (tier 'prohibited') and "
            "cannot be approved. Re-triage it in a new review if the screening was wrong."
        )
    point = row["checkpoint"] or DEFAULT_CHECKPOINT
    ratings = blocking_ratings(ws.policy, row["tier"], point)
    blocking = blocking_risk_refs(ws, conn, row["system_id"], row["tier"], point)
    if blocking:
        raise TransitionError(
            f"{rref} cannot be approved while risks rated {' or '.join(ratings)} are "
            f"open without an active waiver (policy '{ws.policy.name}'): "
            f"{'; '.join(blocking)}. Mitigate and close them (with evidence), lower their "
            "residual rating, or get a waiver approved for each."
        )


def _check_step(
    ws: Workspace, row: RowMapping, rref: str, to: str, given: Mapping[str, str | None]
) -> Step:
    step = REVIEW_TRANSITIONS.get((row["status"], to))
    if step is None:
        allowed = [t for (f, t) in REVIEW_TRANSITIONS if f == row["status"]]
        raise TransitionError(
            f"{rref} is {row['status']}; it can move to "
            f"{', '.join(allowed) if allowed else 'nothing (it is closed)'}, not {to}."
        )
    if step.signs:
        check_round_decision(ws.user, subject=rref, requester=row["created_by"])
    for need in step.needs:
        if not check_text(given[need], what=need, required=False):
            raise InputError(f"Moving {rref} to {to} needs a {need} (--{need}).")
    return step


def _step_details(
    ws: Workspace,
    tx: WriteTx,
    row: RowMapping,
    to: str,
    step: Step,
    *,
    packet: Path | str | None,
    decision: tuple[str | None, str | None],
    acknowledged: bool,
) -> dict[str, Any]:
    """What a step keeps: the packet's readiness when it moves to ready or approval (refused when
    incomplete and not acknowledged), and for a decision the approval that signs the packet."""
    id_ = row["id"]
    rref = format_ref("review", id_)
    details: dict[str, Any] = {}
    digest = ws.blobs.put_file(Path(packet))[0] if step.signs and packet is not None else None
    readiness = _readiness(tx.conn, id_, digest) if step.signs or to in READINESS_STEPS else None
    if step.signs and readiness is None:
        raise TransitionError(
            f"No packet was built for {rref}, so there is nothing to sign: build it with "
            f"`assay packet build {rref}`, then decide on it."
        )
    if to in READINESS_STEPS:
        details["readiness"] = _judge_readiness(rref, to, readiness, acknowledged, ws.user)
    if to in ("approved", "approved_with_conditions"):
        _check_approvable(ws, tx.conn, row, rref)
    if step.signs:
        assert readiness is not None
        _check_packet_builders(ws, tx.conn, digest or readiness["sha256"])
        rationale, conditions = decision
        approval = sign(
            ws,
            tx,
            subject_type="review",
            subject_id=id_,
            round_=1 + sum(1 for a in approvals_of(tx.conn, "review", id_)),
            decision=to,
            rationale=check_text(rationale, what="rationale") or "",
            conditions=check_text(conditions, what="conditions", required=False),
            content_sha256=digest or readiness["sha256"],
        )
        details |= {
            "approval": approval.ref,
            "packet": readiness["packet"],
            "packet_sha256": approval.subject_sha256,
        }
        if packet is not None:
            details["packet_file"] = Path(packet).name
    return details


def advance_review(
    ws: Workspace,
    ref: str | int,
    to: str,
    *,
    note: str | None = None,
    rationale: str | None = None,
    conditions: str | None = None,
    packet: Path | str | None = None,
    acknowledge_incomplete: bool = False,
) -> Review:
    """Move a review to the status ``to`` along :data:`REVIEW_TRANSITIONS`.

    Parameters
    ----------
    ws
        The workspace.
    ref
        The review (``REV-3`` or ``3``).
    to
        The next status. Decisions (``approved``, ``approved_with_conditions``, ``rejected``,
        ``returned_for_rework``) need the reviewer, approver or admin role and a ``rationale``,
        and record a signed approval of the review's packet.
    note
        Free text kept with the step (required to withdraw).
    rationale, conditions
        The decision's reasons, and its conditions for ``approved_with_conditions``.
    packet
        A file to sign instead of the newest built packet's canonical JSON (a built packet's bytes
        or a rendering of it); stored as a blob so the signature can be checked later.
    acknowledge_incomplete
        Move to ``ready_for_review``, or approve, although the packet is below the policy's
        completeness minimum (or none was built); kept with the step.

    Raises
    ------
    TransitionError
        The step is not in the table; the requester decides (separation of duties); a decision
        without a built packet; ready or approval on a packet below the completeness minimum,
        unacknowledged; approval while a blocking risk has no active waiver, or of a prohibited
        practice.
    """
    check_choice(to, REVIEW_STATUSES, what="review status")
    steps = [s for (_, t), s in REVIEW_TRANSITIONS.items() if t == to]
    if not steps or to == "triaged":
        hint = " Use `assay review triage REV-N --owner NAME`." if to == "triaged" else ""
        raise TransitionError(f"A review cannot be moved to {to} this way.{hint}")
    id_ = parse_ref("review", ref)
    rref = format_ref("review", id_)
    with writing(
        ws,
        steps[0].permission,
        action=f"review.{to}",
        entity_type="review",
        entity_id=id_,
        note=note or rationale,
    ) as tx:
        row = review_row(tx.conn, id_)
        given = {"note": note, "rationale": rationale, "conditions": conditions}
        step = _check_step(ws, row, rref, to, given)
        details = _step_details(
            ws,
            tx,
            row,
            to,
            step,
            packet=packet,
            decision=(rationale, conditions),
            acknowledged=acknowledge_incomplete,
        )
        new = tx.update(tables.reviews, id_, {"status": to, **stamps(ws, created=False)})
        _transition(ws, tx, id_, row["status"], to, note or rationale, details or None)
        return _record(ws, tx.conn, new)


def _check_packet_builders(ws: Workspace, conn: Connection, digest: str) -> None:
    """Refuse to sign a built review packet as the person who built it."""
    e = tables.evidence.c
    built = conn.execute(
        sa.select(e.id, e.created_by).where(e.blob_sha256 == digest, e.kind == _PACKET_KIND)
    ).all()
    for id_, builder in built:
        check_packet_signer(ws.user, packet=format_ref("evidence", id_), built_by=builder)


def get_review(ws: Workspace, ref: str | int) -> Review:
    """One review by ``REV-3`` or ``3``, with its transitions and approvals."""
    with ws.store.read() as conn:
        return _record(ws, conn, review_row(conn, ref))


def list_reviews(
    ws: Workspace,
    *,
    system: str | None = None,
    status: str | None = None,
    open_only: bool = False,
) -> list[Review]:
    """Reviews, oldest first."""
    q = sa.select(tables.reviews).order_by(_RV.id)
    with ws.store.read() as conn:
        if system is not None:
            q = q.where(_RV.system_id == system_row(conn, system)["id"])
        if status is not None:
            q = q.where(_RV.status == check_choice(status, REVIEW_STATUSES, what="review status"))
        if open_only:
            q = q.where(_RV.status.not_in(tuple(CLOSED)))
        q = q.where(scope_clause(conn, tables.reviews))
        return [_record(ws, conn, r) for r in list(conn.execute(q).mappings())]

"""Reviews: intake → triage → evaluation → ready for review → decision, as a transition table.

Every step writes a transition row (the event log KPIs are computed from) and one audit event.
Decisions are signed approvals over the sha256 of the review packet: the canonical JSON of the
system, its model versions, current evidence, risks and active waivers at the moment of decision.
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
from assay.governance._risks import current_rating
from assay.governance._waivers import active_waiver_filter
from assay.policy import (
    ASSESSED_TIERS,
    DEFAULT_CHECKPOINT,
    blocking_ratings,
    blocking_risks,
    check_packet_signer,
    check_round_decision,
)
from assay.store import WriteTx, tables, to_jsonable

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
    "review_packet",
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
    completeness: Any
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
    if row is None:
        raise not_found("review", format_ref("review", id_), "List them with `assay review list`.")
    return row


def completeness(
    conn: Connection, qn: Questionnaire, system: RowMapping, tier: str | None, today: dt.date
) -> dict[str, Any]:
    """Which required fields and evidence kinds a packet has, for the system's tier."""
    present: list[str] = []
    missing: list[str] = []
    for name in qn.required_fields:
        (present if system.get(name) not in (None, "") else missing).append(f"field:{name}")
    e = tables.evidence.c
    newer = tables.evidence.alias("newer")
    kinds = set(
        conn.execute(
            sa.select(e.kind)
            .where(
                e.system_id == system["id"],
                sa.or_(e.valid_until.is_(None), e.valid_until >= today),
                ~sa.exists().where(newer.c.supersedes_id == e.id),
            )
            .distinct()
        ).scalars()
    )
    for kind in qn.required_evidence.get(tier or "unassessed", ()):
        (present if kind in kinds else missing).append(f"evidence:{kind}")
    total = len(present) + len(missing)
    return {
        "percent": round(100.0 * len(present) / total, 2) if total else 100.0,
        "present": present,
        "missing": missing,
    }


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
    if row["status"] in CLOSED:
        ready = [t for t in transitions if t.to_status == "ready_for_review"]
        complete = ready[-1].details.get("completeness") if ready and ready[-1].details else None
    else:
        complete = completeness(conn, workspace_questionnaire(ws), sys_row, row["tier"], ws.today())
    return Review.from_row(
        row,
        ref=format_ref("review", row["id"]),
        system=sys_row["name"],
        checkpoint=row["checkpoint"] or DEFAULT_CHECKPOINT,
        completeness=complete,
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


def review_packet(ws: Workspace, ref: str | int) -> dict[str, Any]:
    """The review packet as data: what a decision signs (its canonical JSON sha256)."""
    with ws.store.read() as conn:
        return _packet(ws, conn, review_row(conn, ref))


def _packet(ws: Workspace, conn: Connection, row: RowMapping) -> dict[str, Any]:
    sys_row = (
        conn.execute(sa.select(tables.ai_systems).where(tables.ai_systems.c.id == row["system_id"]))
        .mappings()
        .one()
    )
    sid = sys_row["id"]
    m = tables.model_versions.c
    e = tables.evidence.c
    r = tables.risks.c
    newer = tables.evidence.alias("newer")
    models = [
        {
            "id": x["id"],
            "ref": f"{x['name']}@{x['version']}",
            "artifact_sha256": x["artifact_sha256"],
            "registry_uri": x["registry_uri"],
            "code_commit": x["code_commit"],
        }
        for x in conn.execute(
            sa.select(tables.model_versions).where(m.system_id == sid).order_by(m.id)
        ).mappings()
    ]
    evidence = [
        {
            "ref": format_ref("evidence", x["id"]),
            "kind": x["kind"],
            "title": x["title"],
            "blob_sha256": x["blob_sha256"],
            "content_hash": x["content_hash"],
            "model_version_id": x["model_version_id"],
            "dataset_digest": x["dataset_digest"],
            "code_commit": x["code_commit"],
            "summary": x["summary"],
            "valid_until": to_jsonable(x["valid_until"]),
        }
        for x in conn.execute(
            sa.select(tables.evidence)
            .where(e.system_id == sid, ~sa.exists().where(newer.c.supersedes_id == e.id))
            .order_by(e.id)
        ).mappings()
    ]
    risks = [
        {
            "ref": format_ref("risk", x["id"]),
            "title": x["title"],
            "category": f"{x['taxonomy']}:{x['category']}",
            "status": x["status"],
            "rating": current_rating(x),
            "owner": x["owner"],
            "due_date": to_jsonable(x["due_date"]),
        }
        for x in conn.execute(
            sa.select(tables.risks).where(r.system_id == sid).order_by(r.id)
        ).mappings()
    ]
    w = tables.waivers.c
    waivers = [
        {
            "ref": format_ref("waiver", x["id"]),
            "control": x["control"],
            "risk": x["risk_id"],
            "expires_on": to_jsonable(x["expires_on"]),
        }
        for x in conn.execute(
            sa.select(tables.waivers)
            .where(w.system_id == sid, active_waiver_filter(ws.today()))
            .order_by(w.id)
        ).mappings()
    ]
    system = {
        k: to_jsonable(sys_row[k])
        for k in (
            "name",
            "purpose",
            "intended_use",
            "out_of_scope_use",
            "deployment_context",
            "owner",
            "risk_tier",
            "lifecycle_status",
            "generative",
        )
    }
    return {
        "schema": "assay.review-packet/v1",
        "review": {
            "ref": format_ref("review", row["id"]),
            "title": row["title"],
            "tier": row["tier"],
            "priority": row["priority"],
            "owner": row["owner"],
            "due_date": to_jsonable(row["due_date"]),
            "questionnaire": row["questionnaire"],
            "answers": row["answers"],
        },
        "system": system,
        "model_versions": models,
        "evidence": evidence,
        "risks": risks,
        "active_waivers": waivers,
    }


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


def advance_review(
    ws: Workspace,
    ref: str | int,
    to: str,
    *,
    note: str | None = None,
    rationale: str | None = None,
    conditions: str | None = None,
    packet: Path | str | None = None,
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
        and record a signed approval.
    note
        Free text kept with the step (required to withdraw).
    rationale, conditions
        The decision's reasons, and its conditions for ``approved_with_conditions``.
    packet
        A rendered packet file (PDF, HTML) to sign instead of the packet data; it is stored as a
        blob so the signature can be checked later.

    Raises
    ------
    TransitionError
        The step is not in the table; or the review's requester tries to decide on it
        (separation of duties); or approving while an open critical risk has no active waiver;
        or approving a system screened as a prohibited practice.
    """
    check_choice(to, REVIEW_STATUSES, what="review status")
    steps = [s for (_, t), s in REVIEW_TRANSITIONS.items() if t == to]
    if not steps or to == "triaged":
        hint = " Use `assay review triage REV-N --owner NAME`." if to == "triaged" else ""
        raise TransitionError(f"A review cannot be moved to {to} this way.{hint}")
    permission = steps[0].permission
    id_ = parse_ref("review", ref)
    rref = format_ref("review", id_)
    with writing(
        ws,
        permission,
        action=f"review.{to}",
        entity_type="review",
        entity_id=id_,
        note=note or rationale,
    ) as tx:
        row = review_row(tx.conn, id_)
        step = REVIEW_TRANSITIONS.get((row["status"], to))
        if step is None:
            allowed = [t for (f, t) in REVIEW_TRANSITIONS if f == row["status"]]
            raise TransitionError(
                f"{rref} is {row['status']}; it can move to "
                f"{', '.join(allowed) if allowed else 'nothing (it is closed)'}, not {to}."
            )
        if step.signs:
            check_round_decision(ws.user, subject=rref, requester=row["created_by"])
        given = {"note": note, "rationale": rationale, "conditions": conditions}
        for need in step.needs:
            if not check_text(given[need], what=need, required=False):
                raise InputError(f"Moving {rref} to {to} needs a {need} (--{need}).")
        details: dict[str, Any] = {}
        if to == "ready_for_review":
            srow = (
                tx.conn.execute(
                    sa.select(tables.ai_systems).where(tables.ai_systems.c.id == row["system_id"])
                )
                .mappings()
                .one()
            )
            details["completeness"] = completeness(
                tx.conn, workspace_questionnaire(ws), srow, row["tier"], ws.today()
            )
        if to in ("approved", "approved_with_conditions"):
            if row["tier"] == "prohibited":
                raise TransitionError(
                    f"{rref} screens as an EU AI Act prohibited practice (tier 'prohibited') and "
                    "cannot be approved. Re-triage it in a new review if the screening was wrong."
                )
            point = row["checkpoint"] or DEFAULT_CHECKPOINT
            ratings = blocking_ratings(ws.policy, row["tier"], point)
            blocking = blocking_risk_refs(ws, tx.conn, row["system_id"], row["tier"], point)
            if blocking:
                raise TransitionError(
                    f"{rref} cannot be approved while risks rated {' or '.join(ratings)} are "
                    f"open without an active waiver (policy '{ws.policy.name}'): "
                    f"{'; '.join(blocking)}. Mitigate and close them (with evidence), lower their "
                    "residual rating, or get a waiver approved for each."
                )
        if step.signs:
            content: Any = None
            digest = None
            if packet is not None:
                digest, _ = ws.blobs.put_file(Path(packet))
                details["packet_file"] = Path(packet).name
                _check_packet_builders(ws, tx.conn, digest)
            else:
                content = _packet(ws, tx.conn, row)
            approval = sign(
                ws,
                tx,
                subject_type="review",
                subject_id=id_,
                round_=1 + sum(1 for a in approvals_of(tx.conn, "review", id_)),
                decision=to,
                rationale=check_text(rationale, what="rationale") or "",
                conditions=check_text(conditions, what="conditions", required=False),
                content=content,
                content_sha256=digest,
            )
            details["approval"] = approval.ref
            details["packet_sha256"] = approval.subject_sha256
        new = tx.update(tables.reviews, id_, {"status": to, **stamps(ws, created=False)})
        _transition(ws, tx, id_, row["status"], to, note or rationale, details or None)
        return _record(ws, tx.conn, new)


def _check_packet_builders(ws: Workspace, conn: Connection, digest: str) -> None:
    """Refuse to sign a built review packet as the person who built it."""
    e = tables.evidence.c
    built = conn.execute(
        sa.select(e.id, e.created_by).where(e.blob_sha256 == digest, e.kind == "review_packet")
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
        return [_record(ws, conn, r) for r in list(conn.execute(q).mappings())]

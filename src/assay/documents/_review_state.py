"""The state of one review, computed once: the figures every place that shows a review renders.

:func:`review_state` works out, for one review and its tier's checkpoint of the policy:

- completeness: every required item, present or a gap with its owner
  (:mod:`assay.documents._completeness`, owners by :mod:`assay.documents._owners`), the score and
  whether it meets the policy's minimum (:func:`assay.policy.meets_minimum`);
- the open risks and which of them block the checkpoint (:func:`assay.policy.blocking_risks`);
- the waivers of the system, and which are active;
- the signed decisions on the review.

The packet freezes this object (``state`` in its canonical JSON); the datasheet, model card and
risk assessment inside the packet are the very documents it was computed from. ``assay
completeness``, the review page, ``/api/reviews/REF``, the dashboard, the gate's completeness
rule and the KPIs show this object, or its frozen copy in the packet, and compute nothing of their
own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.documents._completeness import CheckItem, CompletenessReport, ConsistencyCheck
from assay.documents._review_documents import ReviewDocuments, build_review_documents
from assay.policy import blocking_ratings, blocking_risks, meets_minimum, minimum_percent
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from assay.governance import Approval, Risk, Waiver, Workspace
    from assay.policy import Policy

__all__ = [
    "REVIEW_STATE_SCHEMA",
    "ApprovalState",
    "ReviewState",
    "RiskState",
    "WaiverState",
    "assess_review",
    "review_state",
]

REVIEW_STATE_SCHEMA = "assay.review-state/v1"


@dataclass(frozen=True)
class RiskState:
    """An open risk of the reviewed system, and whether it blocks the checkpoint."""

    ref: str
    title: str
    rating: str
    status: str
    owner: str
    mitigations: str | None
    due_date: str | None
    blocking: bool
    waived_by: str | None
    """The active waiver that covers it, if any."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskState:
        return cls(
            ref=str(data.get("ref")),
            title=str(data.get("title")),
            rating=str(data.get("rating")),
            status=str(data.get("status")),
            owner=str(data.get("owner")),
            mitigations=_text(data.get("mitigations")),
            due_date=_text(data.get("due_date")),
            blocking=bool(data.get("blocking")),
            waived_by=_text(data.get("waived_by")),
        )


@dataclass(frozen=True)
class WaiverState:
    """A waiver of the reviewed system; ``active`` as of the state's day."""

    ref: str
    control: str
    risk: str | None
    status: str
    active: bool
    expires_on: str | None
    rationale: str
    compensating_controls: str
    approvals: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "approvals": list(self.approvals)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaiverState:
        return cls(
            ref=str(data.get("ref")),
            control=str(data.get("control")),
            risk=_text(data.get("risk")),
            status=str(data.get("status")),
            active=bool(data.get("active")),
            expires_on=_text(data.get("expires_on")),
            rationale=str(data.get("rationale") or ""),
            compensating_controls=str(data.get("compensating_controls") or ""),
            approvals=tuple(str(a) for a in as_list(data.get("approvals"))),
        )


@dataclass(frozen=True)
class ApprovalState:
    """A signed decision on the review."""

    ref: str
    decision: str
    signer: str
    signed_at: str
    subject_sha256: str
    rationale: str
    conditions: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalState:
        return cls(
            ref=str(data.get("ref")),
            decision=str(data.get("decision")),
            signer=str(data.get("signer")),
            signed_at=str(data.get("signed_at")),
            subject_sha256=str(data.get("subject_sha256")),
            rationale=str(data.get("rationale") or ""),
            conditions=_text(data.get("conditions")),
        )


@dataclass(frozen=True)
class ReviewState:
    """Completeness, gaps with owners, open and blocking risks, waivers and approvals of one
    review, for one checkpoint of its tier (see the module docstring)."""

    review: str
    title: str
    system: str
    status: str
    owner: str | None
    due_date: str | None
    completeness: CompletenessReport
    open_risks: tuple[RiskState, ...]
    blocking_ratings: tuple[str, ...]
    waivers: tuple[WaiverState, ...]
    approvals: tuple[ApprovalState, ...]
    as_of: str
    """When it was computed (ISO 8601, UTC)."""

    @property
    def tier(self) -> str:
        return self.completeness.tier

    @property
    def checkpoint(self) -> str:
        return self.completeness.checkpoint

    @property
    def policy(self) -> str:
        return self.completeness.policy

    @property
    def score(self) -> float:
        """Percent of required items present, one decimal."""
        return self.completeness.score

    @property
    def minimum_percent(self) -> float:
        return minimum_percent(self.completeness.minimum)

    @property
    def passes(self) -> bool:
        """The score meets the policy's minimum and the documents agree with each other."""
        return self.completeness.passes

    @property
    def gaps(self) -> list[CheckItem]:
        return self.completeness.gaps

    @property
    def blocking_risks(self) -> tuple[str, ...]:
        """The open risks that block the checkpoint (rated as the policy says, not waived)."""
        return tuple(r.ref for r in self.open_risks if r.blocking)

    @property
    def active_waivers(self) -> tuple[WaiverState, ...]:
        return tuple(w for w in self.waivers if w.active)

    def summary(self) -> dict[str, Any]:
        """The figures a review's workflow and KPIs keep: score, minimum, whether it passes (meets
        the minimum, consistent), the number of gaps and the blocking risks."""
        return {
            "score": self.score,
            "minimum_percent": self.minimum_percent,
            "passes": self.passes,
            "meets_minimum": meets_minimum(self.score, self.completeness.minimum),
            "consistent": self.completeness.consistent,
            "gaps": len(self.gaps),
            "blocking_risks": list(self.blocking_risks),
        }

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON (schema ``assay.review-state/v1``); ``from_dict`` reads it back."""
        comp = self.completeness.to_dict()
        comp.pop("schema", None)
        return {
            "schema": REVIEW_STATE_SCHEMA,
            "title": self.title,
            "status": self.status,
            "owner": self.owner,
            "due_date": self.due_date,
            "as_of": self.as_of,
            "minimum": self.completeness.minimum,
            **comp,
            "review": self.review,
            "consistent": self.completeness.consistent,
            "open_risks": [r.to_dict() for r in self.open_risks],
            "blocking_ratings": list(self.blocking_ratings),
            "blocking_risks": list(self.blocking_risks),
            "waivers": [w.to_dict() for w in self.waivers],
            "active_waivers": len(self.active_waivers),
            "approvals": [a.to_dict() for a in self.approvals],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewState:
        """Read a state written by :meth:`to_dict` (a packet's frozen copy)."""
        return cls(
            review=str(data.get("review")),
            title=str(data.get("title") or ""),
            system=str(data.get("system")),
            status=str(data.get("status")),
            owner=data.get("owner"),
            due_date=data.get("due_date"),
            completeness=completeness_from_dict(data),
            open_risks=tuple(
                RiskState.from_dict(as_mapping(r)) for r in as_list(data.get("open_risks"))
            ),
            blocking_ratings=tuple(str(r) for r in as_list(data.get("blocking_ratings"))),
            waivers=tuple(
                WaiverState.from_dict(as_mapping(w)) for w in as_list(data.get("waivers"))
            ),
            approvals=tuple(
                ApprovalState.from_dict(as_mapping(a)) for a in as_list(data.get("approvals"))
            ),
            as_of=str(data.get("as_of") or ""),
        )


def completeness_from_dict(data: Mapping[str, Any]) -> CompletenessReport:
    """A completeness report from its JSON (:meth:`CompletenessReport.to_dict`, or a state's)."""
    minimum = data.get("minimum")
    if not isinstance(minimum, int | float):
        minimum = float(data.get("minimum_percent") or 0.0) / 100.0
    return CompletenessReport(
        system=str(data.get("system")),
        review=data.get("review"),
        tier=str(data.get("tier")),
        checkpoint=str(data.get("checkpoint")),
        policy=str(data.get("policy")),
        minimum=float(minimum),
        items=tuple(_item(as_mapping(i)) for i in as_list(data.get("items"))),
        consistency=tuple(
            ConsistencyCheck(
                key=str(c.get("key")),
                label=str(c.get("label")),
                ok=bool(c.get("ok")),
                detail=str(c.get("detail") or ""),
                owner=_text(c.get("owner")),
            )
            for c in (as_mapping(x) for x in as_list(data.get("consistency")))
        ),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _item(data: Mapping[str, Any]) -> CheckItem:
    return CheckItem(
        document=str(data.get("document")),
        requirement=str(data.get("requirement")),
        status=str(data.get("status")),
        owner=_text(data.get("owner")),
        fix=str(data.get("fix") or ""),
        evidence=_text(data.get("evidence")),
    )


def review_state(
    ws: Workspace,
    review: str | int,
    *,
    checkpoint: str | None = None,
    policy: Policy | None = None,
) -> ReviewState:
    """The state of a review now: completeness with gaps and owners, open and blocking risks,
    waivers and approvals.

    Parameters
    ----------
    ws
        The workspace.
    review
        The review, ``REV-3`` or ``3``.
    checkpoint
        The policy checkpoint; the review's own (set at triage, ``pre-launch`` by default) when
        None.
    policy
        The policy; the workspace's when None.

    Returns
    -------
    ReviewState
        Frozen; ``to_dict()`` is what ``assay completeness --json`` prints and a packet freezes.
    """
    return assess_review(ws, review, checkpoint=checkpoint, policy=policy)[0]


def assess_review(
    ws: Workspace,
    review: str | int,
    *,
    checkpoint: str | None = None,
    policy: Policy | None = None,
) -> tuple[ReviewState, ReviewDocuments]:
    """The review's state and the documents it was computed from (what a packet embeds)."""
    from assay.documents._completeness import system_completeness
    from assay.governance import get_review, get_system, list_risks, list_waivers

    pol = policy if policy is not None else ws.policy
    rev = get_review(ws, review)
    point = checkpoint or rev.checkpoint
    tier = rev.tier or get_system(ws, rev.system).risk_tier
    defined = tier in pol.tiers and point in pol.tiers[tier].checkpoints
    documents = build_review_documents(ws, rev.system, tier=tier, checkpoint=point, policy=pol)
    report = system_completeness(
        ws,
        rev.system,
        tier=tier,
        checkpoint=point,
        policy=pol,
        review=rev.ref,
        documents=documents if defined else None,
    )
    ratings = blocking_ratings(pol, tier, point) if defined else ()
    waivers = list_waivers(ws, system=rev.system)
    risks = list_risks(ws, system=rev.system)
    refs = {r.id: r.ref for r in risks}
    state = ReviewState(
        review=rev.ref,
        title=rev.title,
        system=rev.system,
        status=rev.status,
        owner=rev.owner,
        due_date=rev.due_date.isoformat() if rev.due_date else None,
        completeness=report,
        open_risks=_open_risks([r for r in risks if r.is_open], ratings, waivers),
        blocking_ratings=ratings,
        waivers=tuple(_waiver_state(w, refs) for w in waivers),
        approvals=tuple(_approval_state(a) for a in rev.approvals),
        as_of=ws.now().isoformat(),
    )
    return state, documents


def _open_risks(
    risks: list[Risk], ratings: tuple[str, ...], waivers: list[Waiver]
) -> tuple[RiskState, ...]:
    cover = {w.risk: w.ref for w in waivers if w.active and w.risk is not None}
    blocking = {r.id for r in blocking_risks(risks, ratings, set(cover))}
    return tuple(
        RiskState(
            ref=r.ref,
            title=r.title,
            rating=r.rating,
            status=r.status,
            owner=r.owner,
            mitigations=r.mitigations,
            due_date=r.due_date.isoformat() if r.due_date else None,
            blocking=r.id in blocking,
            waived_by=cover.get(r.id),
        )
        for r in risks
    )


def _waiver_state(w: Waiver, risk_refs: Mapping[int, str]) -> WaiverState:
    return WaiverState(
        ref=w.ref,
        control=w.control,
        risk=risk_refs.get(w.risk) if w.risk is not None else None,
        status=w.status,
        active=w.active,
        expires_on=w.expires_on.isoformat() if w.expires_on else None,
        rationale=w.rationale,
        compensating_controls=w.compensating_controls,
        approvals=tuple(a.ref for a in w.approvals),
    )


def _approval_state(a: Approval) -> ApprovalState:
    return ApprovalState(
        ref=a.ref,
        decision=a.decision,
        signer=a.signer,
        signed_at=a.signed_at.isoformat(),
        subject_sha256=a.subject_sha256,
        rationale=a.rationale,
        conditions=a.conditions,
    )

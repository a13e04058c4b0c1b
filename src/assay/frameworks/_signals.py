"""Signals: what Assay can check about one AI system, read from the governance records.

Every signal the crosswalk may name has a detector here. A detector looks at a
:class:`SystemFacts` snapshot (read once through :mod:`assay.governance`) and returns a
:class:`SignalState`: present, stale or absent, with the records that show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assay import governance as g
from assay.policy import (
    EVALUATION_KINDS,
    EVIDENCE_KINDS,
    evidence_age_days,
    evidence_is_fresh,
    stored_kinds,
)

if TYPE_CHECKING:
    from assay.policy import Policy

__all__ = [
    "SIGNAL_IDS",
    "SignalState",
    "SystemFacts",
    "detect_signals",
    "gather_facts",
]

"""Evidence kinds that are evaluation results (the rest are documents)."""

_SIGNED_DECISIONS = ("approved", "approved_with_conditions", "rejected")


@dataclass(frozen=True, slots=True)
class SignalState:
    """Whether a signal holds for a system: ``present``, ``stale`` or ``absent``."""

    signal: str
    status: str
    detail: str
    records: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        """Only ``present`` counts towards coverage; stale evidence does not."""
        return self.status == "present"

    def to_dict(self) -> dict[str, object]:
        """A JSON-serialisable view."""
        return {
            "signal": self.signal,
            "status": self.status,
            "detail": self.detail,
            "records": list(self.records),
        }


@dataclass(frozen=True, slots=True)
class SystemFacts:
    """Everything the detectors look at, read once from the store."""

    system: g.System
    models: tuple[g.ModelVersion, ...]
    datasets: tuple[g.DatasetVersion, ...]
    evidence: tuple[g.EvidenceRecord, ...]
    risks: tuple[g.Risk, ...]
    actions: tuple[g.Action, ...]
    reviews: tuple[g.Review, ...]
    components: tuple[g.Component, ...]
    max_age_days: dict[str, int]
    now: dt.datetime

    @property
    def latest_model(self) -> g.ModelVersion | None:
        """The most recently registered model version."""
        return self.models[-1] if self.models else None


def _max_ages(policy: Policy | None, tier: str) -> dict[str, int]:
    """Per evidence kind, the strictest ``max_age_days`` any checkpoint of the tier sets."""
    if policy is None or tier not in policy.tiers:
        return {}
    ages: dict[str, int] = {}
    for point in policy.tiers[tier].checkpoints.values():
        for req in point.evidence:
            if req.max_age_days is not None:
                ages[req.kind] = min(ages.get(req.kind, req.max_age_days), req.max_age_days)
    return ages


def gather_facts(ws: g.Workspace, system: str, *, policy: Policy | None = None) -> SystemFacts:
    """Read what the detectors need about ``system`` through the governance API."""
    sys = g.get_system(ws, system)
    overview = g.show_system(ws, system)
    risks = tuple(g.list_risks(ws, system=system))
    risk_ids = {r.id for r in risks}
    actions = tuple(a for a in g.list_actions(ws) if a.risk in risk_ids)
    return SystemFacts(
        system=sys,
        models=overview.model_versions,
        datasets=overview.dataset_versions,
        evidence=tuple(g.list_evidence(ws, system=system)),
        risks=risks,
        actions=actions,
        reviews=tuple(g.list_reviews(ws, system=system)),
        components=overview.components,
        max_age_days=_max_ages(policy, sys.risk_tier),
        now=ws.now(),
    )


def _current(facts: SystemFacts, kind: str) -> list[g.EvidenceRecord]:
    """Evidence of ``kind`` that is not superseded and not past its valid_until, newest first."""
    today = facts.now.date()
    return [
        e
        for e in facts.evidence
        if e.kind in stored_kinds(kind)
        and e.superseded_by is None
        and (e.valid_until is None or e.valid_until >= today)
    ]


def _evidence_detector(kind: str) -> Callable[[SystemFacts], SignalState]:
    def detect(facts: SystemFacts) -> SignalState:
        sid = f"evidence.{kind}"
        records = _current(facts, kind)
        if not records:
            return SignalState(sid, "absent", f"no current {kind} evidence")
        newest = records[0]
        limit = facts.max_age_days.get(kind)
        age = evidence_age_days(newest, facts.now.date())
        when = newest.created_at.date().isoformat()
        if not evidence_is_fresh(newest, limit, facts.now.date()):
            return SignalState(
                sid,
                "stale",
                f"{newest.ref} is {age} days old; the policy allows {limit} for the "
                f"{facts.system.risk_tier} tier",
                (newest.ref,),
            )
        return SignalState(sid, "present", f"{newest.ref} ({when})", (newest.ref,))

    return detect


def _field(name: str, label: str) -> Callable[[SystemFacts], SignalState]:
    def detect(facts: SystemFacts) -> SignalState:
        value = getattr(facts.system, name)
        if value:
            short = value if len(value) <= 60 else value[:57] + "..."
            return SignalState(f"system.{name}", "present", short)
        return SignalState(f"system.{name}", "absent", f"no {label} recorded")

    return detect


def _inventory(facts: SystemFacts) -> SignalState:
    return SignalState(
        "system.inventory", "present", f"{facts.system.name}, owner {facts.system.owner}"
    )


def _risk_tier(facts: SystemFacts) -> SignalState:
    tier = facts.system.risk_tier
    if tier == "unassessed":
        return SignalState("system.risk_tier", "absent", "risk tier is 'unassessed'")
    return SignalState("system.risk_tier", "present", f"tier {tier}")


def _model_registered(facts: SystemFacts) -> SignalState:
    m = facts.latest_model
    if m is None:
        return SignalState("model.registered", "absent", "no model version registered")
    return SignalState("model.registered", "present", m.ref, (m.ref,))


def _model_attr(attr: str, sid: str, what: str) -> Callable[[SystemFacts], SignalState]:
    def detect(facts: SystemFacts) -> SignalState:
        m = facts.latest_model
        if m is None:
            return SignalState(sid, "absent", "no model version registered")
        value = getattr(m, attr)
        if not value:
            return SignalState(sid, "absent", f"{m.ref} has no {what}", (m.ref,))
        return SignalState(sid, "present", f"{m.ref}: {str(value)[:12]}", (m.ref,))

    return detect


def _training_data(facts: SystemFacts) -> SignalState:
    m = facts.latest_model
    if m is None:
        return SignalState("data.training_datasets", "absent", "no model version registered")
    if not m.training_datasets:
        return SignalState(
            "data.training_datasets", "absent", f"{m.ref} names no training dataset", (m.ref,)
        )
    return SignalState(
        "data.training_datasets", "present", ", ".join(m.training_datasets), m.training_datasets
    )


def _risk_register(facts: SystemFacts) -> SignalState:
    if not facts.risks:
        return SignalState("risk.register", "absent", "no risk in the register")
    refs = tuple(r.ref for r in facts.risks)
    return SignalState("risk.register", "present", f"{len(refs)} risk(s)", refs)


def _risk_treatment(facts: SystemFacts) -> SignalState:
    open_risks = [r for r in facts.risks if r.is_open]
    if not facts.risks:
        return SignalState("risk.treatment", "absent", "no risk in the register")
    with_action = {a.risk for a in facts.actions if a.status != "cancelled"}
    untreated = [r.ref for r in open_risks if not r.mitigations and r.id not in with_action]
    if untreated:
        return SignalState(
            "risk.treatment",
            "absent",
            f"no mitigation or action for {', '.join(untreated)}",
            tuple(untreated),
        )
    return SignalState(
        "risk.treatment",
        "present",
        f"{len(open_risks)} open risk(s), each with mitigations or an action",
        tuple(r.ref for r in open_risks),
    )


def _risk_residual(facts: SystemFacts) -> SignalState:
    assessed = [r.ref for r in facts.risks if r.residual_likelihood is not None]
    if not assessed:
        return SignalState("risk.residual", "absent", "no residual assessment on any risk")
    return SignalState(
        "risk.residual", "present", f"residual rated on {', '.join(assessed)}", tuple(assessed)
    )


def _risk_actions(facts: SystemFacts) -> SignalState:
    actions = [a.ref for a in facts.actions if a.status != "cancelled"]
    if not actions:
        return SignalState("risk.actions", "absent", "no remediation action")
    return SignalState("risk.actions", "present", f"{len(actions)} action(s)", tuple(actions))


def _review_triaged(facts: SystemFacts) -> SignalState:
    triaged = [r.ref for r in facts.reviews if r.tier is not None]
    if not triaged:
        return SignalState("review.triaged", "absent", "no triaged review")
    return SignalState("review.triaged", "present", ", ".join(triaged), tuple(triaged))


def _review_approved(facts: SystemFacts) -> SignalState:
    signed = [
        (r.ref, a.ref, a.decision)
        for r in facts.reviews
        for a in r.approvals
        if a.decision in _SIGNED_DECISIONS
    ]
    if not signed:
        return SignalState("review.approved", "absent", "no signed review decision")
    rev, apr, decision = signed[-1]
    return SignalState(
        "review.approved", "present", f"{rev} {decision} ({apr})", tuple(s[1] for s in signed)
    )


def _monitoring(facts: SystemFacts) -> SignalState:
    specs = [c for c in facts.components if c.kind == "monitoring"]
    if not specs:
        return SignalState("component.monitoring", "absent", "no monitoring component")
    names = tuple(f"{c.name}@{c.version}" for c in specs)
    return SignalState("component.monitoring", "present", ", ".join(names), names)


def _traceable(facts: SystemFacts) -> SignalState:
    evals = [e for kind in EVALUATION_KINDS for e in _current(facts, kind)]
    if not evals:
        return SignalState("evidence.traceable", "absent", "no evaluation recorded")
    latest = max(evals, key=lambda e: (e.created_at, e.id))
    missing = [
        what
        for what, ok in (
            ("model version", latest.model_version),
            ("dataset", latest.dataset_version or latest.dataset_digest),
            ("code commit", latest.code_commit),
        )
        if not ok
    ]
    if missing:
        return SignalState(
            "evidence.traceable",
            "absent",
            f"{latest.ref} has no {', '.join(missing)}",
            (latest.ref,),
        )
    return SignalState(
        "evidence.traceable",
        "present",
        f"{latest.ref}: {latest.model_version}, {latest.dataset_version or latest.dataset_digest}",
        (latest.ref,),
    )


DETECTORS: dict[str, Callable[[SystemFacts], SignalState]] = {
    **{f"evidence.{kind}": _evidence_detector(kind) for kind in EVIDENCE_KINDS},
    "evidence.traceable": _traceable,
    "system.inventory": _inventory,
    "system.purpose": _field("purpose", "purpose"),
    "system.intended_use": _field("intended_use", "intended use"),
    "system.out_of_scope_use": _field("out_of_scope_use", "out-of-scope use"),
    "system.deployment_context": _field("deployment_context", "deployment context"),
    "system.risk_tier": _risk_tier,
    "model.registered": _model_registered,
    "model.artifact_hash": _model_attr("artifact_sha256", "model.artifact_hash", "artifact sha256"),
    "model.code_commit": _model_attr("code_commit", "model.code_commit", "code commit"),
    "data.training_datasets": _training_data,
    "risk.register": _risk_register,
    "risk.treatment": _risk_treatment,
    "risk.residual": _risk_residual,
    "risk.actions": _risk_actions,
    "review.triaged": _review_triaged,
    "review.approved": _review_approved,
    "component.monitoring": _monitoring,
}

SIGNAL_IDS = tuple(sorted(DETECTORS))
"""Every signal a crosswalk may name."""


def detect_signals(facts: SystemFacts) -> dict[str, SignalState]:
    """The state of every signal for the system in ``facts``."""
    return {sid: DETECTORS[sid](facts) for sid in SIGNAL_IDS}

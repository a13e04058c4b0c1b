"""The events of the demo program's history, planned by :class:`Steps` onto a
:class:`~assay.demo._history.Plan`; each is one public governance (or documents) call made by the
demo user whose role does it.

Who does what: the system owner (``sam`` or ``ada``) registers a system and requests its review;
the admin ``ada`` triages; the analyst ``sam`` evaluates, builds packets, runs the monitors and
requests waivers; the reviewer ``ravi`` or the approver ``mia`` decides on a review; ``mia``
decides on waivers and accepts risks. Requesters and packet builders never decide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from assay.demo._history_cast import CAST, Cast, intake_answers
from assay.errors import TransitionError
from assay.governance import (
    Workspace,
    add_action,
    add_dataset_version,
    add_model_version,
    add_risk,
    add_system,
    advance_review,
    open_review,
    record_evaluation,
    triage_review,
    update_action,
    update_risk,
    update_system,
)

if TYPE_CHECKING:
    from assay.demo._history import Plan

__all__ = ["Steps"]

#: A quarter in days, to turn durations into program time.
QUARTER_DAYS = 91.0
MODEL_VERSION = "1.0.0"
#: The groups of each sensitive feature the systems are evaluated on.
GROUPS: dict[str, tuple[str, ...]] = {
    "sex": ("female", "male"),
    "age_band": ("18-29", "30-49", "50+"),
    "language": ("en", "de", "pl"),
    "channel": ("web", "app"),
    "region": ("north", "south"),
    "segment": ("retail", "business"),
    "script": ("latin", "cyrillic", "arabic"),
    "country": ("GB", "DE", "PL"),
    "accent": ("regional", "standard"),
    "department": ("finance", "legal", "people"),
}
#: Every so many reviews one is rejected (besides the random draw).
REJECT_EVERY = 13
OUTCOMES = ("approved", "approved_with_conditions", "returned_for_rework", "rejected", "withdrawn")
_DECISION_WORDS = {
    "approved": "Evidence reviewed; the system may go ahead as scoped.",
    "approved_with_conditions": "May go ahead; the conditions below are tracked as actions.",
    "rejected": "The risks outweigh the benefit at this scope; not approved.",
    "returned_for_rework": "The packet needs more evidence before a decision.",
}


def days(n: float) -> float:
    """``n`` days in program time."""
    return n / QUARTER_DAYS


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Steps:
    """Plans each kind of event and keeps what the events made, by the plan's keys."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.refs: dict[str, str] = {}
        self.lifecycle = {s.name: s.lifecycle for s in CAST}
        self.monitors: dict[str, dict[str, Any]] = {}
        self.counts: Counter[str] = Counter()
        self._results: dict[tuple[str, int], dict[str, Any]] = {}

    # systems -------------------------------------------------------------------------------

    def plan_systems(self, plan: Plan) -> None:
        """Systems already live are inventoried in the first days; the others come in later."""
        live = [s for s in CAST if s.lifecycle in ("production", "validation")]
        later = [s for s in CAST if s not in live]
        for k, system in enumerate(live):
            plan.registered[system.name] = 0.005 * k
        for k, system in enumerate(later):
            plan.registered[system.name] = 0.2 + 0.3 * k
        for system in CAST:
            q = plan.registered[system.name]
            plan.at(q, system.owner, self._register, system)
        monitored = {"credit-limit": 0.01, "fraud-screen": 0.02, "churn-forecast": 0.7}
        monitored["support-assistant"] = 1.4
        for name, q in monitored.items():
            plan.at(q, "sam", self._monitor, name)

    def _register(self, ws: Workspace, system: Cast) -> None:
        from assay.documents import write_sections

        add_system(
            ws,
            system.name,
            purpose=system.purpose,
            owner=system.owner,
            intended_use=system.purpose + " A person checks its outputs.",
            out_of_scope_use="Decisions about people without a person checking the output.",
            lifecycle_status=system.lifecycle,
            generative=system.generative,
            org=system.org,
        )
        training = f"{system.name}-train"
        add_dataset_version(
            ws,
            training,
            "2025.1",
            digest="sha256:" + _sha(training),
            source="Internal records (synthetic in this demo)",
        )
        add_model_version(
            ws,
            system.name,
            MODEL_VERSION,
            artifact_sha256=_sha(system.name + MODEL_VERSION),
            training_datasets=[f"{training}@2025.1"],
        )
        write_sections(
            ws,
            "model_card",
            system.name,
            sections={
                "limitations": "Trained on the last two years of internal records; not "
                "validated for new markets or products.",
            },
        )
        self.counts["systems"] += 1

    def _monitor(self, ws: Workspace, name: str) -> None:
        """Register the system's weekly monitor (its spec, as `assay monitor run` would)."""
        from assay.demo._monitoring import write_demo_spec
        from assay.governance import monitor_records
        from assay.monitor import load_spec

        if name in self.monitors:
            return
        system = next(s for s in CAST if s.name == name)
        folder = self.folder / "monitoring"
        folder.mkdir(parents=True, exist_ok=True)
        path = write_demo_spec(
            folder / f"{name}.yaml",
            profile=f"{name}-reference.json",
            system=name,
            owner=system.owner,
            sensitive_features=system.sensitive,
        )
        spec = load_spec(path).as_json()
        spec_id = monitor_records.upsert_monitor(ws, str(spec["name"]), name, spec)
        self.monitors[name] = {"id": spec_id, "spec": spec}
        self.counts["monitors"] += 1

    # evidence ------------------------------------------------------------------------------

    def evaluate(self, ws: Workspace, system: Cast, quarter: int) -> str:
        """Record this quarter's fairness evaluation of ``system``; its evidence ref."""
        # one evaluation data set per system: the figures are re-checked each time on it
        key = (system.name, 0)
        if key not in self._results:
            self._results[key] = _fairness(system, seed=len(self._results))
        record = record_evaluation(
            ws,
            self._results[key],
            kind="fairness",
            system=system.name,
            model_version=MODEL_VERSION,
            code_commit=_sha(f"{system.name}@{quarter}")[:40],
            title=f"Fairness by {system.sensitive[0]}",
        )
        self.counts["evaluations"] += 1
        return record.ref

    # reviews -------------------------------------------------------------------------------

    def plan_review(self, plan: Plan, q: float, *, stop: str | None = None) -> None:
        """One review, from intake to its decision (or as far as the history reaches), or to
        the stage ``stop`` when given (the reviews still under way at the end)."""
        rng = plan.rng
        system = rng.choice(plan.systems_by(q))
        outcome = rng.choices(
            (
                "approved",
                "approved_with_conditions",
                "returned_for_rework",
                "rejected",
                "withdrawn",
            ),
            weights=(45, 20, 22, 5, 8),
        )[0]
        self.counts["reviews planned"] += 1
        if self.counts["reviews planned"] % REJECT_EVERY == 0:
            outcome = "rejected"
        key = f"review-{self.counts['reviews planned']}"
        triage_q = q + days(rng.uniform(0.5, 5))
        due = plan.timeline.day(triage_q + days(rng.choice((21, 28, 35))))
        ready_q = triage_q + days(rng.uniform(12, 32))
        decide_q = ready_q + days(rng.uniform(2, 6))
        deciders = ("ravi", "mia") if rng.random() < 0.6 else ("mia", "ravi")
        if not plan.at(q, system.owner, lambda ws: self._open(ws, key, system)):
            return
        if stop == "intake":
            return
        plan.at(triage_q, "ada", lambda ws: self._triage(ws, key, system, due))
        if stop == "triaged":
            return
        if outcome == "withdrawn" and stop is None:
            plan.at(triage_q + days(4), "ada", lambda ws: self._withdraw(ws, key))
            return
        quarter = int(q)
        plan.at(triage_q + days(1), "sam", lambda ws: self._start(ws, key, system, quarter))
        if stop == "in_evaluation":
            return
        plan.at(ready_q, "sam", lambda ws: self._ready(ws, key))
        if stop == "ready_for_review":
            return
        plan.at(decide_q, deciders[0], lambda ws: self._decide(ws, key, outcome))
        if outcome == "returned_for_rework":
            again = decide_q + days(3)
            plan.at(again, "sam", lambda ws: self._start(ws, key, system, quarter + 1))
            plan.at(again + days(10), "sam", lambda ws: self._ready(ws, key))
            final = rng.choice(("approved", "approved_with_conditions"))
            plan.at(again + days(14), deciders[1], lambda ws: self._decide(ws, key, final))

    def _open(self, ws: Workspace, key: str, system: Cast) -> None:
        review = open_review(
            ws, system.name, answers=intake_answers(system), title=f"Review of {system.name}"
        )
        self.refs[key] = review.ref
        self.counts["reviews"] += 1

    def _triage(self, ws: Workspace, key: str, system: Cast, due: dt.date) -> None:
        triage_review(
            ws,
            self.refs[key],
            owner=system.owner,
            tier=system.tier,
            due_date=max(due, ws.today()),
            note=f"{system.tier.capitalize()} tier, as the inventory records the system.",
        )

    def _withdraw(self, ws: Workspace, key: str) -> None:
        advance_review(ws, self.refs[key], "withdrawn", note="The project was paused.")

    def _start(self, ws: Workspace, key: str, system: Cast, quarter: int) -> None:
        advance_review(ws, self.refs[key], "in_evaluation")
        if self.lifecycle[system.name] in ("proposed", "development"):
            update_system(ws, system.name, lifecycle_status="validation")
            self.lifecycle[system.name] = "validation"
        self.evaluate(ws, system, min(quarter, 3))

    def _ready(self, ws: Workspace, key: str) -> None:
        from assay.documents import build_packet

        build_packet(ws, self.refs[key])
        advance_review(ws, self.refs[key], "ready_for_review", acknowledge_incomplete=True)

    def _decide(self, ws: Workspace, key: str, outcome: str) -> None:
        """The decision, on the packet; an approval refused (open blocking risks) is a return."""
        ref = self.refs[key]
        conditions = "Monthly fairness re-evaluation for six months."
        try:
            advance_review(
                ws,
                ref,
                outcome,
                rationale=_DECISION_WORDS[outcome],
                conditions=conditions if outcome == "approved_with_conditions" else None,
                acknowledge_incomplete=True,
            )
        except TransitionError:
            if outcome not in ("approved", "approved_with_conditions"):
                raise
            outcome = "returned_for_rework"
            advance_review(
                ws,
                ref,
                outcome,
                rationale="Open risks block approval: mitigate or waive them first.",
                acknowledge_incomplete=True,
            )
        self.counts[outcome] += 1
        if outcome.startswith("approved"):
            # the analyst records the launch and registers its monitor
            analyst = _as(ws, "sam")
            system = _review_system(ws, ref)
            if self.lifecycle[system] != "production":
                update_system(analyst, system, lifecycle_status="production")
                self.lifecycle[system] = "production"
            self._monitor(analyst, system)

    # risks and actions ---------------------------------------------------------------------

    def plan_risk(self, plan: Plan, q: float, *, critical: bool) -> None:
        """A risk with its remediation action, closed on time, late, left open or accepted."""
        rng = plan.rng
        live = [s for s in CAST if s.lifecycle == "production"]
        system = rng.choice(live) if critical else rng.choice(plan.systems_by(q))
        scores = (5, 4) if critical else (rng.randint(2, 4), rng.randint(1, 4))
        span = 7 if critical else rng.choice((14, 21, 30))
        fate = rng.choices(("on_time", "late", "open", "accepted"), weights=(62, 22, 8, 8))[0]
        if critical:
            fate = "on_time"
        key = f"risk-{q:.3f}"
        due_q = q + days(span)
        due = plan.timeline.day(due_q)
        if not plan.at(q, system.owner, lambda ws: self._risk(ws, key, system, scores, due)):
            return
        plan.at(q + days(2), system.owner, lambda ws: self._act(ws, key, "in_progress"))
        if fate == "accepted":
            plan.at(q + days(6), "mia", lambda ws: self._accept(ws, key))
        elif fate != "open":
            close_q = due_q - days(rng.uniform(1, 4)) if fate == "on_time" else due_q + days(5)
            quarter = min(int(close_q), 3)
            plan.at(close_q, system.owner, lambda ws: self._close(ws, key, system, quarter))

    def _risk(
        self, ws: Workspace, key: str, system: Cast, scores: tuple[int, int], due: dt.date
    ) -> None:
        likelihood, severity = scores
        category = "nist-ai-600-1:confabulation" if system.generative else "mit:1.3"
        risk = add_risk(
            ws,
            system=system.name,
            title=f"{'Confabulated answers' if system.generative else 'Uneven accuracy'} "
            f"for some {' or '.join(system.sensitive)} groups",
            category=category,
            likelihood=likelihood,
            severity=severity,
            owner=system.owner,
            due_date=due,
            mitigations="Re-balance the evaluation data and add a human check for those groups.",
        )
        action = add_action(
            ws,
            title=f"Mitigate {risk.ref} on {system.name}",
            owner=system.owner,
            due_date=due,
            risk=risk.ref,
        )
        self.refs[key] = risk.ref
        self.refs[key + "-action"] = action.ref
        self.counts["risks"] += 1
        self.counts["actions"] += 1

    def _act(self, ws: Workspace, key: str, status: str) -> None:
        update_action(ws, self.refs[key + "-action"], status=status)

    def _accept(self, ws: Workspace, key: str) -> None:
        update_risk(ws, self.refs[key], status="accepted", note="Residual risk within appetite.")
        update_action(ws, self.refs[key + "-action"], status="cancelled", note="Risk accepted.")
        self.counts["risks accepted"] += 1

    def _close(self, ws: Workspace, key: str, system: Cast, quarter: int) -> None:
        evidence = self.evaluate(ws, system, quarter)
        update_action(ws, self.refs[key + "-action"], status="done", evidence=evidence)
        update_risk(ws, self.refs[key], status="closed", closure_evidence=evidence)
        self.counts["actions closed"] += 1


def _as(ws: Workspace, user: str) -> Workspace:
    """The same workspace, acting as ``user`` (sharing its store and clock)."""
    if ws.user == user:
        return ws
    return Workspace(
        ws.root, ws.store, user=user, config=ws.config, clock=ws.clock, policy=ws.policy
    )


def _review_system(ws: Workspace, ref: str) -> str:
    from assay.governance import get_review

    return get_review(ws, ref).system


def _fairness(system: Cast, *, seed: int) -> dict[str, Any]:
    """A fairness evaluation of ``system`` on 600 synthetic scored rows."""
    from assay.evaluate import fairness

    rng = np.random.default_rng(seed)
    n = 600
    columns: dict[str, Any] = {}
    shift = np.zeros(n)
    for feature in system.sensitive:
        groups = GROUPS[feature]
        picked = rng.integers(0, len(groups), n)
        columns[feature] = [groups[i] for i in picked]
        shift += 0.04 * picked
    label = rng.random(n) < 0.4
    score = np.clip(0.35 * label + rng.random(n) * 0.65 - shift, 0.0, 1.0)
    frame = pl.DataFrame(
        {"label": label.astype(int), "pred": (score >= 0.5).astype(int), **columns}
    )
    result = fairness(
        frame,
        y_true="label",
        y_pred="pred",
        sensitive_features=[system.sensitive[0]],
        n_bootstrap=200,
    )
    return result.to_dict()

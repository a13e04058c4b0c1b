"""The golden tests' governance workspace, built through the public API on a pinned clock.

One system under review (``adult-income``, high tier) with every kind of record the documents,
exports, gate and web pages read: dataset and model versions, evaluation evidence of each kind,
written sections, a review taken to a signed packet, risks (one mitigated and closed), actions,
waivers, an incident with its timeline, and a monitoring spec; plus a second, generative system.

The clock starts on Monday 2025-03-03 and moves forward a little with each step, so timelines are
ordered; documents are rendered on :data:`REPORT_DAY`. Evaluation results are computed for real on
the golden inputs, then *stabilised* before they are recorded (their provenance time and versions
pinned, floats rounded to 10 significant digits): their bytes are hashed into evidence digests that
every document quotes, and a result made at another moment, by another Assay release or with other
last bits of a bootstrap sum would otherwise change every digest downstream.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from assay import governance as g

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
REPORT_DAY = dt.datetime(2025, 4, 15, 9, 0, tzinfo=dt.UTC)
SYSTEM = "adult-income"
MODEL = "1.0"
DATASET = "adult@1994"
COMMIT = "c0ffee" + "0" * 34
ARTIFACT = "ab" * 32
PINNED_VERSION = "0.0.0+golden"

ANSWERS: dict[str, Any] = {
    "purpose": "Pre-screens credit applicants by predicted income.",
    "users": "Loan officers; applicants are affected.",
    "prohibited_practices": ["none"],
    "annex_iii_areas": ["essential_services"],
    "user_impact": "significant",
    "autonomy": "human_in_the_loop",
    "personal_data": "personal",
    "generative": False,
    "scale": "1k_to_100k",
}


#: The details of a monitoring component, as ``assay monitor register`` records them.
MONITORING: dict[str, Any] = {
    "metrics": [
        {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"},
        {"name": "dp", "kind": "fairness", "statistic": "demographic_parity_difference"},
    ],
    "alerts": [
        {"name": "feature-drift", "metric": "drift_share", "condition": ">= 0.3",
         "consecutive": 2, "severity": "high", "routes": ["team"]},
    ],
    "window": "weekly",
    "owner": "cy",
    "runbook": "https://wiki.example.com/runbooks/income",
}  # fmt: skip


class Clock:
    """A settable clock for ``Workspace.clock``."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def as_user(ws: g.Workspace, name: str) -> g.Workspace:
    """The same workspace (and clock), acting as ``name``."""
    return g.Workspace(ws.root, ws.store, user=name, config=ws.config, clock=ws.clock)


def stabilise(result: dict[str, Any], work: Path) -> dict[str, Any]:
    """``result`` with its provenance pinned and floats rounded to 10 significant digits."""
    text = json.dumps(result).replace(f"{work}/", "")

    def digits(match: re.Match[str]) -> str:
        return repr(float(f"{float(match.group(0)):.10g}"))

    text = re.sub(r"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?(?![\w.])", digits, text)
    data: dict[str, Any] = json.loads(text)
    provenance = data.get("provenance")
    if isinstance(provenance, dict):
        provenance["created_at"] = START.isoformat()
        for key in ("assay_version", "python"):
            if key in provenance:
                provenance[key] = PINNED_VERSION
    _pin_timings(data)
    return data


#: Keys of measured run times in results (robustness reports them per probe and overall).
TIMINGS = ("seconds", "total_seconds", "predict_seconds", "predict_share")


def _pin_timings(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TIMINGS and isinstance(item, float):
                value[key] = 0.5
            else:
                _pin_timings(item)
    elif isinstance(value, list):
        for item in value:
            _pin_timings(item)


def evaluations(work: Path) -> dict[str, Any]:
    """Real results of each evaluation kind on the golden inputs, as the Python API returns them
    (their ``to_dict()`` and ``to_json()`` are goldens too: ``test_golden_api.py``)."""
    from assay.evaluate import drift, fairness, quality
    from assay.evaluate.pii import scan
    from assay.robustness import run_robustness

    data = work / "data"
    return {
        "fairness": fairness(
            data / "scored.csv",
            y_true="income",
            y_score="score",
            pos_label=">50K",
            sensitive_features=["sex"],
            thresholds={"demographic_parity_difference": 0.1},
            n_bootstrap=200,
            random_state=3,
        ),
        "quality": quality(
            data / "scored.csv",
            sensitive_features=["sex"],
            label="income",
            y_proba="score",
            pos_label=">50K",
            population=data / "population.yaml",
        ),
        "drift": drift(data / "reference.csv", data / "current.csv", sensitive_features="sex"),
        "pii_scan": scan(data / "support.jsonl"),
        "robustness": run_robustness(
            str(data / "credit-model.joblib"),
            data / "credit.csv",
            y_true="credit_risk",
            pos_label="good",
            sensitive_features=["sex"],
            scenario=data / "scenario.yaml",
            n_bootstrap=100,
        ),
    }


def build_house(
    folder: Path, work: Path, results: dict[str, Any], *, db_url: str | None = None
) -> g.Workspace:
    """Build the workspace in ``folder`` from the inputs in ``work`` and the :func:`evaluations`
    of them; its clock is left on :data:`REPORT_DAY`."""
    from cli_worker import pinned_clock

    from assay.documents import build_packet, sign_packet, write_sections

    clock = Clock(START)
    with pinned_clock(clock):  # the first admin is added by init_workspace, on its own clock
        ws = g.init_workspace(folder, db_url=db_url, user="ada")
    for name, role in (("bob", "approver"), ("cy", "analyst"), ("dee", "approver")):
        g.add_user(ws, name, role=role, display_name=name.capitalize())
    g.add_user(ws, "rex", role="reviewer", display_name="Rex (RAI lead)")
    g.add_user(ws, "vi", role="viewer")
    bob = as_user(ws, "bob")

    g.add_system(
        ws,
        SYSTEM,
        purpose="Predicts whether a person's income exceeds $50K from census attributes.",
        owner="cy",
        intended_use="Orders credit applications for a loan officer's review.",
        out_of_scope_use="Automated credit, employment or housing decisions.",
        deployment_context="Batch scoring of applications, reviewed by a loan officer.",
    )
    g.add_system(
        ws,
        "support-bot",
        purpose="Drafts replies to customer-support chats.",
        owner="ada",
        generative=True,
        lifecycle_status="production",
        risk_tier="limited",
    )
    g.add_dataset_version(
        ws,
        "adult",
        "1994",
        digest="sha256:" + hashlib.sha256((work / "data/scored.csv").read_bytes()).hexdigest(),
        source="UCI Machine Learning Repository, CC BY 4.0",
        rows=3000,
        columns={"age": "int", "sex": "str", "race": "str", "income": "str"},
        collection_notes="1994 US census extract; the first 3,000 rows.",
    )
    g.add_model_version(
        ws,
        SYSTEM,
        MODEL,
        name="hand-written logistic score",
        registry_uri="models:/adult-income/1",
        artifact_sha256=ARTIFACT,
        code_commit=COMMIT,
        training_datasets=[DATASET],
        notes="Scores are a fixed logistic function of five columns.",
    )
    clock.tick(hours=1)

    records = {}
    for kind, result in results.items():
        records[kind] = g.record_evaluation(
            ws,
            stabilise(result.to_dict(), work),
            kind=kind,
            system=SYSTEM,
            model_version=MODEL,
            dataset_version=DATASET if kind in ("fairness", "quality") else None,
            code_commit=COMMIT,
            code_dirty=False,
            title=f"{kind.replace('_', ' ').capitalize()} of {SYSTEM} {MODEL}",
        )
        clock.tick(minutes=10)

    review = g.open_review(ws, SYSTEM, answers=ANSWERS, title="Pre-launch review")
    g.triage_review(ws, review.ref, owner="cy", tier="high", note="Annex III credit use.")
    write_sections(
        ws,
        "model_card",
        SYSTEM,
        sections={
            "limitations": "Trained on 1994 census data; selection rates differ by sex.",
            "ethical_considerations": "Sex is used only to evaluate the model, never as input.",
            "recommendations": "Use only to order applications for a human reviewer.",
        },
        fields={"sensitive_features": ["sex", "race"], "license": "apache-2.0"},
    )
    write_sections(
        ws,
        "system_card",
        SYSTEM,
        sections={"human_oversight": "A loan officer reviews every application."},
    )
    write_sections(
        ws,
        "datasheet",
        DATASET,
        sections={
            "motivation": "Extracted from the 1994 US Census database to study income.",
            "known_gaps": "Few rows for the Amer-Indian-Eskimo and Other race groups.",
        },
        fields={"license": "cc-by-4.0"},
    )
    clock.tick(days=1)

    gap = g.add_risk(
        ws,
        system=SYSTEM,
        title="Lower selection rate for women",
        category="mit:1.1",
        likelihood=4,
        severity=4,
        owner="cy",
        due_date="2025-04-30",
        description="The fairness evaluation fails demographic parity by sex.",
        mitigations="Review the threshold per group; reweigh the training data.",
        residual_likelihood=2,
        residual_severity=3,
        evidence=[records["fairness"].ref],
    )
    proxy = g.add_risk(
        ws,
        system=SYSTEM,
        title="Relationship acts as a proxy for sex",
        category="mit:1.1",
        likelihood=3,
        severity=3,
        owner="cy",
        due_date="2025-03-31",
    )
    leak = g.add_risk(
        ws,
        system=SYSTEM,
        title="Support logs hold personal data",
        category="mit:2.1",
        likelihood=2,
        severity=4,
        owner="ada",
        evidence=[records["pii_scan"].ref],
    )
    g.add_action(ws, title="Per-group threshold review", owner="cy", due_date="2025-04-10",
                 risk=gap.ref)  # fmt: skip
    fix = g.add_action(ws, title="Redact the support logs", owner="ada", due_date="2025-03-20",
                       risk=leak.ref)  # fmt: skip
    clock.tick(days=2)
    g.update_action(ws, fix.ref, status="in_progress", note="Redaction job written.")
    clock.tick(days=3)
    g.update_action(ws, fix.ref, status="done", evidence=records["pii_scan"].ref)
    g.update_risk(ws, leak.ref, status="mitigating", note="Logs being redacted.")
    clock.tick(days=1)
    g.update_risk(ws, leak.ref, status="closed", closure_evidence=records["pii_scan"].ref)

    waiver = g.request_waiver(
        ws,
        system=SYSTEM,
        control="fairness",
        rationale="Supervised pilot: a loan officer reviews every application.",
        compensating_controls="Human review of all outputs; monthly re-evaluation.",
        residual_risk="Reviewers may anchor on the model's ordering.",
        expires_on="2025-06-30",
        risk=proxy.ref,
    )
    g.approve_waiver(bob, waiver.ref, rationale="Accepted for a 90-day supervised pilot.")
    g.request_waiver(
        as_user(ws, "dee"),
        system=SYSTEM,
        control="robustness",
        rationale="Noise probes are not yet tuned.",
        compensating_controls="Manual spot checks.",
        residual_risk="Unnoticed brittleness.",
        expires_on="2025-05-31",
    )
    clock.tick(days=1)

    incident = g.open_incident(
        ws,
        title="Scores shifted after a data refresh",
        severity="sev3",
        occurred_at="2025-03-11T08:00",
        detected_at="2025-03-11T10:30",
        systems=[SYSTEM],
        model_versions=[f"{SYSTEM}:{MODEL}"],
        summary="The mean score rose by 0.08 overnight.",
        commander="cy",
    )
    clock.tick(hours=2)
    g.add_timeline_entry(ws, incident.ref, "Rolled back the refresh.", at="2025-03-11T12:00")
    g.update_incident(ws, incident.ref, status="mitigated", immediate_mitigations="Rollback.")
    clock.tick(days=1)
    g.close_incident(ws, incident.ref, root_cause="A column was rescaled upstream.",
                     postmortem="Add a schema check before scoring.")  # fmt: skip
    g.add_component(ws, SYSTEM, "monitoring", "income-weekly", "1", details=MONITORING)
    clock.tick(days=1)

    g.advance_review(ws, review.ref, "in_evaluation")
    packet = build_packet(ws, review.ref)
    # ready and approved on the packet; below the policy's minimum, so both acknowledge it
    g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)
    clock.tick(days=1)
    sign_packet(bob, packet.record.ref, decision="approved_with_conditions",
                rationale="Fit for a supervised pilot.",
                conditions="Re-evaluate fairness monthly.",
                acknowledge_incomplete=True)  # fmt: skip
    clock.now = REPORT_DAY
    return ws

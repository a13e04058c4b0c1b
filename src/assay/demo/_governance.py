"""The demo's governance steps: a workspace, the Adult system, its evidence, risks and KPIs.

Each step is a plain governance call that a user could make from Python or the CLI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay import __version__
from assay.datasets import adult_path
from assay.demo._clock import DemoClock
from assay.demo._history_cast import DEMO_ORGS
from assay.demo._model import model_sha256
from assay.documents import WrittenDocuments, pdf_engine, write_review_documents, write_sections
from assay.errors import AssayError
from assay.evaluate import FairnessResult
from assay.gate import GateResult, run_gate
from assay.governance import (
    EvidenceRecord,
    KpiReport,
    Risk,
    Workspace,
    add_action,
    add_dataset_version,
    add_model_version,
    add_org,
    add_risk,
    add_system,
    add_user,
    approve_waiver,
    compute_kpis,
    get_evidence,
    init_workspace,
    open_review,
    open_workspace,
    record_evaluation,
    request_waiver,
    triage_review,
)

SYSTEM = "adult-income"
MODEL_VERSION = "1.0.0"
DATASET = "uci-adult"
DATASET_VERSION = "1994"
EVAL_DATASET = "adult-income-eval"
APPROVER = "mia"
#: The code behind every result the demo records. The model is trained and evaluated by Assay's
#: own code, so the package version identifies it; the git commit of whatever folder the demo runs
#: in would not, and would make its traceability, completeness and coverage depend on that folder.
CODE_VERSION = f"assay=={__version__}"


def create_workspace(folder: Path, clock: DemoClock | None = None) -> Workspace:
    """A fresh workspace in ``folder`` with the demo's team: the admin and lead analyst ``ada``
    who creates it, a reviewer, an approver and an analyst; every write is stamped by ``clock``."""
    workspace = init_workspace(folder, user="ada", clock=clock)
    add_user(workspace, "ravi", role="reviewer", display_name="Ravi (RAI lead)")
    add_user(workspace, "mia", role="approver", display_name="Mia (Head of Risk)")
    add_user(workspace, "sam", role="analyst", display_name="Sam (ML engineer)")
    for name, title in DEMO_ORGS:
        add_org(workspace, name, title=title)
    # an analyst of one business unit: sees only the insurance systems and their records
    add_user(workspace, "ivy", role="analyst", org="insurance", display_name="Ivy (Insurance ML)")
    return workspace


def register_adult_system(
    workspace: Workspace, estimator: Any, training_rows: int, predictions: Path
) -> str:
    """The Adult model as an AI system with its model and dataset versions, and its intake."""
    _add_adult_system(workspace)
    _add_versions(workspace, estimator, training_rows, predictions)
    review = _open_intake(workspace)
    _write_card_sections(workspace)
    return review


def _add_adult_system(workspace: Workspace) -> None:
    """The system, with its purpose, intended and out-of-scope uses and deployment context."""
    add_system(
        workspace,
        SYSTEM,
        purpose="Predicts whether a person's income exceeds $50K from census attributes.",
        owner="sam",
        intended_use="Research demonstration of a credit pre-screening model; decisions are "
        "reviewed by a loan officer.",
        out_of_scope_use="Automated credit, employment or housing decisions without human review.",
        deployment_context="Batch scoring of applications, reviewed by a loan officer.",
    )


def _add_versions(
    workspace: Workspace, estimator: Any, training_rows: int, predictions: Path
) -> None:
    """Adult and the scored evaluation split as dataset versions, and the model version."""
    source = adult_path()
    add_dataset_version(
        workspace,
        DATASET,
        DATASET_VERSION,
        path=source,
        source="UCI Machine Learning Repository, CC BY 4.0 (Becker & Kohavi, 1996)",
        rows=32_561,
        collection_notes="1994 US census extract; missing values were '?'.",
    )
    add_dataset_version(
        workspace,
        EVAL_DATASET,
        MODEL_VERSION,
        path=predictions,
        source=f"30% held-out split of {DATASET}@{DATASET_VERSION}, scored by {MODEL_VERSION}",
        collection_notes="Evaluation data: labels, scores and the sensitive features sex and race.",
    )
    add_model_version(
        workspace,
        SYSTEM,
        MODEL_VERSION,
        name="HistGradientBoostingClassifier",
        artifact_sha256=model_sha256(estimator),
        training_datasets=[f"{DATASET}@{DATASET_VERSION}"],
        notes=f"Trained on a seeded 70% split ({training_rows:,} rows).",
    )


def _open_intake(workspace: Workspace) -> str:
    """The pre-launch review with its intake answers, triaged to the high tier; its ref."""
    review = open_review(
        workspace,
        SYSTEM,
        title="Pre-launch review of the income model",
        answers={
            "purpose": "Pre-screens credit applicants by predicted income.",
            "users": "Loan officers; applicants are affected.",
            "prohibited_practices": ["none"],
            "annex_iii_areas": ["essential_services"],
            "user_impact": "significant",
            "autonomy": "human_in_the_loop",
            "personal_data": "personal",
            "generative": False,
            "scale": "1k_to_100k",
        },
    )
    triage_review(
        workspace, review.ref, owner="ada", tier="high", note="Annex III credit use: high tier."
    )
    return review.ref


def _write_card_sections(workspace: Workspace) -> None:
    """The sections of the model card and the datasheet that people write, not Assay."""
    write_sections(
        workspace,
        "model_card",
        SYSTEM,
        sections={
            "limitations": "Trained on 1994 US census data; incomes are not adjusted for "
            "inflation and the population is not today's applicants. Selection rates differ "
            "strongly by sex and race (see the metrics by group).",
            "ethical_considerations": "Sex and race are used only to evaluate the model, never "
            "as inputs. Marital status and relationship can act as proxies for sex.",
            "recommendations": "Use only to order applications for a human reviewer; review the "
            "threshold per group before any launch.",
        },
        fields={"sensitive_features": ["sex", "race"], "license": "apache-2.0"},
    )
    write_sections(
        workspace,
        "datasheet",
        f"{DATASET}@{DATASET_VERSION}",
        sections={
            "motivation": "Extracted by Barry Becker from the 1994 US Census database to study "
            "income prediction.",
            "collection": "Census survey responses, a weighted sample (the fnlwgt column).",
            "known_gaps": "Few rows for the Amer-Indian-Eskimo and Other race groups; "
            "native_country is dominated by the United States; '?' marks missing values.",
        },
        fields={"license": "cc-by-4.0"},
    )


def record_fairness(workspace: Workspace, result: FairnessResult) -> EvidenceRecord:
    """File the fairness evaluation as evidence of the model version."""
    return record_evaluation(
        workspace,
        result.to_dict(),
        kind="fairness",
        system=SYSTEM,
        model_version=MODEL_VERSION,
        title="Fairness and performance by sex and race",
        code_commit=CODE_VERSION,
    )


def open_risks_for_failures(
    workspace: Workspace, result: FairnessResult, evidence: EvidenceRecord, today: dt.date
) -> list[Risk]:
    """One risk per failed verdict, with an owner, a due date and a remediation action."""
    failed: dict[str, list[dict[str, Any]]] = {}
    for verdict in result.verdicts:
        if verdict["verdict"] == "fail":
            failed.setdefault(" × ".join(verdict["by"]), []).append(verdict)
    risks = []
    for by, verdicts in failed.items():
        rules = ", ".join(
            f"{v['rule'].replace('_', ' ')} {v['estimate']['value']:.3f} "
            f"({v['direction']} {v['limit']})"
            for v in verdicts
        )
        risk = add_risk(
            workspace,
            system=SYSTEM,
            title=f"Selection rates differ by {by} beyond the policy limits",
            category="mit:1.1",
            likelihood=4,
            severity=4,
            owner="sam",
            due_date=today + dt.timedelta(days=30),
            description=f"Failed: {rules}. " + " ".join(v["reason"] for v in verdicts),
            mitigations="Reweigh the training data by group and re-evaluate; review the threshold.",
            residual_likelihood=2,
            residual_severity=3,
            evidence=[evidence.ref],
        )
        add_action(
            workspace,
            title=f"Mitigate {risk.ref}: selection-rate gap by {by}",
            owner="sam",
            due_date=today + dt.timedelta(days=21),
            risk=risk.ref,
        )
        risks.append(risk)
    return risks


def quarter_kpis(workspace: Workspace, today: dt.date) -> KpiReport:
    """The program KPIs for the reporting period containing ``today`` (as ``assay kpis``)."""
    from assay.policy import reporting_period

    return compute_kpis(workspace, *reporting_period(today))


def write_documents(
    workspace: Workspace, review: str, folder: Path
) -> tuple[WrittenDocuments, str]:
    """Model card, datasheet, risk assessment and the frozen review packet, as HTML and PDF.

    PDF needs WeasyPrint (or Chromium); without either the documents are written as HTML and
    Markdown only, and the returned note says so. The engine is looked for first, because each
    call builds and records a packet: a failed PDF must not leave a second one behind.
    """
    if pdf_engine() is not None:
        try:
            return write_review_documents(workspace, review, folder, formats=("html", "pdf")), ""
        except AssayError as exc:
            note = f"PDF failed ({exc}); the packet was built again for HTML and Markdown"
    else:
        note = "PDF skipped: neither WeasyPrint nor Chromium is installed"
    written = write_review_documents(workspace, review, folder, formats=("html", "md"))
    return written, note


@dataclass(frozen=True)
class GateStory:
    """The gate, limited to ``rules``, before and after a recorded waiver; then every rule."""

    rules: tuple[str, ...]
    before: GateResult
    after: GateResult
    recorded: EvidenceRecord
    waiver: str
    full: GateResult


def gate_with_waiver(workspace: Workspace, today: dt.date) -> GateStory:
    """The CI gate's fairness, risk and waiver rules fail on the fairness limits and an open high
    risk, then pass once an approver grants a time-limited waiver with compensating controls (not
    the user who requested it: a requester never approves their own waiver). The whole gate is run
    too, without recording it: the other rules (completeness, approval) are not met yet."""
    rules = ("fairness", "risk", "waiver")
    proxy = add_risk(
        workspace,
        system=SYSTEM,
        title="Marital status and relationship act as proxies for sex",
        category="mit:1.1",
        likelihood=4,
        severity=4,
        owner="sam",
        due_date=today + dt.timedelta(days=45),
        description="The model can reproduce the selection-rate gap by sex through proxies.",
    )
    before, _ = run_gate(workspace, system=SYSTEM, model_version=MODEL_VERSION, rules=rules)
    waiver = request_waiver(
        workspace,
        system=SYSTEM,
        control="fairness",
        rationale="Pilot with a loan officer reviewing every application; no automated decisions.",
        compensating_controls="Human review of all outputs; monthly fairness re-evaluation.",
        residual_risk="Reviewers may anchor on the model's ordering.",
        expires_on=today + dt.timedelta(days=60),
        risk=proxy.ref,
    )
    approver = open_workspace(workspace.root, user=APPROVER, clock=workspace.clock)
    try:
        approve_waiver(approver, waiver.ref, rationale="Accepted for a 60-day supervised pilot.")
    finally:
        approver.close()
    after, recorded = run_gate(
        workspace, system=SYSTEM, model_version=MODEL_VERSION, rules=rules, record=True
    )
    assert recorded is not None
    full, _ = run_gate(workspace, system=SYSTEM, model_version=MODEL_VERSION)
    return GateStory(rules, before, after, get_evidence(workspace, recorded), waiver.ref, full)

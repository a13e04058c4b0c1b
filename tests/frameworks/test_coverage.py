"""Coverage of framework items by a system's records, computed by hand for each step."""

from __future__ import annotations

import json
from typing import Any

from assay import governance as g
from assay.documents import build_packet
from assay.frameworks import coverage_markdown, framework_coverage
from assay.policy import load_policy
from conftest import Clock

DIGEST = "sha256:" + "ab" * 32
ANSWERS: dict[str, Any] = {
    "purpose": "Scores loan applications",
    "users": "Loan officers; applicants are affected",
    "prohibited_practices": ["none"],
    "annex_iii_areas": ["essential_services"],
    "user_impact": "significant",
    "autonomy": "human_in_the_loop",
    "personal_data": "personal",
    "generative": False,
    "scale": "over_100k",
}


def _status(report: Any, framework: str) -> dict[str, str]:
    return {i.id: i.status for i in report.get(framework).items}


def _covered(report: Any, framework: str) -> set[str]:
    return {k for k, v in _status(report, framework).items() if v == "covered"}


def _evaluate(ws: g.Workspace, **extra: Any) -> g.EvidenceRecord:
    result = {
        "schema": "assay.fairness/v1",
        "n": 100,
        "verdicts": [],
        "provenance": {"dataset": {"digest": DIGEST}},
    }
    return g.record_evaluation(
        ws, result, kind="fairness", system="credit", model_version="1", code_commit="c" * 40,
        code_dirty=False, **extra,
    )  # fmt: skip


def test_a_bare_system_covers_only_the_inventory_items(ws: g.Workspace) -> None:
    report = framework_coverage(ws, "credit")
    # GOVERN 1.6 needs the inventory record, MAP 1.3 the purpose: both there; nothing else.
    assert _covered(report, "nist") == {"GOVERN 1.6", "MAP 1.3"}
    nist = report.get("nist")
    assert (len(nist.items), nist.count("not_evidenced")) == (72, 29)
    assert nist.percent == 2.8  # 2 / 72
    assert nist.percent_of_evidenced == 4.7  # 2 / 43
    assert _status(report, "nist")["MAP 3.1"] == "partial"  # purpose yes, intended use no
    assert _status(report, "nist")["GOVERN 1.2"] == "not_evidenced"
    assert _covered(report, "eu") == set()
    assert _covered(report, "iso") == set()
    assert report.get("iso").percent == 0.0


def test_coverage_grows_with_the_records(ws: g.Workspace, clock: Clock) -> None:
    g.update_system(
        ws, "credit", intended_use="Decision support", out_of_scope_use="Automated rejection",
        deployment_context="Branch offices, EU",
    )  # fmt: skip
    g.add_dataset_version(ws, "adult", "1", digest=DIGEST)
    g.add_model_version(ws, "credit", "1", code_commit="c" * 40, training_datasets=["adult@1"])
    report = framework_coverage(ws, "credit")
    assert {"MAP 1.1", "MAP 3.1", "MAP 3.3"} <= _covered(report, "nist")
    assert {"IV.1(a)", "IV.1(b)", "IV.1(c)", "IV.6"} == _covered(report, "eu")
    assert {"A.4.2", "A.6.2.2", "A.7.2", "A.9.4"} == _covered(report, "iso")
    assert _status(report, "nist")["MEASURE 2.11"] == "missing"

    ev = _evaluate(ws)
    report = framework_coverage(ws, "credit")
    measure = report.get("nist")
    item = next(i for i in measure.items if i.id == "MEASURE 2.11")
    assert item.status == "covered"
    assert item.met[0].records == (ev.ref,)
    assert "MEASURE 2.1" in _covered(report, "nist")  # model, dataset digest and commit bound
    assert report.signals["evidence.traceable"].present

    g.add_risk(ws, system="credit", title="Disparate selection", category="mit:1.1",
               likelihood=3, severity=3, owner="bob")  # fmt: skip
    report = framework_coverage(ws, "credit")
    assert "MANAGE 1.2" in _covered(report, "nist")
    assert _status(report, "nist")["MANAGE 1.3"] == "missing"  # no mitigation, no action
    g.add_action(ws, title="Reweigh", owner="ada", due_date="2025-04-01", risk="RISK-1")
    report = framework_coverage(ws, "credit")
    assert "MANAGE 1.3" in _covered(report, "nist")


def test_stale_and_expired_evidence_does_not_count(ws: g.Workspace, clock: Clock) -> None:
    g.update_system(ws, "credit", risk_tier="high")
    g.add_dataset_version(ws, "adult", "1", digest=DIGEST)
    g.add_model_version(ws, "credit", "1", training_datasets=["adult@1"])
    _evaluate(ws)
    clock.advance(days=91)  # the default policy allows 90 days for fairness in the high tier
    report = framework_coverage(ws, "credit")
    state = report.signals["evidence.fairness"]
    assert (state.status, state.records) == ("stale", ("EV-1",))
    assert "91 days old; the policy allows 90" in state.detail
    assert _status(report, "nist")["MEASURE 2.11"] == "missing"
    g.update_system(ws, "credit", risk_tier="minimal")  # the minimal tier sets no age limit
    assert framework_coverage(ws, "credit").signals["evidence.fairness"].present
    g.update_system(ws, "credit", risk_tier="high")
    _evaluate(ws, valid_until=(clock.now.date()).isoformat())
    assert framework_coverage(ws, "credit").signals["evidence.fairness"].present
    clock.advance(days=1)  # past valid_until: expired, and EV-1 is stale
    assert framework_coverage(ws, "credit").signals["evidence.fairness"].status == "stale"


def test_a_signed_decision_covers_the_governance_items(ws: g.Workspace) -> None:
    review = g.open_review(ws, "credit", answers=ANSWERS)
    g.triage_review(ws, review.ref, owner="ada")
    report = framework_coverage(ws, "credit")
    assert {"GOVERN 1.1", "GOVERN 1.3", "MAP 1.5"} <= _covered(report, "nist")
    assert "GOVERN 2.3" not in _covered(report, "nist")
    g.advance_review(ws, review.ref, "in_evaluation")
    build_packet(ws, review.ref)  # far below the policy's minimum: moved on with an acknowledgement
    g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)
    bob = g.Workspace(ws.root, ws.store, user="bob", config=ws.config, clock=ws.clock)
    g.advance_review(
        bob, review.ref, "approved", rationale="Fine for a pilot", acknowledge_incomplete=True
    )
    report = framework_coverage(ws, "credit")
    assert {"GOVERN 2.3", "MANAGE 1.1", "MEASURE 1.3"} <= _covered(report, "nist")
    assert report.signals["review.approved"].detail.startswith("REV-1 approved")


def test_reports_as_json_and_markdown(ws: g.Workspace) -> None:
    report = framework_coverage(ws, "credit", frameworks=["iso", "nist"], policy=load_policy())
    data = json.loads(report.to_json())
    assert data["schema"] == "assay.framework-coverage/v1"
    assert [f["id"] for f in data["frameworks"]] == ["iso-iec-42001-2023", "nist-ai-rmf-1.0"]
    nist = data["frameworks"][1]
    assert (nist["covered"], nist["items"], nist["percent"]) == (2, 72, 2.8)
    text = coverage_markdown(report)
    assert "| NIST AI Risk Management Framework 1.0 | 72 | 2 |" in text
    assert "| MAP 3.1 | partial | system.purpose: Scores loan applications |" in text
    assert "Not evidenced by Assay: A.2.2" in text
    assert "| evidence.pii_scan | `assay pii scan DATA --record" in text
    assert data["gaps"]["system.intended_use"] == "assay system update SYSTEM --intended-use ..."

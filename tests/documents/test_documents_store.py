"""Documents built from the store: cards, datasheets, risk assessments, completeness."""

from __future__ import annotations

import copy

import pytest

from assay import documents as d
from assay import governance as g
from assay.errors import InputError
from conftest import COMMIT, fairness_result


def test_model_card_metrics_are_the_recorded_evaluation(ws: g.Workspace) -> None:
    card = d.build_model_card(ws, "adult-income")
    result = fairness_result()
    female = next(x for x in result["groups"] if x["group"] == {"sex": "Female"})
    sel = female["metrics"]["selection_rate"]
    shown = card.data["metrics"]["sex"]["sex=Female"]["selection_rate"]
    assert shown == {"value": sel["value"], "ci_low": sel["ci_low"], "ci_high": sel["ci_high"]}
    text = d.render_document(card, "md").decode()
    # 0.08327917556 [0.07820852742, 0.08864696328] written to three decimals
    assert "| sex=Female | 10,771 | 0.083 [0.078, 0.089] |" in text
    assert card.data["evaluation"]["ref"] == "EV-1"
    assert "EV-1 (fairness, recorded 3 Mar 2025 by ada" in text


def test_model_card_shows_gaps_for_unwritten_sections(ws: g.Workspace) -> None:
    card = d.build_model_card(ws, "adult-income")
    whats = [gap.what for gap in card.gaps]
    assert any(w.startswith("Limitations") for w in whats)
    assert any(w.startswith("Out-of-scope use") for w in whats)
    # one owner rule: the system's owner owns the card's gaps; the datasheet of adult@1 (which
    # the card points to) holds its own gaps, owned by ada, who registered the dataset
    assert {gap.owner for gap in card.gaps} == {"credit-team"}
    sheet = d.build_datasheet(ws, "adult@1")
    assert {gap.owner for gap in sheet.gaps} == {"ada"}
    assert len(sheet.gaps) == 9
    status = card.data["section_status"]
    assert status["metrics"] == "filled"
    assert status["limitations"] == "gap"


def test_card_of_a_system_with_nothing_recorded_renders_gaps(ws: g.Workspace) -> None:
    g.add_system(ws, "empty", purpose="Nothing yet", owner="cy")
    card = d.build_model_card(ws, "empty")
    for fmt in ("md", "html", "json"):
        assert d.render_document(card, fmt)
    assert "no model version of empty is registered" in [g_.what for g_ in card.gaps]
    assert d.build_risk_assessment(ws, "empty").gaps[0].what == "no risks are recorded for empty"
    assert d.build_system_card(ws, "empty").gaps


def test_sections_are_evidence_and_edits_supersede(ws: g.Workspace) -> None:
    first = d.write_sections(
        ws, "model_card", "adult-income", sections={"limitations": "Old *text*."}
    )
    assert first.kind == "model_card"
    assert first.model_version == "adult-income@1"
    second = d.write_sections(
        ws, "model_card", "adult-income", sections={"recommendations": "Review by hand."}
    )
    assert second.supersedes == first.id
    current = d.read_sections(ws, "model_card", "adult-income")
    assert current.text("limitations") == "Old *text*."
    assert current.text("recommendations") == "Review by hand."
    assert current.pinned["evaluation"] == "EV-1"
    card = d.build_model_card(ws, "adult-income")
    assert card.data["section_status"]["limitations"] == "filled"
    assert "Old *text*." in d.render_document(card, "md").decode()
    with pytest.raises(InputError, match="has no section 'limits'"):
        d.write_sections(ws, "model_card", "adult-income", sections={"limits": "x"})


def test_datasheet_answers_and_auto_facts(ws: g.Workspace) -> None:
    d.write_sections(
        ws, "datasheet", "adult@1", sections={"motivation": "Census research."},
        fields={"license": "cc-by-4.0"},
    )  # fmt: skip
    sheet = d.build_datasheet(ws, "adult@1")
    text = d.render_document(sheet, "md").decode()
    assert "Census research." in text
    assert "32,561" in text
    assert sheet.data["section_status"]["motivation"] == "filled"
    assert sheet.data["section_status"]["maintenance"] == "gap"
    assert sheet.data["used_by"] == ["adult-income: adult-income@1"]


def test_risk_assessment_heat_maps_count_risks(ws: g.Workspace) -> None:
    doc = d.build_risk_assessment(ws, "adult-income")
    assert doc.data["heat_map"]["inherent"] == [[4, 4, "RISK-1"], [3, 3, "RISK-2"]]
    # RISK-1 was reassessed to 2×4; RISK-2 was not, so it stays at its inherent cell
    assert doc.data["heat_map"]["residual"] == [[2, 4, "RISK-1"], [3, 3, "RISK-2"]]
    html = d.render_document(doc, "html").decode()
    assert html.count('class="chart heatmap"') == 2
    assert "likelihood 4 × severity 4 = 16 (high): RISK-1" in html
    assert {gap.what for gap in doc.gaps} >= {"mitigations for RISK-2", "due date for RISK-2"}


def test_completeness_by_hand(ws: g.Workspace) -> None:
    report = d.review_completeness(ws, "REV-1")
    # system fields 2/3, model card 5/10, datasheet 0/9, fairness 0/1 (no features declared),
    # robustness 0/1, pii scan 0/1, monitoring 0/1, risks 2/4 (RISK-2: mitigations, due date)
    assert len(report.items) == 30
    assert report.score == round(100 * 9 / 30, 1)
    assert report.by_document["model card"] == (5, 10, 50.0)
    assert not report.passes
    # the owner of the record a gap is about: the dataset's registrant (ada) for its datasheet
    # and its PII scan, the risk's owner (cy) for RISK-2, the system's owner for the rest; never
    # the review's owner
    owners = {(gap.document, gap.owner) for gap in report.gaps}
    by_dataset = ("datasheet adult@1", "pii_scan")
    assert {o for doc, o in owners if doc in by_dataset} == {"ada"}
    assert {o for doc, o in owners if doc == "risk assessment"} == {"cy"}
    rest = {o for doc, o in owners if doc not in (*by_dataset, "risk assessment")}
    assert rest == {"credit-team"}
    d.write_sections(ws, "model_card", "adult-income", fields={"sensitive_features": ["sex"]})
    report = d.review_completeness(ws, "REV-1")
    # + the fairness evaluation on 'sex' and its traceability (EV-1 has model, data and commit)
    assert (len(report.items), sum(i.present for i in report.items)) == (31, 11)


def test_consistency_flags_evaluation_of_another_model_version(ws: g.Workspace) -> None:
    checks = {c.key: c for c in d.review_completeness(ws, "REV-1").consistency}
    assert checks["card_model_version_evaluated"].ok
    assert checks["card_metrics_match_latest_evaluation"].ok
    assert not checks["card_datasets_have_datasheets"].ok
    assert "adult@1" in checks["card_datasets_have_datasheets"].detail
    g.add_model_version(ws, "adult-income", "2", training_datasets=["adult@1"], code_commit=COMMIT)
    changed = copy.deepcopy(fairness_result())
    changed["groups"][0]["metrics"]["selection_rate"]["value"] = 0.09
    g.record_evaluation(
        ws, changed, kind="fairness", system="adult-income", model_version="2", code_commit=COMMIT
    )
    card = d.build_model_card(ws, "adult-income", model_version="adult-income@1")
    checks = {c.key: c for c in d._completeness.card_consistency(
        ws, "adult-income", card.data, "credit-team")}  # fmt: skip
    assert not checks["card_model_version_evaluated"].ok
    detail = checks["card_model_version_evaluated"].detail
    assert "latest evaluation EV-2 is of adult-income@2" in detail
    assert not checks["card_metrics_match_latest_evaluation"].ok
    assert "selection_rate for sex=Female: 0.083 → 0.090" in (
        checks["card_metrics_match_latest_evaluation"].detail
    )


def test_card_text_written_against_older_metrics_is_inconsistent(ws: g.Workspace) -> None:
    d.write_sections(ws, "model_card", "adult-income", sections={"limitations": "Gap is 0.18."})
    changed = copy.deepcopy(fairness_result())
    changed["groups"][1]["metrics"]["tpr"]["value"] = 0.75
    g.record_evaluation(
        ws, changed, kind="fairness", system="adult-income", model_version="1", code_commit=COMMIT
    )
    checks = {c.key: c for c in d.review_completeness(ws, "REV-1").consistency}
    check = checks["card_metrics_match_latest_evaluation"]
    assert not check.ok
    assert "saved against EV-1" in check.detail
    assert "tpr for sex=Male: 0.700 → 0.750" in check.detail


def test_checklist_and_decision_log_and_program_report(ws: g.Workspace) -> None:
    checklist = d.render_document(d.build_checklist(ws, "adult-income"), "md").decode()
    assert "Checkpoint: pre-launch" in checklist
    assert "Checkpoint: post-launch" in checklist
    assert "docs/sops/fairness.md" in checklist
    assert "Signed by: reviewer, approver" in checklist
    log = d.build_decision_log(ws, "adult-income")
    assert "intake → triaged" in d.render_document(log, "md").decode()
    report = d.build_program_report(ws, "2025-01-01", "2025-03-31")
    text = d.render_document(report, "md").decode()
    assert "Program KPIs" in text
    assert "mit:1.1" in text
    assert report.data["risk_themes"] == {"mit:1.1 " + g.get_risk(ws, "RISK-1").category_name: 2}

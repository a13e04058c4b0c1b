"""OSCAL assessment results and POA&M: valid against NIST's schema, built from the records."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
from export_helpers import Clock
from schema_validators import errors, oscal_validator

from assay import governance as g
from assay.errors import InputError
from assay.exports import OSCAL_VERSION, oscal_assessment_results, oscal_poam


def _uuids(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "uuid":
                found.append(v)
            found += _uuids(v)
    elif isinstance(value, list):
        for v in value:
            found += _uuids(v)
    return found


def test_assessment_results_validate_against_the_oscal_schema(
    ws: g.Workspace, oscal_ar: Any
) -> None:
    doc = oscal_assessment_results(ws, "adult-income")
    assert errors(oscal_ar, doc) == []
    assert oscal_validator().is_valid(doc)  # the complete schema, root oneOf and all
    assert doc["assessment-results"]["metadata"]["oscal-version"] == OSCAL_VERSION


def test_observations_carry_the_evidence_hashes(ws: g.Workspace) -> None:
    ar = oscal_assessment_results(ws, "adult-income")["assessment-results"]
    (result,) = ar["results"]
    observations = result["observations"]
    assert [o["title"] for o in observations] == [
        "EV-1: assay.fairness/v1 result",
        "EV-2: Model card",
        "EV-3: monitoring_spec",
    ]
    assert observations[0]["methods"] == ["TEST"]
    assert observations[1]["methods"] == ["EXAMINE"]
    resources = {r["uuid"]: r for r in ar["back-matter"]["resources"]}
    for obs, ref in zip(observations, ("EV-1", "EV-2", "EV-3"), strict=True):
        ev = g.get_evidence(ws, ref)
        target = obs["relevant-evidence"][0]["href"].removeprefix("#")
        (link,) = resources[target]["rlinks"]
        assert link["hashes"] == [{"algorithm": "SHA-256", "value": ev.blob_sha256}]
        props = {p["name"]: p["value"] for p in obs["props"]}
        assert props["content-hash"] == ev.content_hash
        assert obs["collected"] == ev.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ar["import-ap"]["href"].removeprefix("#") in resources


def test_findings_are_the_verdicts(ws: g.Workspace) -> None:
    (result,) = oscal_assessment_results(ws, "adult-income")["assessment-results"]["results"]
    findings = {f["title"]: f for f in result["findings"]}
    assert set(findings) == {
        "demographic_parity_difference by sex: fail",
        "equalized_odds_difference by sex: pass",
    }
    fail = findings["demographic_parity_difference by sex: fail"]
    assert fail["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert fail["target"]["target-id"] == "assay-fairness-demographic_parity_difference-sex"
    (risk,) = result["risks"][:1]
    assert fail["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    assert risk["title"] == "RISK-1: Women are selected less often"
    passed = findings["equalized_odds_difference by sex: pass"]
    assert passed["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    props = [p["value"] for p in fail["props"] if p["name"] == "framework-item"]
    assert "nist-ai-rmf-1.0 MEASURE 2.11" in props


def test_insufficient_evidence_is_not_satisfied(
    ws: g.Workspace, clock: Clock, oscal_ar: Any
) -> None:
    clock.advance(hours=1)
    g.add_evidence(
        ws,
        kind="robustness",
        data=b"a report",
        media_type="text/plain",
        system="adult-income",
        model_version="1",
        summary={"verdict": "insufficient evidence"},
    )
    doc = oscal_assessment_results(ws, "adult-income")
    assert errors(oscal_ar, doc) == []
    (result,) = doc["assessment-results"]["results"]
    (finding,) = [f for f in result["findings"] if "robustness" in f["target"]["target-id"]]
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert finding["target"]["status"]["reason"] == "other"


def test_uuids_are_deterministic_and_unique(ws: g.Workspace) -> None:
    doc = oscal_assessment_results(ws, "adult-income")
    again = oscal_assessment_results(ws, "adult-income")
    assert doc == again
    ids = _uuids(doc)
    assert len(ids) == len(set(ids))
    assert all(uuid.UUID(i).version == 5 for i in ids)


def test_superseded_evidence_is_left_out(ws: g.Workspace, clock: Clock) -> None:
    clock.advance(hours=1)
    g.add_evidence(ws, kind="model_card", data=b"# v2\n", supersedes="EV-2", reason="typo")
    ar = oscal_assessment_results(ws, "adult-income")["assessment-results"]
    titles = [o["title"] for o in ar["results"][0]["observations"]]
    assert not any(t.startswith("EV-2:") for t in titles)
    assert any(t.startswith("EV-4:") for t in titles)


def test_no_evidence_no_assessment_results(db_url: str, tmp_path: Any) -> None:
    ws = g.init_workspace(tmp_path / "p", db_url=db_url, user="ada")
    try:
        g.add_system(ws, "bare", purpose="Nothing recorded", owner="ada")
        with pytest.raises(InputError, match="no current evidence"):
            oscal_assessment_results(ws, "bare")
        with pytest.raises(InputError, match="no open risk"):
            oscal_poam(ws, "bare")
    finally:
        ws.close()


def test_poam_validates_and_plans_the_open_risks(ws: g.Workspace, oscal_poam_schema: Any) -> None:
    doc = oscal_poam(ws, "adult-income")
    assert errors(oscal_poam_schema, doc) == []
    assert oscal_validator().is_valid(doc)
    poam = doc["plan-of-action-and-milestones"]
    (item,) = poam["poam-items"]  # RISK-2 is closed
    assert item["title"] == "RISK-1: Women are selected less often"
    (risk,) = poam["risks"]
    assert item["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    assert risk["deadline"] == "2025-04-30T00:00:00Z"
    assert risk["status"] == "open"
    facets = {f["name"]: f["value"] for f in risk["characterizations"][0]["facets"]}
    assert facets == {"likelihood": "4", "impact": "3", "risk": "high"}
    plans = {r["title"]: r for r in risk["remediations"]}
    assert plans["ACT-1: Retrain with reweighing"]["lifecycle"] == "planned"
    assert plans["ACT-2: Write the monitoring spec"]["lifecycle"] == "completed"
    (task,) = plans["ACT-1: Retrain with reweighing"]["tasks"]
    assert task["timing"] == {"on-date": {"date": "2025-04-15T00:00:00Z"}}
    parties = {p["uuid"]: p for p in poam["metadata"]["parties"]}
    owner = parties[task["responsible-roles"][0]["party-uuids"][0]]
    assert (owner["name"], owner["type"]) == ("eve", "person")  # owners are workspace users
    assert any(p["name"] == "ada" and p["type"] == "person" for p in parties.values())


def test_the_validators_reject_broken_documents(
    ws: g.Workspace, oscal_ar: Any, oscal_poam_schema: Any
) -> None:
    doc = oscal_assessment_results(ws, "adult-income")
    broken = copy.deepcopy(doc)
    del broken["assessment-results"]["results"][0]["findings"][0]["target"]
    assert any("'target' is a required property" in e for e in errors(oscal_ar, broken))
    broken = copy.deepcopy(doc)
    broken["assessment-results"]["uuid"] = "not-a-uuid"
    assert errors(oscal_ar, broken)
    broken = copy.deepcopy(doc)
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "1 bad"
    assert errors(oscal_ar, broken)
    poam = oscal_poam(ws, "adult-income")
    poam["plan-of-action-and-milestones"]["poam-items"] = []
    assert errors(oscal_poam_schema, poam)  # a POA&M needs at least one item


def test_token_pattern_translation() -> None:
    from schema_validators import ecma_to_python

    pattern = re.compile(ecma_to_python(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$"))
    for ok in ("assay-fairness-x", "_x.1", "Données"):
        assert pattern.search(ok)
    for bad in ("1abc", "a b", "-x", ""):
        assert not pattern.search(bad)


def test_write_system_exports_writes_every_document(
    ws: g.Workspace, tmp_path: Any, cdx: Any, oscal_ar: Any, oscal_poam_schema: Any
) -> None:
    import json

    from assay.exports import write_system_exports

    written = write_system_exports(ws, "adult-income", tmp_path / "out")
    assert [p.name for p in written.paths] == [
        "adult-income.cdx.json",
        "adult-income.coverage.json",
        "adult-income.coverage.md",
        "adult-income.oscal-ar.json",
        "adult-income.oscal-poam.json",
        "adult-income.soa.md",
        "adult-income.soa.html",
        "adult-income.soa.csv",
    ]
    assert written.statement is not None
    assert written.statement.systems == ("adult-income",)
    assert errors(cdx, json.loads(written.cyclonedx.read_text("utf-8"))) == []
    assert written.assessment_results is not None
    assert errors(oscal_ar, json.loads(written.assessment_results.read_text("utf-8"))) == []
    assert written.poam is not None
    assert errors(oscal_poam_schema, json.loads(written.poam.read_text("utf-8"))) == []
    coverage = json.loads(written.coverage_json.read_text("utf-8"))
    assert coverage["system"] == "adult-income"
    assert written.coverage.get("nist").count("covered") > 2

"""Incidents and the first-hours evidence bundle."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from gov_helpers import Clock, credit_system, fairness_result

from assay import governance as g
from assay.errors import InputError, TransitionError


def test_incident_lifecycle(ws: g.Workspace, clock: Clock) -> None:
    credit_system(ws)
    with pytest.raises(InputError, match="detected before it occurred"):
        g.open_incident(
            ws,
            title="x",
            severity="sev2",
            occurred_at="2025-03-03T10:00",
            detected_at="2025-03-03T09:00",
            systems=["credit"],
        )
    with pytest.raises(InputError, match=r"The incident occurred in the future \(2099"):
        g.open_incident(
            ws, title="x", severity="sev2", occurred_at="2099-01-01", systems=["credit"]
        )
    with pytest.raises(InputError, match="The incident was detected in the future"):
        g.open_incident(ws, title="x", severity="sev2", occurred_at="2025-03-02T10:00",
                        detected_at="2099-01-01", systems=["credit"])  # fmt: skip
    with pytest.raises(InputError, match="at least one affected system"):
        g.open_incident(ws, title="x", severity="sev2", occurred_at="2025-03-02T10:00")
    inc = g.open_incident(
        ws,
        title="Approval rate collapse for applicants under 25",
        severity="sev2",
        occurred_at="2025-03-02T08:00",
        model_versions=["credit:1"],
        dataset_versions=["adult@2024-01"],
        cohorts=["age<25"],
    )
    assert (inc.ref, inc.status, inc.commander) == ("INC-1", "open", "ada")
    assert (inc.systems, inc.model_versions, inc.dataset_versions) == (
        ("credit",),
        ("credit:credit@1",),
        ("adult@2024-01",),
    )
    assert inc.detected_at == ws.now()
    risk = g.add_risk(
        ws, system="credit", title="Age drift", category="7.3", likelihood=3, severity=4, owner="cy"
    )
    inc = g.update_incident(
        ws,
        inc.ref,
        immediate_mitigations="Rolled back to v0",
        add_cohorts=["region=EU"],
        add_risks=[risk.ref],
        status="mitigated",
    )
    assert (inc.status, inc.affected_cohorts, inc.risks) == (
        "mitigated",
        ["age<25", "region=EU"],
        (1,),
    )
    clock.advance(hours=1)
    inc = g.add_timeline_entry(ws, inc.ref, "Paged the on-call analyst", at="2025-03-03T09:05")
    assert [e.entry for e in inc.timeline] == ["Paged the on-call analyst"]
    with pytest.raises(TransitionError, match="without a root cause and a postmortem"):
        g.close_incident(ws, inc.ref)
    with pytest.raises(TransitionError, match="corrective action"):
        g.close_incident(ws, inc.ref, root_cause="Upstream schema change", postmortem="...")
    g.add_action(
        ws,
        title="Schema contract test",
        owner="cy",
        due_date="2025-03-20",
        incident=inc.ref,
        risk=risk.ref,
    )
    closed = g.close_incident(
        ws,
        inc.ref,
        root_cause="Upstream schema change",
        postmortem="Blameless review held 2025-03-04",
    )
    assert (closed.status, closed.actions) == ("closed", (1,))


def test_bundle_gathers_what_the_first_hours_need(
    ws: g.Workspace, clock: Clock, tmp_path: Path
) -> None:
    credit_system(ws)
    g.update_system(ws, "credit", generative=True)
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Explain the decision to the applicant.")
    g.add_component(ws, "credit", "prompt", "explainer", "2", path=prompt)
    evaluation = g.record_evaluation(
        ws,
        fairness_result(),
        kind="fairness",
        system="credit",
        model_version="1",
        code_commit="c" * 40,
    )
    inside = g.add_evidence(
        ws,
        kind="drift",
        data=b'{"psi": 0.4}',
        system="credit",
        observed_from="2025-03-01T00:00",
        observed_to="2025-03-02T00:00",
    )
    g.add_evidence(
        ws,
        kind="drift",
        data=b'{"psi": 0.01}',
        system="credit",
        observed_from="2025-01-01T00:00",
        observed_to="2025-01-02T00:00",
    )
    g.add_system(ws, "other", purpose="p", owner="cy")
    g.add_evidence(ws, kind="fairness", data=b"{}", system="other")
    g.request_waiver(
        ws,
        system="credit",
        control="dp",
        rationale="r",
        compensating_controls="c",
        residual_risk="m",
        expires_on="2025-04-01",
    )
    inc = g.open_incident(
        ws, title="Complaints", severity="sev3", occurred_at="2025-03-02T08:00", systems=["credit"]
    )
    clock.advance(hours=3)
    bundle = g.bundle_incident(ws, inc.ref, out=tmp_path / "bundle.zip")
    assert bundle.evidence.kind == "incident_bundle"
    assert bundle.sha256 == hashlib.sha256(bundle.path.read_bytes()).hexdigest()
    with zipfile.ZipFile(bundle.path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"]
        refs = [e["ref"] for e in json.loads(zf.read("evidence.json"))]
        models = json.loads(zf.read("model_versions.json"))
        datasets = json.loads(zf.read("dataset_versions.json"))
        components = json.loads(zf.read("components.json"))
        waivers = json.loads(zf.read("waivers.json"))
        # files are named by their record, not by hash (the manifest has the hashes)
        (path,) = [n for n in names if n.startswith(f"evidence/{evaluation.ref}-")]
        assert path.endswith(".json")
        assert zf.read(path) == g.evidence_content(ws, evaluation.ref)
    assert {e["path"] for e in manifest["files"]} == names - {"manifest.json"}
    assert refs == [evaluation.ref, inside.ref]
    assert [m["version"] for m in models] == ["1"]
    assert [d["name"] for d in datasets] == ["adult"]
    assert [c["name"] for c in components] == ["explainer"]
    assert len(waivers) == 1
    assert f"components/explainer-{components[0]['content_sha256'][:12]}" in names
    assert not [n for n in names if n.startswith("blobs/")]
    first = g.get_incident(ws, inc.ref).first_bundle_at
    assert first == ws.now()
    clock.advance(hours=5)
    g.bundle_incident(ws, inc.ref, out=tmp_path / "again.zip")
    assert g.get_incident(ws, inc.ref).first_bundle_at == first
    assert g.verify_audit(ws, blobs=True).ok

"""CycloneDX 1.6 ML-BOM: valid against the official schema, numbers traced to the evidence."""

from __future__ import annotations

import json
from typing import Any

import pytest
from export_helpers import ARTIFACT, Clock
from schema_validators import errors

from assay import governance as g
from assay.errors import InputError
from assay.exports import cyclonedx_bom, performance_metrics


def _model(bom: dict[str, Any]) -> dict[str, Any]:
    (model,) = [c for c in bom["components"] if c["type"] == "machine-learning-model"]
    return model


def _metric(bom: dict[str, Any], name: str, slice_: str | None = None) -> dict[str, Any]:
    metrics = _model(bom)["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    (found,) = [m for m in metrics if m["type"] == name and m.get("slice") == slice_]
    return found


def test_the_bom_validates_against_the_cyclonedx_1_6_schema(ws: g.Workspace, cdx: Any) -> None:
    bom = cyclonedx_bom(ws, "adult-income")
    assert errors(cdx, bom) == []
    assert (bom["bomFormat"], bom["specVersion"], bom["version"]) == ("CycloneDX", "1.6", 1)
    # The two constraints the library's copy of the schema relaxed (see the schemas README).
    assert bom["$schema"] == "http://cyclonedx.org/schema/bom-1.6.schema.json"
    assert isinstance(bom["version"], int)


def test_the_model_card_carries_the_latest_fairness_metrics(ws: g.Workspace) -> None:
    bom = cyclonedx_bom(ws, "adult-income")
    # By construction of the data: women 40 of 400 selected, men 180 of 600, 220 of 1000 overall.
    assert _metric(bom, "selection_rate")["value"] == "0.22"
    assert _metric(bom, "selection_rate", "sex=Female")["value"] == "0.1"
    assert _metric(bom, "selection_rate", "sex=Male")["value"] == "0.3"
    # Women: 30 true positives, 10 false positives, 330 true negatives of 400 -> accuracy 0.9.
    assert _metric(bom, "accuracy", "sex=Female")["value"] == "0.9"
    ci = _metric(bom, "selection_rate", "sex=Female")["confidenceInterval"]
    assert float(ci["lowerBound"]) < 0.1 < float(ci["upperBound"])
    assert float(_metric(bom, "demographic_parity_difference", "by sex")["value"]) == (
        pytest.approx(0.2)
    )
    card = _model(bom)["modelCard"]
    ev = g.get_evidence(ws, "EV-1")
    props = {p["name"]: p["value"] for p in card["properties"]}
    assert props["assay:model-card:metrics-evidence"] == "EV-1"
    assert props["assay:model-card:metrics-evidence-sha256"] == ev.blob_sha256
    assert card["modelParameters"]["datasets"] == [{"ref": "dataset:adult@1"}]
    assert card["modelParameters"]["task"] == "classification"


def test_every_metric_is_a_number_of_the_recorded_result(
    ws: g.Workspace, result: dict[str, Any]
) -> None:
    stored = json.loads(g.evidence_content(ws, "EV-1"))
    values = {
        (name, g_["group"].get("sex", "")): est["value"]
        for g_ in [stored["overall"], *stored["groups"]]
        for name, est in g_["metrics"].items()
    }
    for m in performance_metrics(stored):
        if m.get("slice", "").startswith("by "):
            continue
        sex = m.get("slice", "").removeprefix("sex=")
        assert float(m["value"]) == values[(m["type"], sex)]


def test_considerations_come_from_the_system_and_the_register(ws: g.Workspace) -> None:
    considerations = _model(cyclonedx_bom(ws, "adult-income"))["modelCard"]["considerations"]
    assert considerations["useCases"] == ["Ranking applications for manual review."]
    assert considerations["technicalLimitations"][0] == (
        "Out of scope: Automated rejection of applicants."
    )
    # RISK-2 is closed, so only RISK-1 is an ethical consideration.
    assert considerations["ethicalConsiderations"] == [
        {
            "name": "RISK-1 Women are selected less often (high, open)",
            "mitigationStrategy": "Reweigh the training data",
        }
    ]
    (fair,) = considerations["fairnessAssessments"]
    assert fair["groupAtRisk"].startswith("sex=Female (lowest selection_rate")
    assert fair["harms"].startswith("demographic_parity_difference:")


def test_hashes_and_references_come_from_registered_values(ws: g.Workspace) -> None:
    bom = cyclonedx_bom(ws, "adult-income")
    model = _model(bom)
    assert model["hashes"] == [{"alg": "SHA-256", "content": ARTIFACT}]
    assert model["externalReferences"][0]["url"] == "models:/adult-income/1"
    (data,) = [c for c in bom["components"] if c["type"] == "data"]
    digest = g.get_dataset_version(ws, "adult@1").digest
    assert data["hashes"] == [{"alg": "SHA-256", "content": digest.removeprefix("sha256:")}]
    assert data["externalReferences"] == [
        {"type": "distribution", "url": "https://archive.ics.uci.edu/dataset/2/adult"}
    ]
    assert bom["dependencies"][:2] == [
        {"ref": "system:adult-income", "dependsOn": ["model:adult-income@1"]},
        {"ref": "model:adult-income@1", "dependsOn": ["dataset:adult@1"]},
    ]


def test_no_external_reference_without_a_registered_uri(
    db_url: str, tmp_path: Any, cdx: Any
) -> None:
    ws = g.init_workspace(tmp_path / "p", db_url=db_url, user="ada")
    try:
        g.add_system(ws, "bare", purpose="A system with no model yet", owner="ada")
        bom = cyclonedx_bom(ws, "bare")
        assert errors(cdx, bom) == []
        assert bom["components"] == []
        g.add_dataset_version(ws, "d", "1", digest="sha256:" + "ab" * 32, source="a spreadsheet")
        g.add_model_version(ws, "bare", "1", training_datasets=["d@1"])
        bom = cyclonedx_bom(ws, "bare")
        assert errors(cdx, bom) == []
        assert "externalReferences" not in json.dumps(bom)
        assert "hashes" not in _model(bom)
        assert "quantitativeAnalysis" not in _model(bom)["modelCard"]
    finally:
        ws.close()


def test_re_export_is_identical_and_changes_with_the_records(ws: g.Workspace, clock: Clock) -> None:
    first = cyclonedx_bom(ws, "adult-income")
    assert cyclonedx_bom(ws, "adult-income") == first
    assert first["metadata"]["timestamp"] == "2025-03-03T12:00:00Z"  # the latest record's time
    clock.advance(days=1)
    g.add_evidence(ws, kind="robustness", data=b"{}", system="adult-income", model_version="1")
    second = cyclonedx_bom(ws, "adult-income")
    assert second["serialNumber"] != first["serialNumber"]
    assert second["metadata"]["timestamp"] == "2025-03-04T13:00:00Z"


def test_choosing_a_model_version(ws: g.Workspace, cdx: Any) -> None:
    g.add_model_version(ws, "adult-income", "2", training_datasets=["adult@1"])
    latest = cyclonedx_bom(ws, "adult-income")
    assert _model(latest)["version"] == "2"
    assert "quantitativeAnalysis" not in _model(latest)["modelCard"]  # no evaluation of v2 yet
    first = cyclonedx_bom(ws, "adult-income", model_version="adult-income@1")
    assert _model(first)["version"] == "1"
    assert errors(cdx, latest) == []
    assert errors(cdx, first) == []
    with pytest.raises(InputError, match="no model version '7'; it has: adult-income@1"):
        cyclonedx_bom(ws, "adult-income", model_version="7")


def test_intersectional_slices_name_features_in_the_order_evaluated() -> None:
    result = {
        "overall": {"metrics": {}},
        "groups": [
            {
                "by": ["sex", "race"],
                "group": {"race": "Black", "sex": "Female"},  # keys sorted, as stored
                "metrics": {"accuracy": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}},
            }
        ],
    }
    (metric,) = performance_metrics(result)
    assert metric == {
        "type": "accuracy",
        "value": "0.5",
        "slice": "sex=Female, race=Black",
        "confidenceInterval": {"lowerBound": "0.4", "upperBound": "0.6"},
    }

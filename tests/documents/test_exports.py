"""Exports validated offline against the ecosystem's own parsers and vocabularies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay import documents as d
from assay import governance as g

VOCAB = Path(__file__).parents[1] / "data" / "croissant" / "rai-vocabulary.json"


def test_huggingface_card_parses_with_huggingface_hub(
    ws: g.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub = pytest.importorskip("huggingface_hub")
    card = d.build_model_card(ws, "adult-income")
    readme = d.huggingface_model_card(card)
    parsed = hub.ModelCard(readme)  # parses YAML metadata and the model-index; no network
    assert parsed.data.model_name == "adult-income@1"
    results = {r.metric_name: r.metric_value for r in parsed.data.eval_results}
    female = card.data["metrics"]["sex"]["sex=Female"]["selection_rate"]
    name = f"Selection rate (sex=Female, 95% CI [{female['ci_low']:.3f}, {female['ci_high']:.3f}])"
    assert results[name] == round(female["value"], 6)
    assert parsed.data.datasets == ["adult@1"]
    assert "## 6. Metrics by group" in parsed.text


def test_croissant_rai_validates_with_mlcroissant(ws: g.Workspace) -> None:
    d.write_sections(
        ws,
        "datasheet",
        "adult@1",
        sections={
            "collection": "Extracted from the 1994 US census.",
            "known_gaps": "Few rows for some races.",
            "maintenance": "Frozen; not maintained.",
        },
        fields={"license": "cc-by-4.0"},
    )
    doc = d.croissant_jsonld(d.build_datasheet(ws, "adult@1"))
    vocabulary = set(json.loads(VOCAB.read_text(encoding="utf-8"))["terms"])
    used = {k.removeprefix("rai:") for k in doc if k.startswith("rai:")}
    assert used == {"dataCollection", "dataLimitations", "dataBiases", "dataReleaseMaintenancePlan"}
    assert used <= vocabulary
    assert doc["distribution"][0]["sha256"] == g.get_dataset_version(ws, "adult@1").digest[7:]
    mlc = pytest.importorskip("mlcroissant")
    dataset = mlc.Dataset(jsonld=doc)  # raises ValidationError on any error; offline
    assert dataset.metadata.data_collection == "Extracted from the 1994 US census."
    assert dataset.metadata.data_limitations == ["Few rows for some races."]
    assert [f.name for f in dataset.metadata.record_sets[0].fields] == ["age", "sex", "income"]

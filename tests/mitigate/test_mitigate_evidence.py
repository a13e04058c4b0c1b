"""A mitigation filed as evidence: its kind is registered, a risk can cite it, and the model card
and risk assessment show the chosen trade-off with its cost (before and after, with intervals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mitigate_data import FEATURES, biased_split

from assay import governance as g
from assay.documents import build_model_card, build_risk_assessment, render_document
from assay.mitigate import MITIGATION_SCHEMA, MitigationResult, mitigate
from assay.policy import evidence_kind, kind_for_schema
from assay.render import estimate


@pytest.fixture(scope="module")
def result() -> MitigationResult:
    split = biased_split()
    return mitigate(
        split.model, split.train, split.test, y_true="y", sensitive_features="sex",
        features=FEATURES, tolerance=0.05, tolerances=[0.02, 0.05, 0.1], limit=0.1,
        n_bootstrap=100,
    ).result  # fmt: skip


def _workspace(tmp_path: Path) -> g.Workspace:
    ws = g.init_workspace(tmp_path / "project", user="ada")
    g.add_system(ws, "credit", purpose="Scores applications", owner="ada")
    g.add_model_version(ws, "credit", "1")
    return ws


def test_mitigation_is_a_registered_evaluation_kind() -> None:
    kind = evidence_kind("mitigation")
    assert kind.schema == MITIGATION_SCHEMA == "assay.mitigation/v1"
    assert kind_for_schema(MITIGATION_SCHEMA) is kind


def test_the_model_card_shows_the_trade_off_and_its_cost(
    tmp_path: Path, result: MitigationResult
) -> None:
    ws = _workspace(tmp_path)
    without = render_document(build_model_card(ws, "credit"), "md").decode()
    assert "Mitigation" not in without
    record = g.record_evaluation(
        ws, result.to_dict(), kind="mitigation", system="credit", model_version="1"
    )
    card = build_model_card(ws, "credit")
    text = render_document(card, "md").decode()
    section = text.split("Mitigation\n", 1)[1]
    payload = result.to_dict()
    for side in ("before", "after"):
        for key in ("accuracy", "disparity"):
            assert estimate(payload[side][key]).text in section, (side, key)
    assert "tolerance 0.05" in section
    assert f"{record.ref} (mitigation" in section
    assert record.ref in [c["ref"] for c in card.data["cited"]]
    assert "<svg" in render_document(card, "html").decode().split('id="mitigation"', 1)[1]


def test_a_risk_cites_the_mitigation_in_the_risk_assessment(
    tmp_path: Path, result: MitigationResult
) -> None:
    ws = _workspace(tmp_path)
    record = g.record_evaluation(
        ws, result.to_dict(), kind="mitigation", system="credit", model_version="1"
    )
    risk = g.add_risk(
        ws, system="credit", title="Selection rates differ by sex", category="mit:1.1",
        likelihood=4, severity=4, owner="ada", mitigations="Per-group thresholds.",
    )  # fmt: skip
    text = render_document(build_risk_assessment(ws, "credit"), "md").decode()
    assert "no risk cites it yet" in text  # the latest mitigation, with how to cite it
    g.link_risk_evidence(ws, risk.ref, record.ref)
    text = render_document(build_risk_assessment(ws, "credit"), "md").decode()
    section = text.split("Mitigation evidence", 1)[1]
    assert f"{risk.ref} (Selection rates differ by sex) cites {record.ref}" in section
    after: Any = result.after
    assert estimate(after["disparity"]).text in section
    assert "no risk cites it yet" not in section

"""Fairness reports of multiclass and regression results: per-class tables, confusion matrices,
regression verdicts; every number from the result."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from assay.documents import render_fairness_html, render_fairness_markdown
from assay.evaluate import fairness


@pytest.fixture(scope="module")
def multiclass() -> dict[str, object]:
    rng = np.random.default_rng(2)
    n = 1200
    y = rng.choice(["low", "mid", "high"], n)
    p = np.where(rng.random(n) < 0.7, y, rng.choice(["low", "mid", "high"], n))
    frame = pl.DataFrame({"y": y, "p": p, "g": rng.choice(["a", "b"], n)})
    return fairness(
        frame, y_true="y", y_pred="p", sensitive_features="g", n_bootstrap=100,
        thresholds={"selection_rate_difference": 0.1},
    ).to_dict()  # fmt: skip


def test_markdown_shows_classes_matrices_and_summaries(multiclass: dict[str, object]) -> None:
    text = render_fairness_markdown(multiclass)
    for c in ("low", "mid", "high"):
        assert f"### Class {c} (one-vs-rest)" in text
        assert f"| g · class {c} |" in text
    assert "| g | true class | predicted high | predicted low | predicted mid |" in text
    a = next(e for e in multiclass["groups"] if e["group"] == {"g": "a"})  # type: ignore[attr-defined]
    first = a["confusion_matrix"]["counts"][0]
    assert f"| a | high | {first[0]:,} | {first[1]:,} | {first[2]:,} |" in text
    assert "Macro F1" in text
    assert "Selection rate (class" in text


def test_html_has_the_same_sections(multiclass: dict[str, object]) -> None:
    html = render_fairness_html(multiclass)
    assert "<h3>Class mid (one-vs-rest)</h3>" in html
    assert "<h3>Confusion matrices</h3>" in html
    assert "<script" not in html


def test_regression_report_shows_its_verdicts() -> None:
    rng = np.random.default_rng(3)
    g = rng.choice(["a", "b"], 1000)
    y = rng.normal(10, 2, 1000)
    result = fairness(
        pl.DataFrame({"g": g, "y": y, "p": y + rng.normal(np.where(g == "a", 0, 1), 1)}),
        y_true="y", y_pred="p", sensitive_features="g", task="regression",
        thresholds={"mean_residual_difference": 0.2},
    ).to_dict()  # fmt: skip
    text = render_fairness_markdown(result)
    assert "✕ **Fail** | Mean residual difference | g |" in text

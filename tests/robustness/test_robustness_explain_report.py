"""Explanations (against scikit-learn's permutation importance) and the rendered reports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from assay.errors import SchemaError
from assay.robustness import (
    ExplanationResult,
    explain,
    render_explanation_html,
    render_explanation_markdown,
    render_robustness_html,
    render_robustness_markdown,
    run_robustness,
)


class Threshold:
    """Predicts 1 exactly when x1 > 0: x1 is everything, x2 nothing."""

    classes_ = np.array([0, 1])
    feature_names_in_ = np.array(["x1", "x2"])

    def fit(self, x: Any, y: Any) -> Threshold:
        return self

    def predict_proba(self, x: Any) -> np.ndarray:
        p = (np.asarray(x["x1"], dtype=float) > 0).astype(float) * 0.8 + 0.1
        return np.column_stack([1 - p, p])

    def predict(self, x: Any) -> np.ndarray:
        return (np.asarray(x["x1"], dtype=float) > 0).astype(int)

    def score(self, x: Any, y: Any) -> float:
        return float(np.mean(self.predict(x) == np.asarray(y)))


def threshold_frame(n: int = 1500) -> pl.DataFrame:
    rng = np.random.default_rng(5)
    x1 = rng.normal(size=n)
    return pl.DataFrame(
        {
            "x1": x1,
            "x2": rng.normal(size=n),
            "g": rng.choice(["a", "b"], size=n),
            "y": (x1 > 0).astype(np.int64),
        }
    )


def test_permutation_importance_agrees_with_scikit_learn() -> None:
    from sklearn.inspection import permutation_importance

    data = threshold_frame()
    result = explain(
        Threshold(), data, y_true="y", sensitive_features="g", n_repeats=10, max_rows=1500,
        shap=False,
    )  # fmt: skip
    ours = {
        e["feature"]: e["importance"]["value"] for e in result.to_dict()["permutation"]["overall"]
    }
    ref = permutation_importance(
        Threshold(), data.select("x1", "x2").to_pandas(), data["y"].to_numpy(), n_repeats=10,
        random_state=0,
    )  # fmt: skip
    # shuffling x1 leaves about half the decisions right: importance ≈ 0.5; x2 is unused
    assert ours["x1"] == pytest.approx(ref.importances_mean[0], abs=0.03)
    assert ours["x1"] == pytest.approx(0.5, abs=0.05)
    assert ours["x2"] == 0.0 == pytest.approx(ref.importances_mean[1])
    by_group = result.importances("g")
    assert set(by_group.columns) == {"feature", "a", "b"}
    again = ExplanationResult.from_json(result.to_json())
    assert again.to_dict() == result.to_dict()


def test_shap_summary_when_installed() -> None:
    pytest.importorskip("shap")
    result = explain(
        Threshold(), threshold_frame(400), y_true="y", sensitive_features="g", n_repeats=2,
        max_rows=200, shap=True, shap_rows=30,
    )  # fmt: skip
    shap = result.to_dict()["shap"]
    assert shap["status"] == "ok"
    assert shap["overall"][0]["feature"] == "x1"
    assert shap["overall"][1]["mean_abs_shap"] == pytest.approx(0.0, abs=1e-12)


def test_reports_are_self_contained_and_show_every_probe() -> None:
    data = threshold_frame()
    scenario = {
        "probes": [
            {"kind": "gaussian_noise", "name": "Noise <b>bold</b>"},
            {"kind": "missing_values", "features": ["absent"]},
            {"kind": "counterfactual", "feature": "g"},
        ]
    }
    result = run_robustness(Threshold(), data, y_true="y", sensitive_features="g",
                            scenario=scenario).to_dict()  # fmt: skip
    explanation = explain(Threshold(), data, y_true="y", sensitive_features="g", n_repeats=2,
                          max_rows=300, shap=False).to_dict()  # fmt: skip
    html = render_robustness_html(result, explanation=explanation, title="Loan model")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert not re.search(r'(src|href)="https?://', html)
    assert "Noise &lt;b&gt;bold&lt;/b&gt;" in html  # names from scenarios are escaped
    assert "&#39;absent&#39;" in html or "'absent'" in html  # the errored probe's reason
    assert html.count("<svg") >= 3
    assert "Permutation importance" in html
    md = render_robustness_markdown(result, explanation=explanation)
    assert md.startswith("# Robustness and stress-test report")
    assert "| Grouping | Group | n |" in md
    assert "Errored" in md
    standalone = render_explanation_html(explanation)
    assert "<svg" in standalone
    assert "<script" not in standalone
    assert render_explanation_markdown(explanation).startswith("# Feature importance")
    with pytest.raises(SchemaError):
        render_robustness_html(explanation)


@pytest.mark.browser
def test_chromium_renders_the_report(tmp_path: Path) -> None:
    data = threshold_frame(600)
    result = run_robustness(
        Threshold(), data, y_true="y", sensitive_features="g",
        scenario={"probes": [{"kind": "gaussian_noise"},
                             {"kind": "counterfactual", "feature": "g"}]},
    ).to_dict()  # fmt: skip
    page = tmp_path / "report.html"
    page.write_text(render_robustness_html(result), encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        [shutil.which("chromium") or "/usr/bin/chromium", "--headless", "--no-sandbox",
         "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2400", page.as_uri()],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 50_000  # a page of text, tables and charts, not a blank canvas

"""Per-group values against Fairlearn's MetricFrame and scikit-learn on Adult, trained model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    roc_auc_score,
)

from assay.evaluate import fairness

TOL = 1e-9


def _npv(y_true: Any, y_pred: Any, **kw: Any) -> float:
    return precision_score(
        1 - np.asarray(y_true), 1 - np.asarray(y_pred), zero_division=np.nan, **kw
    )


def _fdr(y_true: Any, y_pred: Any, **kw: Any) -> float:
    return 1 - precision_score(y_true, y_pred, zero_division=np.nan, **kw)


def _for(y_true: Any, y_pred: Any, **kw: Any) -> float:
    return 1 - _npv(y_true, y_pred, **kw)


def _prevalence(y_true: Any, y_pred: Any, **kw: Any) -> float:
    w = kw.get("sample_weight")
    return float(np.average(np.asarray(y_true), weights=w))


LABEL_METRICS = {
    "prevalence": _prevalence,
    "selection_rate": selection_rate,
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "tnr": true_negative_rate,
    "ppv": lambda y, p, **kw: precision_score(y, p, zero_division=np.nan, **kw),
    "npv": _npv,
    "fdr": _fdr,
    "for": _for,
    "f1": f1_score,
}
SCORE_METRICS = {
    "roc_auc": roc_auc_score,
    "average_precision": average_precision_score,
    "brier_score": brier_score_loss,
}


@pytest.fixture(scope="module")
def scored(adult_scored: Path) -> pl.DataFrame:
    frame = pl.read_parquet(adult_scored)
    return frame.with_columns(
        y=(pl.col("income") == ">50K").cast(pl.Int64),
        pred=(pl.col("score") >= 0.5).cast(pl.Int64),
        weight=pl.Series(np.random.default_rng(7).uniform(0.2, 3.0, frame.height)),
    )


def _assay_by_group(result: Any, by: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out = {}
    for g in result.to_dict()["groups"]:
        if g["by"] == by:
            out[tuple(g["group"][f] for f in by)] = {k: v["value"] for k, v in g["metrics"].items()}
    return out


def _compare(
    ours: dict[tuple[Any, ...], dict[str, Any]], frame: pd.DataFrame, names: list[str]
) -> None:
    assert len(ours) == len(frame)
    for key, row in frame.iterrows():
        key_t = key if isinstance(key, tuple) else (key,)
        for name in names:
            expected = row[name]
            got = ours[key_t][name]
            if np.isnan(expected):
                assert got is None, (key_t, name)
            else:
                assert got == pytest.approx(expected, abs=TOL, rel=0), (key_t, name, got, expected)


@pytest.mark.parametrize("by", [["sex"], ["race"], ["sex", "race"]])
def test_label_metrics_equal_metricframe(scored: pl.DataFrame, by: list[str]) -> None:
    result = fairness(scored, y_true="y", y_pred="pred", sensitive_features=["sex", "race"])
    pdf = scored.to_pandas()
    mf = MetricFrame(
        metrics=LABEL_METRICS,
        y_true=pdf["y"],
        y_pred=pdf["pred"],
        sensitive_features=pdf[by],
    )
    _compare(_assay_by_group(result, by), mf.by_group, list(LABEL_METRICS))
    overall = result.overall
    for name, value in mf.overall.items():
        assert overall[name] == pytest.approx(value, abs=TOL, rel=0), name


@pytest.mark.parametrize("by", [["sex"], ["race"], ["sex", "race"]])
def test_score_metrics_equal_sklearn_when_exact(scored: pl.DataFrame, by: list[str]) -> None:
    result = fairness(
        scored, y_true="y", y_score="score", sensitive_features=["sex", "race"], score_bins="exact"
    )
    pdf = scored.to_pandas()
    mf = MetricFrame(
        metrics=SCORE_METRICS, y_true=pdf["y"], y_pred=pdf["score"], sensitive_features=pdf[by]
    )
    _compare(_assay_by_group(result, by), mf.by_group, list(SCORE_METRICS))
    # the operating point from scores is the same as from thresholded predictions
    labels = MetricFrame(
        metrics=LABEL_METRICS, y_true=pdf["y"], y_pred=pdf["pred"], sensitive_features=pdf[by]
    )
    _compare(_assay_by_group(result, by), labels.by_group, list(LABEL_METRICS))


def test_weighted_metrics_equal_metricframe(scored: pl.DataFrame) -> None:
    result = fairness(
        scored,
        y_true="y",
        y_score="score",
        sensitive_features=["race"],
        sample_weight="weight",
        score_bins="exact",
    )
    pdf = scored.to_pandas()
    metrics = LABEL_METRICS | SCORE_METRICS
    y_pred = dict.fromkeys(LABEL_METRICS, pdf["pred"]) | dict.fromkeys(SCORE_METRICS, pdf["score"])
    for name, fn in metrics.items():
        mf = MetricFrame(
            metrics=fn,
            y_true=pdf["y"],
            y_pred=y_pred[name],
            sensitive_features=pdf["race"],
            sample_params={"sample_weight": pdf["weight"]},
        )
        frame = mf.by_group.to_frame(name)
        _compare(_assay_by_group(result, ["race"]), frame, [name])


def test_summaries_equal_fairlearn(scored: pl.DataFrame) -> None:
    result = fairness(scored, y_true="y", y_pred="pred", sensitive_features=["sex", "race"])
    summaries = {tuple(s["by"]): s for s in result.to_dict()["summaries"]}
    pdf = scored.to_pandas()
    for by in (["sex"], ["race"], ["sex", "race"]):
        s = summaries[tuple(by)]
        args = {"y_true": pdf["y"], "y_pred": pdf["pred"], "sensitive_features": pdf[by]}
        assert s["demographic_parity_difference"]["value"] == pytest.approx(
            demographic_parity_difference(**args), abs=TOL
        )
        assert s["demographic_parity_ratio"]["value"] == pytest.approx(
            demographic_parity_ratio(**args), abs=TOL
        )
        assert s["equalized_odds_difference"]["value"] == pytest.approx(
            equalized_odds_difference(**args), abs=TOL
        )
        assert s["equalized_odds_ratio"]["value"] == pytest.approx(
            equalized_odds_ratio(**args), abs=TOL
        )


def test_metricframe_difference_and_ratio(scored: pl.DataFrame) -> None:
    result = fairness(scored, y_true="y", y_pred="pred", sensitive_features=["race"])
    pdf = scored.to_pandas()
    mf = MetricFrame(
        metrics={
            "tpr": true_positive_rate,
            "selection_rate": selection_rate,
            "accuracy": accuracy_score,
        },
        y_true=pdf["y"],
        y_pred=pdf["pred"],
        sensitive_features=pdf["race"],
    )
    diff, ratio = result.difference("race"), result.ratio("race")
    for name in ("tpr", "selection_rate", "accuracy"):
        assert diff[name] == pytest.approx(mf.difference()[name], abs=TOL)
        assert ratio[name] == pytest.approx(mf.ratio()[name], abs=TOL)


def test_ece_and_reliability_match_hand_computation(scored: pl.DataFrame) -> None:
    result = fairness(
        scored, y_true="y", y_score="score", sensitive_features=["sex"], score_bins="exact"
    )
    payload = result.to_dict()
    for sex in ("Female", "Male"):
        part = scored.filter(pl.col("sex") == sex)
        s = part["score"].to_numpy()
        y = part["y"].to_numpy()
        bins = np.minimum(np.floor(s * 10).astype(int), 9)
        plugin = sum(abs(s[bins == j].sum() - y[bins == j].sum()) for j in range(10)) / s.size
        # debiased: each bin's squared gap less the unbiased variance of its mean (y − s)
        debiased = 0.0
        for j in range(10):
            d = (y - s)[bins == j]
            if d.size >= 2:
                debiased += (
                    d.size / s.size * np.sqrt(max(d.mean() ** 2 - d.var(ddof=1) / d.size, 0))
                )
            elif d.size == 1:
                debiased += np.sqrt(max(d[0] ** 2 - 0.25, 0)) / s.size
        got = next(g for g in payload["groups"] if g["group"] == {"sex": sex})
        assert got["metrics"]["ece"]["value"] == pytest.approx(debiased, abs=TOL)
        curve = next(c for c in payload["calibration"] if c["group"] == {"sex": sex})
        assert curve["calibration_test"]["plugin_ece"] == pytest.approx(plugin, abs=TOL)
        for j, entry in enumerate(curve["bins"]):
            inside = bins == j
            assert entry["n"] == int(inside.sum())
            if inside.any():
                assert entry["mean_score"] == pytest.approx(s[inside].mean(), abs=TOL)
                assert entry["fraction_positive"] == pytest.approx(y[inside].mean(), abs=TOL)


def test_binned_auc_within_stated_bound(scored: pl.DataFrame) -> None:
    exact = fairness(
        scored, y_true="y", y_score="score", sensitive_features=["race"], score_bins="exact"
    )
    binned = fairness(
        scored, y_true="y", y_score="score", sensitive_features=["race"], score_bins=1000
    )
    note = next(n for n in binned.to_dict()["notes"] if "at most" in n)
    bound = float(note.split("at most ")[1].rstrip("."))
    for a, b in zip(exact.to_dict()["groups"], binned.to_dict()["groups"], strict=True):
        assert abs(a["metrics"]["roc_auc"]["value"] - b["metrics"]["roc_auc"]["value"]) <= bound


def test_threshold_sweep_matches_direct_computation(scored: pl.DataFrame) -> None:
    result = fairness(
        scored, y_true="y", y_score="score", sensitive_features=["sex"], score_bins="exact"
    )
    sweep = next(s for s in result.to_dict()["threshold_sweep"] if s["by"] == ["sex"])
    for i in (10, 37, 50, 90):
        t = sweep["thresholds"][i]
        for entry in sweep["groups"]:
            part = scored.filter(pl.col("sex") == entry["group"]["sex"])
            pred = part["score"].to_numpy() >= t
            y = part["y"].to_numpy() == 1
            assert entry["metrics"]["selection_rate"][i] == pytest.approx(pred.mean(), abs=TOL)
            assert entry["metrics"]["tpr"][i] == pytest.approx(pred[y].mean(), abs=TOL)
            assert entry["metrics"]["fpr"][i] == pytest.approx(pred[~y].mean(), abs=TOL)

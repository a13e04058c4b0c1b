"""Properties of ``fairness`` that hold for any data, checked with hypothesis.

- the result does not depend on the order of the rows;
- duplicating every row leaves every rate, disparity and curve unchanged and doubles every count;
- the groups of each grouping partition the rows;
- every rate lies in [0, 1] with an interval that contains it; an undefined value has a reason.

Scores, weights and regression values are drawn as multiples of 1/16 (1/4 for regression), so
every sum the engine forms is exact in floating point whatever the order of the rows: the
properties are then exact, and a tie between two groups cannot flip on a rounding difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assay.evaluate import fairness

RATES = (
    "prevalence",
    "selection_rate",
    "accuracy",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "ppv",
    "npv",
    "fdr",
    "for",
)
BOUNDED = (*RATES, "balanced_accuracy", "f1", "roc_auc", "average_precision", "brier_score", "ece")
#: Interval methods whose interval contains the estimate by construction.
ANALYTIC = {"newcombe-hybrid-score", "katz-log", "normal", "normal-delta-log"}
REGRESSION = ("mae", "rmse", "mean_prediction", "mean_residual")
MODES = ("y_pred", "y_score", "y_score binned", "sample_weight", "regression")
LIMITS = {"demographic_parity_difference": 0.2, "equalized_odds_ratio": 0.7}

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A small frame and the fairness() arguments of one mode, always valid input."""
    mode = draw(st.sampled_from(MODES))
    n = draw(st.integers(min_value=6, max_value=60))
    column = lambda elements: draw(st.lists(elements, min_size=n, max_size=n))  # noqa: E731
    frame = pl.DataFrame(
        {
            "y": column(st.integers(0, 1)),
            "pred": column(st.integers(0, 1)),
            "score": [k / 16 for k in column(st.integers(0, 16))],
            "w": [k / 4 for k in column(st.integers(1, 12))],
            "a": column(st.sampled_from(["p", "q", "r", None])),
            "b": column(st.sampled_from(["u", "v"])),
            "target": [k / 4 for k in column(st.integers(-40, 40))],
            "estimate": [k / 4 for k in column(st.integers(-40, 40))],
        },
        schema_overrides={"a": pl.String},
    )
    kwargs: dict[str, Any] = {"sensitive_features": ["a", "b"], "n_bootstrap": 100}
    if mode == "regression":
        return frame, kwargs | {"y_true": "target", "y_pred": "estimate", "task": "regression"}
    kwargs |= {"y_true": "y", "thresholds": LIMITS, "min_group_size": 3}
    if mode == "y_pred":
        return frame, kwargs | {"y_pred": "pred"}
    levels = sorted(set(frame["score"].to_list()))
    assume(len(levels) >= 2)
    kwargs |= {"y_score": "score", "threshold": draw(st.sampled_from(levels[1:]))}
    if mode == "y_score binned":
        kwargs["score_bins"] = 1000
    if mode == "sample_weight":
        kwargs["sample_weight"] = "w"
    return frame, kwargs


@PROPERTY
@given(case=datasets(), data=st.data())
def test_row_order_does_not_matter(
    case: tuple[pl.DataFrame, dict[str, Any]],
    data: st.DataObject,
    assert_same_result: Callable[..., None],
) -> None:
    frame, kwargs = case
    order = data.draw(st.permutations(range(frame.height)), label="order")
    shuffled = frame[list(order)]
    assert_same_result(
        fairness(frame, **kwargs).to_dict(), fairness(shuffled, **kwargs).to_dict(), tol=1e-12
    )


def point_view(payload: Any, factor: int = 1, key: str = "") -> Any:
    """Point values only: intervals, verdicts and anything that depends on n dropped, and every
    row count divided by ``factor``. The ECE is debiased by its sampling noise, which shrinks with
    n, so of it only the plug-in value (in ``calibration_test``) is compared."""
    if isinstance(payload, dict):
        if "value" in payload and "ci_low" in payload:
            if key == "ece":
                return {"undefined": payload.get("undefined")}
            return {"value": payload["value"], "undefined": payload.get("undefined")}
        if payload.get("metric") == "ece":
            return {"metric": "ece"}
        dropped = {"verdicts", "notes", "small", "provenance", "methods", "params", "weights"}
        dropped |= {"p_value"}
        if key == "counts":
            assert all(c % factor == 0 for c in payload.values()), "a cell is not a multiple"
            return {k: c // factor for k, c in payload.items()}
        if key == "sums":  # a regression group's sums are additive over rows
            return {k: v / factor for k, v in payload.items()}
        return {k: point_view(v, factor, k) for k, v in payload.items() if k not in dropped}
    if isinstance(payload, list):
        return [point_view(v, factor, key) for v in payload]
    if key == "n":
        assert payload % factor == 0, "a row count is not a multiple of the duplication"
        return payload // factor
    return payload


@PROPERTY
@given(case=datasets())
def test_duplicating_every_row_keeps_rates_and_doubles_counts(
    case: tuple[pl.DataFrame, dict[str, Any]], assert_same_result: Callable[..., None]
) -> None:
    frame, kwargs = case
    once = fairness(frame, **kwargs).to_dict()
    twice = fairness(pl.concat([frame, frame]), **kwargs).to_dict()
    assert twice["n"] == 2 * once["n"]
    assert_same_result(point_view(once), point_view(twice, factor=2), tol=1e-12)


def estimates(payload: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``{value, ci_low, ci_high[, undefined]}`` in a result, with where it is."""
    if isinstance(payload, dict):
        if "value" in payload and "ci_low" in payload:
            return [(where, payload)]
        return [e for k, v in payload.items() for e in estimates(v, f"{where}/{k}")]
    if isinstance(payload, list):
        return [e for i, v in enumerate(payload) for e in estimates(v, f"{where}[{i}]")]
    return []


def _contains(est: dict[str, Any]) -> bool:
    """ci_low <= value <= ci_high, up to rounding."""
    low, value, high = est["ci_low"], est["value"], est["ci_high"]
    return low is None or high is None or low - 1e-12 <= value <= high + 1e-12


@PROPERTY
@given(case=datasets())
def test_counts_partition_rates_are_bounded_and_undefined_values_say_why(
    case: tuple[pl.DataFrame, dict[str, Any]],
) -> None:
    frame, kwargs = case
    result = fairness(frame, **kwargs).to_dict()
    n = result["n"]
    assert n == frame.height == result["overall"]["n"]

    # the groups of each feature alone, and of their intersection, partition the rows
    for by in (["a"], ["b"], ["a", "b"]):
        assert sum(g["n"] for g in result["groups"] if g["by"] == by) == n, by
    for curve in result["calibration"]:
        assert sum(b["n"] for b in curve["bins"]) == _group_n(result, curve["by"], curve["group"])

    # undefined values are null everywhere and say why; defined ones are finite numbers
    for where, est in estimates(result):
        if est["value"] is None:
            assert est["ci_low"] is None, where
            assert est["ci_high"] is None, where
            assert isinstance(est.get("undefined"), str), where
            assert est["undefined"], where
        else:
            assert math.isfinite(est["value"]), where
            assert "undefined" not in est, where

    # rates lie in [0, 1], inside their Wilson interval (up to rounding), itself inside [0, 1]
    for entry in [result["overall"], *result["groups"]]:
        for name, est in entry["metrics"].items():
            if est["value"] is None:
                continue
            if name in BOUNDED:
                assert 0.0 <= est["value"] <= 1.0, (entry["group"], name, est)
            if name in RATES:
                assert 0.0 <= est["ci_low"] <= est["ci_high"] <= 1.0, (name, est)
                assert _contains(est), (entry["group"], name, est)
            if name in ("mae", "rmse"):
                assert est["value"] >= 0.0, (name, est)
            if name in REGRESSION:
                assert _contains(est), (name, est)

    # disparities with an analytic interval (Newcombe, Katz, normal) contain their estimate
    for d in result["disparities"]:
        for kind in ("difference", "ratio"):
            if d["method"][kind] in ANALYTIC:
                pairs = [d[kind]] + [v[kind] for v in d["vs_reference"]]
                for est in pairs:
                    assert est["value"] is None or _contains(est), (d["metric"], kind, est)
        # max − min is never negative (never above 1 for a bounded metric); min / max is in [0, 1]
        diff, ratio = d["difference"], d["ratio"]
        if diff["ci_low"] is not None:
            assert diff["ci_low"] >= 0.0, (d["metric"], diff)
        if diff["ci_high"] is not None and d["metric"] not in REGRESSION:
            assert diff["ci_high"] <= 1.0, (d["metric"], diff)
        for bound in (ratio["ci_low"], ratio["ci_high"]):
            assert bound is None or 0.0 <= bound <= 1.0, (d["metric"], ratio)
    for rule in result["four_fifths"]:
        if rule["passes"] is None:
            assert rule["undefined"]
        for g in rule.get("groups", []):
            assert _contains(g["impact_ratio"]), g
            # a group's rate over the highest rate: the ratio and its interval lie in [0, 1]
            for bound in (g["impact_ratio"]["ci_low"], g["impact_ratio"]["ci_high"]):
                assert bound is None or 0.0 <= bound <= 1.0, g
            assert g["passes"] == (g["impact_ratio"]["value"] >= 0.8)


def _group_n(result: dict[str, Any], by: list[str], group: dict[str, Any]) -> int:
    if not by:
        return int(result["overall"]["n"])
    (entry,) = [g for g in result["groups"] if g["by"] == by and g["group"] == group]
    return int(entry["n"])


# Deterministic reproductions of engine bugs found while writing these properties.


@pytest.mark.parametrize(("positives", "n"), [(0, 7), (0, 9), (10, 10), (13, 13)])
def test_wilson_interval_includes_an_estimate_of_zero_or_one(positives: int, n: int) -> None:
    y = [1] * positives + [0] * (n - positives)
    frame = pl.DataFrame({"y": y, "pred": y, "g": ["a"] * n})
    result = fairness(frame, y_true="y", y_pred="pred", sensitive_features="g").to_dict()
    for name in ("prevalence", "selection_rate"):
        est = result["overall"]["metrics"][name]
        assert est["ci_low"] <= est["value"] <= est["ci_high"], (name, est)


def test_the_sweep_at_a_grid_threshold_matches_that_operating_threshold() -> None:
    frame = pl.DataFrame({"y": np.arange(101) % 2, "score": np.arange(101) / 100, "g": ["a"] * 101})
    for threshold in (0.35, 0.7):
        result = fairness(
            frame, y_true="y", y_score="score", threshold=threshold, sensitive_features="g"
        ).to_dict()
        sweep = result["threshold_sweep"][0]
        at = round(threshold * 100)
        assert sweep["thresholds"][at] == pytest.approx(threshold, abs=1e-12)
        swept = sweep["groups"][0]["metrics"]["selection_rate"][at]
        assert swept == result["overall"]["metrics"]["selection_rate"]["value"], threshold


def _separated_scores() -> pl.DataFrame:
    """Perfectly ranked scores (ROC AUC 1) with 320 distinct values, 80 of them in [0.500, 0.505):
    more levels than the bootstrap keeps, and a coarse bin where positives and negatives tie."""
    negatives = np.r_[np.linspace(0.05, 0.49, 120), np.linspace(0.5001, 0.5024, 40)]
    positives = np.r_[np.linspace(0.5026, 0.5049, 40), np.linspace(0.51, 0.95, 120)]
    return pl.DataFrame(
        {
            "y": np.r_[np.zeros(160, dtype=np.int64), np.ones(160, dtype=np.int64)],
            "score": np.r_[negatives, positives],
            "g": ["a", "b"] * 160,
        }
    )


def test_score_metric_intervals_stay_within_zero_and_one() -> None:
    result = fairness(
        _separated_scores(), y_true="y", y_score="score", sensitive_features="g"
    ).to_dict()
    for entry in [result["overall"], *result["groups"]]:
        for name in ("roc_auc", "average_precision", "brier_score", "ece"):
            est = entry["metrics"][name]
            assert 0.0 <= est["ci_low"] <= est["ci_high"] <= 1.0, (entry["group"], name, est)


def test_the_ece_interval_contains_the_ece() -> None:
    # scores 0.25 and 0.75, with exactly 25% and 75% positives: perfectly calibrated
    y = np.r_[np.ones(25), np.zeros(75), np.ones(75), np.zeros(25)].astype(np.int64)
    score = np.r_[np.full(100, 0.25), np.full(100, 0.75)]
    frame = pl.DataFrame({"y": y, "score": score, "g": ["a", "b"] * 100})
    result = fairness(frame, y_true="y", y_score="score", sensitive_features="g").to_dict()
    ece = result["overall"]["metrics"]["ece"]
    assert ece["value"] == 0.0
    assert ece["ci_low"] <= ece["value"] <= ece["ci_high"]

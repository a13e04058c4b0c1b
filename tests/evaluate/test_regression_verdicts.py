"""Regression verdicts: limits on gaps in error and mean prediction between groups.

The test statistics are recomputed here by hand (numpy, scipy's normal distribution and
statsmodels' Holm procedure), never read back from the code; interval coverage, the error rate at
the limit and the sample-size advice are checked by simulation.
"""

from __future__ import annotations

import json
import math
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from assay.errors import InputError
from assay.evaluate import fairness, judge

ALPHA = 0.05


def _frame(seed: int, n: int, shifts: dict[str, float], sd: dict[str, float]) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    groups = list(shifts)
    g = np.repeat(groups, n)
    y = rng.normal(50.0, 10.0, g.size)
    err = np.concatenate([rng.normal(shifts[k], sd[k], n) for k in groups])
    w = rng.uniform(0.5, 2.0, g.size)
    return pl.DataFrame({"g": g, "y": y, "pred": y + err, "w": w})


def _moments(q: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean of q and its standard error on the Kish effective sample size."""
    mean = float(np.sum(w * q) / np.sum(w))
    var = float(np.sum(w * q * q) / np.sum(w)) - mean * mean
    n_eff = float(np.sum(w) ** 2 / np.sum(w * w))
    return mean, math.sqrt(max(var, 0.0) / n_eff)


def _centre(frame: pl.DataFrame, group: str, metric: str, weighted: bool) -> tuple[float, float]:
    part = frame.filter(pl.col("g") == group)
    r = (part["pred"] - part["y"]).to_numpy()
    w = part["w"].to_numpy() if weighted else np.ones(r.size)
    if metric == "mean_residual":
        return _moments(r, w)
    if metric == "mae":
        return _moments(np.abs(r), w)
    if metric == "mean_prediction":
        return _moments(part["pred"].to_numpy(), w)
    mse, se_mse = _moments(r * r, w)  # rmse: the delta method through the mean squared error
    return math.sqrt(mse), se_mse / (2 * math.sqrt(mse))


def _by_hand(frame: pl.DataFrame, rule: str, limit: float, weighted: bool) -> str:
    """pass / fail / insufficient_evidence from the Welch (or log-ratio) z-tests and Holm."""
    metric, kind = rule.rsplit("_", 1)
    groups = sorted(frame["g"].unique().to_list())
    stats = {g: _centre(frame, g, metric, weighted) for g in groups}
    exceed, within = [], []
    for a, b in combinations(groups, 2):
        (m1, s1), (m2, s2) = stats[a], stats[b]
        if kind == "difference":
            z = (abs(m1 - m2) - limit) / math.hypot(s1, s2)
        else:
            z = (math.log(limit) + abs(math.log(m1 / m2))) / math.hypot(s1 / m1, s2 / m2)
        exceed.append(norm.sf(z))
        within.append(norm.cdf(z))
    if multipletests(exceed, alpha=ALPHA, method="holm")[0].any():
        return "fail"
    return "pass" if all(p < ALPHA for p in within) else "insufficient_evidence"


LIMITS = {
    "mean_residual_difference": [0.2, 0.6, 0.9, 1.2, 2.0],
    "mae_difference": [0.1, 0.5, 0.8, 1.5],
    "rmse_difference": [0.2, 0.8, 1.2, 2.5],
    "mae_ratio": [0.5, 0.7, 0.8, 0.95],
    "rmse_ratio": [0.5, 0.7, 0.8, 0.95],
    "mean_prediction_difference": [0.3, 1.0, 3.0],
}


@pytest.mark.parametrize("weighted", [False, True])
def test_verdicts_equal_the_tests_computed_by_hand(weighted: bool) -> None:
    seen: set[str] = set()
    for seed in range(2):
        frame = _frame(seed, 400, {"a": 0.0, "b": 0.4, "c": 0.9}, {"a": 3.0, "b": 3.5, "c": 4.0})
        for rule, limits in LIMITS.items():
            for limit in limits:
                (v,) = fairness(
                    frame, y_true="y", y_pred="pred", sensitive_features="g", task="regression",
                    sample_weight="w" if weighted else None, thresholds={rule: limit},
                ).verdicts  # fmt: skip
                expected = _by_hand(frame, rule, limit, weighted)
                assert v["verdict"] == expected, (seed, rule, limit, v["reason"])
                seen.add(expected)
    assert seen == {"pass", "fail", "insufficient_evidence"}


def test_the_estimate_is_the_largest_gap_by_numpy() -> None:
    frame = _frame(1, 500, {"a": 0.0, "b": 1.5}, {"a": 2.0, "b": 2.0})
    (v,) = fairness(
        frame, y_true="y", y_pred="pred", sensitive_features="g", task="regression",
        thresholds={"mean_residual_difference": 0.5},
    ).verdicts  # fmt: skip
    r = {g: (p["pred"] - p["y"]).to_numpy() for (g,), p in frame.group_by("g")}
    assert v["estimate"]["value"] == pytest.approx(abs(r["a"].mean() - r["b"].mean()), rel=1e-9)
    assert v["verdict"] == "fail"
    assert v["direction"] == "at most"


def test_regression_verdicts_are_judged_again_from_the_stored_sums() -> None:
    frame = _frame(2, 300, {"a": 0.0, "b": 0.3, "c": 0.6}, {"a": 2.0, "b": 2.0, "c": 3.0})
    limits = {"mae_difference": 0.5, "rmse_ratio": 0.8, "mean_residual_difference": 0.4}
    result = fairness(
        frame, y_true="y", y_pred="pred", sensitive_features="g", task="regression",
        sample_weight="w", thresholds=limits,
    )  # fmt: skip
    stored = json.loads(result.to_json())
    assert judge(stored, limits) == result.verdicts
    without = fairness(
        frame, y_true="y", y_pred="pred", sensitive_features="g", task="regression",
        sample_weight="w",
    ).to_dict()  # fmt: skip
    # a second pass may sum the floats in another order, so the estimates agree to rounding
    again = judge(without, limits)
    assert [v["verdict"] for v in again] == [v["verdict"] for v in result.verdicts]
    for ours, theirs in zip(again, result.verdicts, strict=True):
        assert ours["estimate"]["value"] == pytest.approx(theirs["estimate"]["value"], rel=1e-9)
    with pytest.raises(InputError, match="not a limit on a regression result"):
        judge(stored, {"demographic_parity_difference": 0.1})


def _true_mae(mu: float, sigma: float) -> float:
    """E|X| for X ~ N(mu, sigma²) (the folded normal's mean)."""
    return sigma * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * sigma**2)) + mu * (
        1 - 2 * norm.cdf(-mu / sigma)
    )


def _reference_gap(payload: dict[str, Any], metric: str) -> dict[str, Any]:
    (d,) = [d for d in payload["disparities"] if d["metric"] == metric]
    gap: dict[str, Any] = d["vs_reference"][0]["difference"]
    return gap


@pytest.mark.slow
def test_gap_intervals_cover_and_the_limit_is_not_overrun() -> None:
    """Group b − group a: the Welch intervals cover the true gaps at about 95%, and with the true
    gap in mean residual exactly at the limit a fail comes no more often than α."""
    shifts, sds = {"a": 0.5, "b": -0.3}, {"a": 2.0, "b": 3.0}
    truth = {
        "mean_residual": shifts["b"] - shifts["a"],
        "mae": _true_mae(shifts["b"], sds["b"]) - _true_mae(shifts["a"], sds["a"]),
    }
    reps, hits, fails = 300, dict.fromkeys(truth, 0), 0
    for seed in range(reps):
        payload = fairness(
            _frame(seed, 150, shifts, sds), y_true="y", y_pred="pred", sensitive_features="g",
            task="regression", reference_group="a",
            thresholds={"mean_residual_difference": abs(truth["mean_residual"])},
        ).to_dict()  # fmt: skip
        for metric, value in truth.items():
            gap = _reference_gap(payload, metric)
            hits[metric] += gap["ci_low"] <= value <= gap["ci_high"]
        fails += payload["verdicts"][0]["verdict"] == "fail"
    for metric, count in hits.items():
        assert 0.925 <= count / reps <= 0.975, (metric, count / reps)
    assert fails / reps <= ALPHA + 0.025


@pytest.mark.slow
def test_the_sample_size_advice_reaches_its_power() -> None:
    """An undecided limit on two groups: at the advised rows per group the same verdict passes
    in 80% ± 5 points of simulated data sets drawn like the observed one."""
    shifts, sds = {"a": 0.0, "b": 0.2}, {"a": 2.0, "b": 2.0}
    limit = {"mean_residual_difference": 0.6}
    (v,) = fairness(
        _frame(0, 80, shifts, sds), y_true="y", y_pred="pred", sensitive_features="g",
        task="regression", thresholds=limit,
    ).verdicts  # fmt: skip
    assert v["verdict"] == "insufficient_evidence"
    need = next(iter(v["sample_size"].values()))["need"]
    assert need > 80
    # the advice assumes the observed means and spreads are the truth: simulate from those
    frame = _frame(0, 80, shifts, sds)
    r = {g: (p["pred"] - p["y"]).to_numpy() for (g,), p in frame.group_by("g")}
    observed = {g: float(r[g].mean()) for g in r}
    spread = {g: float(r[g].std()) for g in r}
    reps = 200
    passes = sum(
        fairness(
            _frame(1000 + s, need, observed, spread), y_true="y", y_pred="pred",
            sensitive_features="g", task="regression", thresholds=limit,
        ).verdicts[0]["verdict"] == "pass"
        for s in range(reps)
    )  # fmt: skip
    assert abs(passes / reps - 0.8) <= 0.05, passes / reps

"""The ECE interval covers the true calibration error, by simulation, the calibrated case included.

Each case draws 200 samples of 300 scores ``s ~ Beta(2, 3)`` with labels ``y ~ Bernoulli(π(s))``
and computes every sample's ECE at once (one sample per "group" of the bin sums, so the whole
simulation is a few array operations). The true ECE of 10 equal-width bins,
``Σ_j |∫_bin (s − π(s)) f(s) ds|``, is integrated numerically from the Beta density: 0 for a
calibrated score. A 95% interval must contain it in at least 93% of the samples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import integrate, stats

from assay.evaluate import fairness
from assay.evaluate._calibration import BinSums, calibration_error

BINS = 10
SAMPLES = 200
ROWS = 300
#: the brief: a 95% interval must cover at ≥ 93% in simulation
MIN_COVERAGE = 0.93
Curve = Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]

CASES: dict[str, Curve] = {
    "calibrated": lambda s: s,
    "slightly miscalibrated (π = s^1.2)": lambda s: s**1.2,
    "miscalibrated (π = s²)": lambda s: s**2,
    "overconfident (logit doubled)": lambda s: 1 / (1 + ((1 - s) / s) ** 2),
}


def true_ece(curve: Curve) -> float:
    """Σ_j |∫_{bin j} (s − π(s)) f(s) ds| for the Beta(2, 3) density f."""
    density = stats.beta(2, 3).pdf
    total = 0.0
    for j in range(BINS):
        gap, _ = integrate.quad(
            lambda s: float((s - curve(np.array(s))) * density(s)), j / BINS, (j + 1) / BINS
        )
        total += abs(gap)
    return total


def samples(curve: Curve, seed: int) -> BinSums:
    """The calibration-bin sums of ``SAMPLES`` samples of ``ROWS`` rows, one sample per row."""
    rng = np.random.default_rng(seed)
    s = rng.beta(2, 3, size=(SAMPLES, ROWS))
    y = (rng.random((SAMPLES, ROWS)) < curve(s)).astype(np.float64)
    bins = np.minimum(np.floor(s * BINS).astype(np.int64), BINS - 1)
    one_hot = bins[..., None] == np.arange(BINS)  # (samples, rows, bins)

    def per_bin(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.einsum("ir,irb->ib", values, one_hot.astype(np.float64))

    ones = np.ones_like(s)
    return BinSums(
        weight=per_bin(ones),
        rows=per_bin(ones),
        score=per_bin(s),
        positive=per_bin(y),
        square=per_bin((y - s) ** 2),
    )


@pytest.mark.parametrize("name", CASES)
def test_the_interval_covers_the_true_ece(name: str) -> None:
    curve = CASES[name]
    truth = true_ece(curve)
    sums = samples(curve, seed=list(CASES).index(name))
    ece = calibration_error(sums, ci_level=0.95, n_resamples=500, rng=np.random.default_rng(1))
    covered = (ece.low <= truth + 1e-12) & (truth <= ece.high + 1e-12)
    assert covered.mean() >= MIN_COVERAGE, (name, truth, covered.mean())
    assert np.all(ece.low <= ece.value)
    assert np.all(ece.value <= ece.high)


def test_the_debiased_value_removes_most_of_the_noise() -> None:
    ece = calibration_error(
        samples(CASES["calibrated"], seed=11),
        ci_level=0.95,
        n_resamples=200,
        rng=np.random.default_rng(2),
    )
    # a calibrated score: the plug-in ECE is all noise (about 0.06 at 300 rows)
    assert ece.plugin.mean() > 0.04
    assert ece.value.mean() < ece.plugin.mean() / 2


def test_the_calibration_test_holds_its_level_and_finds_miscalibration() -> None:
    rng = np.random.default_rng(3)
    calibrated = calibration_error(
        samples(CASES["calibrated"], seed=21), ci_level=0.95, n_resamples=500, rng=rng
    )
    assert (calibrated.p_value < 0.05).mean() <= 0.08
    miscalibrated = calibration_error(
        samples(CASES["miscalibrated (π = s²)"], seed=22), ci_level=0.95, n_resamples=500, rng=rng
    )
    assert (miscalibrated.p_value < 0.05).mean() >= 0.9
    # the lower bound leaves 0 exactly when the test rejects at α/2
    assert np.all((miscalibrated.low > 0) <= (miscalibrated.p_value <= 0.05))


def test_fairness_reports_the_same_calibration_error() -> None:
    rng = np.random.default_rng(5)
    s = rng.beta(2, 3, ROWS)
    y = (rng.random(ROWS) < s).astype(np.int64)
    frame = pl.DataFrame({"y": y, "score": s, "g": ["a"] * ROWS})
    result = fairness(frame, y_true="y", y_score="score", sensitive_features="g", n_bootstrap=200)
    got = result.to_dict()["overall"]["metrics"]["ece"]
    bins = np.minimum(np.floor(s * BINS).astype(np.int64), BINS - 1)
    sums = BinSums(*(np.bincount(bins, v, BINS)[None, :] for v in (
        np.ones(ROWS), np.ones(ROWS), s, y.astype(float), (y - s) ** 2)))  # fmt: skip
    expected = calibration_error(sums, ci_level=0.95, n_resamples=200, rng=np.random.default_rng(0))
    assert got["value"] == pytest.approx(float(expected.value[0]), abs=1e-12)
    assert got["ci_high"] == pytest.approx(float(expected.high[0]), abs=1e-12)
    # a perfectly calibrated score: the interval includes 0 (the bootstrap percentile one did not)
    assert got["ci_low"] == 0.0
    test = result.to_dict()["calibration"][0]["calibration_test"]
    assert test["plugin_ece"] == pytest.approx(
        np.abs(np.bincount(bins, s - y, BINS)).sum() / ROWS, abs=1e-12
    )
    assert 0.0 < test["p_value"] <= 1.0


def test_perfectly_calibrated_samples_are_covered_end_to_end() -> None:
    covered = 0
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        s = rng.beta(2, 3, ROWS)
        y = (rng.random(ROWS) < s).astype(np.int64)
        frame = pl.DataFrame({"y": y, "score": s, "g": ["a"] * ROWS})
        ece = fairness(frame, y_true="y", y_score="score", sensitive_features="g",
                       n_bootstrap=200).to_dict()["overall"]["metrics"]["ece"]  # fmt: skip
        covered += ece["ci_low"] == 0.0
    assert covered >= 11

"""Expected calibration error: a debiased estimate, an interval that covers, a calibration test.

Scores are put in ``B`` equal-width bins of [0, 1]. In bin ``j`` with weight share ``w_j = W_j / W``
and ``n_j`` rows, the signed gap between the mean score and the share of positives is
``m_j = s̄_j − ȳ_j``. The plug-in ECE ``Σ w_j |m_j|`` is biased upwards: even a perfectly calibrated
score has ``|m_j| > 0`` from sampling noise alone, and a bootstrap of it is biased twice over, so a
percentile interval misses the true value (for a calibrated score, always). Instead:

- **value** (debiased): ``Σ w_j sqrt(max(m_j² − v_j, 0))``, where ``v_j`` is the unbiased estimate
  of the sampling variance of ``m_j`` (the within-bin variance of ``y − s`` over ``n_j − 1``;
  ``1/4``, the largest a 0/1 label allows, for a bin of one row). ``m_j² − v_j`` estimates ``μ_j²``
  without bias; noise no longer counts as miscalibration.
- **upper bound**: ``Σ w_j |m_j| + z τ`` with ``τ² = Σ w_j² σ_j²``, ``σ_j² = q_j (1 − q_j) / n_j``
  and ``q_j = (n_j ȳ_j + 1) / (n_j + 2)``. The true ECE is ``Σ w_j ε_j μ_j`` for the true signs
  ``ε_j``, and ``Σ w_j ε_j m_j ≤ Σ w_j |m_j|`` has standard error ``τ``: the bound holds with
  probability ``1 − α/2`` whatever the true gaps (exactly when every bin is clearly miscalibrated,
  more often otherwise).
- **lower bound** and **p-value**, by consistency resampling: labels are redrawn as if the scores
  were calibrated, ``y* ~ Bernoulli(score)`` (per bin, ``Σ y* ~ Binomial(n_j, s̄_j)``), and the
  plug-in ECE recomputed. Its replicates are the ECE that noise alone produces. Since
  ``|μ + e| − |μ| ≤ |e|``, the plug-in exceeds the true ECE by at most that noise, so the plug-in
  minus the ``1 − α/2`` quantile of the replicates is a lower bound. The p-value of "the score is
  calibrated" is the share of replicates at least as large as the observed plug-in ECE.

The interval is widened, if need be, to contain the debiased value. Coverage (≥ 95% nominal) is
checked by simulation in ``tests/evaluate/test_calibration.py``, the calibrated case included.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from assay.evaluate._stats import FloatArray


@dataclass(frozen=True)
class BinSums:
    """Per group (rows) and calibration bin (columns): weight, rows, ``Σ w s``, ``Σ w y`` and
    ``Σ w (y − s)²``."""

    weight: FloatArray
    rows: FloatArray
    score: FloatArray
    positive: FloatArray
    square: FloatArray


@dataclass(frozen=True)
class Calibration:
    """The ECE of each group: debiased value, interval, plug-in value and calibration p-value."""

    value: FloatArray
    low: FloatArray
    high: FloatArray
    plugin: FloatArray
    p_value: FloatArray


def calibration_error(
    sums: BinSums, *, ci_level: float, n_resamples: int, rng: np.random.Generator
) -> Calibration:
    """Debiased ECE, its interval and the consistency-resampling test, for every group."""
    total = sums.weight.sum(axis=1)
    filled = sums.weight > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total[:, None] > 0, sums.weight / total[:, None], 0.0)
        gap = np.where(filled, (sums.score - sums.positive) / sums.weight, 0.0)
        label = np.where(filled, sums.positive / sums.weight, 0.0)
        spread = np.where(filled, sums.square / sums.weight - gap * gap, 0.0)
        noise = np.where(sums.rows >= 2, np.clip(spread, 0.0, None) / (sums.rows - 1), 0.25)
        q = (sums.rows * label + 1) / (sums.rows + 2)
        sigma2 = np.where(filled, q * (1 - q) / sums.rows, 0.0)
    plugin = (share * np.abs(gap)).sum(axis=1)
    value = (share * np.sqrt(np.clip(gap * gap - noise, 0.0, None))).sum(axis=1)
    z = NormalDist().inv_cdf(0.5 + ci_level / 2.0)
    high = plugin + z * np.sqrt((share * share * sigma2).sum(axis=1))
    replicates = _calibrated_replicates(sums, n_resamples, rng)
    tail = np.quantile(replicates, 0.5 + ci_level / 2.0, axis=0)
    low = np.clip(plugin - tail, 0.0, None)
    p_value = (1.0 + (replicates >= plugin - 1e-12).sum(axis=0)) / (n_resamples + 1.0)
    defined = total > 0
    nan = np.full(total.shape, np.nan)
    return Calibration(
        value=np.where(defined, value, nan),
        low=np.where(defined, np.clip(np.fmin(low, value), 0.0, 1.0), nan),
        high=np.where(defined, np.clip(np.fmax(high, value), 0.0, 1.0), nan),
        plugin=np.where(defined, plugin, nan),
        p_value=np.where(defined, p_value, nan),
    )


def _calibrated_replicates(sums: BinSums, n_resamples: int, rng: np.random.Generator) -> FloatArray:
    """Plug-in ECEs ``(n_resamples, groups)``, labels redrawn as if the scores were calibrated."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_score = np.where(sums.weight > 0, np.clip(sums.score / sums.weight, 0.0, 1.0), 0.0)
        per_row = np.where(sums.rows > 0, sums.weight / sums.rows, 0.0)
    rows = sums.rows.astype(np.int64)
    gaps = np.empty((n_resamples, rows.shape[0]))
    for g in range(rows.shape[0]):  # group by group, so memory stays (n_resamples, bins)
        drawn = rng.binomial(rows[g], mean_score[g], size=(n_resamples, rows.shape[1]))
        gaps[:, g] = np.abs(sums.score[g] - drawn * per_row[g]).sum(axis=1)
    total = sums.weight.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates: FloatArray = np.where(total > 0, gaps / total, np.nan)
    return replicates

"""Score-based metrics per group from score-level histograms: ROC AUC, average precision, Brier
score, expected calibration error (ECE) and reliability bins, with their intervals.

Definitions (weights ``w``, positive mass ``P``, negative mass ``N`` in a group):

- ROC AUC = Σ_levels pos(l) · (neg(< l) + ½ neg(l)) / (P · N) — the Mann–Whitney form, ties
  counting one half; exact when levels are the distinct scores (as scikit-learn computes it).
- Average precision = Σ_k (R_k − R_{k−1}) · P_k over thresholds in descending order (scikit-learn's
  definition, no interpolation).
- Brier score = Σ w (s − y)² / Σ w = (Σ w s² − 2 Σ_{y=1} w s + Σ_{y=1} w) / Σ w: exact from sums.
- ECE over ``calibration_bins`` equal-width bins of [0, 1], bin j = ⌊s · calibration_bins⌋ (the
  last bin closed): the plug-in Σ_j |Σ_{bin j} w s − Σ_{bin j} w y| / Σ w is biased upwards, so the
  value reported is debiased, with an interval and a calibration test of its own
  (:mod:`assay.evaluate._calibration`); all from the bins' sums.

Intervals of the other three: Poisson bootstrap of the (label, level) cells of each group's
histogram — each replicate rescales a cell's sums by ``Poisson(c)/c`` — never a re-scan of the
rows. When the levels are exact scores or bins exceed ``BOOTSTRAP_LEVELS``, the bootstrap runs on a
histogram of ``BOOTSTRAP_LEVELS`` equal-width bins and its percentiles are shifted by the
difference between the full-resolution and the coarse point estimates (the interval is centred on
the reported value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.evaluate._calibration import BinSums, calibration_error
from assay.evaluate._groups import LevelTable
from assay.evaluate._metrics import MetricColumn
from assay.evaluate._stats import FloatArray, percentile_interval

BOOTSTRAP_LEVELS = 200
SCORE_METRICS = ("roc_auc", "average_precision", "brier_score", "ece")
#: The score metrics whose intervals come from the bootstrap (ECE's come from _calibration).
BOOTSTRAPPED = ("roc_auc", "average_precision", "brier_score")


@dataclass(frozen=True)
class ScoreScale:
    """How score levels map to score values and calibration bins."""

    exact: bool
    low: float
    high: float
    n_bins: int  # bins of [low, high] when binned; unused when exact
    probabilities: bool  # all scores within [0, 1]
    calibration_bins: int

    @property
    def width(self) -> float:
        """Width of one bin."""
        return (self.high - self.low) / self.n_bins

    def level_scores(self, levels: FloatArray) -> FloatArray:
        """The lower edge (binned) or the value (exact) of each level."""
        return levels if self.exact else self.low + levels * self.width

    def calibration_bin(self, levels: FloatArray) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Calibration bin of each level; only meaningful when scores are probabilities."""
        if self.exact:
            raw = np.floor(levels * self.calibration_bins)
        else:
            raw = np.floor(levels * self.calibration_bins / self.n_bins)
        return np.clip(raw, 0, self.calibration_bins - 1).astype(np.int64)


def _auc(pos: FloatArray, neg: FloatArray) -> FloatArray:
    """ROC AUC along the last axis (levels ascending)."""
    p_tot = pos.sum(axis=-1)
    n_tot = neg.sum(axis=-1)
    below = np.cumsum(neg, axis=-1) - neg
    with np.errstate(divide="ignore", invalid="ignore"):
        auc: FloatArray = (pos * (below + 0.5 * neg)).sum(axis=-1) / (p_tot * n_tot)
    return np.where((p_tot > 0) & (n_tot > 0), auc, np.nan)


def _average_precision(pos: FloatArray, neg: FloatArray) -> FloatArray:
    """Average precision along the last axis (levels ascending; thresholds run from the top)."""
    tp = np.cumsum(pos[..., ::-1], axis=-1)
    fp = np.cumsum(neg[..., ::-1], axis=-1)
    p_tot = tp[..., -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / (tp + fp)
        recall = tp / p_tot
    step = np.diff(recall, axis=-1, prepend=0.0)
    terms = np.where(step > 0, step * precision, 0.0)
    ap: FloatArray = terms.sum(axis=-1)
    return np.where(p_tot[..., 0] > 0, ap, np.nan)


def _brier(tab: LevelTable) -> FloatArray:
    total = (tab.pos + tab.neg).sum(axis=1)
    sq = (tab.pos_ws2 + tab.neg_ws2).sum(axis=1) - 2 * tab.pos_ws.sum(axis=1) + tab.pos.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, sq / total, np.nan)


IntArray = np.ndarray[Any, np.dtype[np.int64]]


def _bin_sums(values: FloatArray, bins: IntArray, k: int) -> FloatArray:
    """Sums of ``values`` along the last axis within each of ``k`` bins (``bins[i]`` is the bin
    of position ``i``; non-decreasing, as bins of ascending levels are).

    A segmented sum (``np.add.reduceat``) rather than a product with a one-hot matrix: no BLAS
    call, whose threads cost more than the sums on a busy machine.
    """
    out = np.zeros((*values.shape[:-1], k), dtype=np.float64)
    if bins.size == 0:
        return out
    starts = np.flatnonzero(np.concatenate([[True], bins[1:] != bins[:-1]]))
    out[..., bins[starts]] = np.add.reduceat(values, starts, axis=-1)
    return out


@dataclass(frozen=True)
class ScoreResult:
    """Score metrics for the groups of one grouping, plus reliability bins and the calibration
    test per group (both empty when the scores are not probabilities)."""

    columns: dict[str, MetricColumn]
    reliability: list[list[dict[str, float | int | None]]]
    calibration_tests: list[dict[str, float | None]] = field(default_factory=list)


def score_columns(
    tab: LevelTable,
    scale: ScoreScale,
    *,
    ci_level: float,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> ScoreResult:
    """AUC, AP and Brier with bootstrap intervals, and the debiased ECE with its interval
    (:mod:`assay.evaluate._calibration`), for every group of ``tab``."""
    n_groups = len(tab.grouping)
    point = _points(tab, scale)
    coarse, coarse_scale = _coarsen(tab, scale)
    coarse_point = _points(coarse, coarse_scale)
    reps = _bootstrap(coarse, coarse_scale, n_bootstrap, rng)
    columns: dict[str, MetricColumn] = {}
    for name in BOOTSTRAPPED:
        if name not in point:
            columns[name] = _not_probabilities(name, n_groups)
            continue
        value = point[name]
        # centre the coarse bootstrap on the full-resolution estimate
        replicates = reps[name] + (value - coarse_point[name])
        low, high, _ = percentile_interval(replicates, ci_level)
        # every score metric lives in [0, 1]; the interval is widened to contain its estimate
        low = np.clip(np.fmin(low, value), 0.0, 1.0)
        high = np.clip(np.fmax(high, value), 0.0, 1.0)
        undefined = _undefined(tab, name, value)
        columns[name] = MetricColumn(
            name, value, low, high, undefined, "bootstrap", replicates=replicates
        )
    tests: list[dict[str, float | None]] = []
    if scale.probabilities:
        # its own stream, so that the bootstrap draws of every grouping stay as they were
        cal = calibration_error(
            _calibration_sums(tab, scale), ci_level=ci_level, n_resamples=n_bootstrap,
            rng=rng.spawn(1)[0],
        )  # fmt: skip
        undefined = _undefined(tab, "ece", cal.value)
        columns["ece"] = MetricColumn("ece", cal.value, cal.low, cal.high, undefined, "calibration")
        tests = [
            {"plugin_ece": _finite(cal.plugin[g]), "p_value": _finite(cal.p_value[g])}
            for g in range(n_groups)
        ]
    else:
        columns["ece"] = _not_probabilities("ece", n_groups)
    reliability = _reliability(tab, scale) if scale.probabilities else []
    return ScoreResult({name: columns[name] for name in SCORE_METRICS}, reliability, tests)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _not_probabilities(name: str, n_groups: int) -> MetricColumn:
    reason = "scores are not probabilities in [0, 1]"
    nan = np.full(n_groups, np.nan)
    return MetricColumn(name, nan, nan, nan.copy(), [reason] * n_groups, "none")


def _undefined(tab: LevelTable, name: str, value: FloatArray) -> list[str | None]:
    """Why each group's ``name`` is undefined (None where it is defined)."""
    has_pos = tab.pos.sum(axis=1) > 0
    has_neg = tab.neg.sum(axis=1) > 0
    out: list[str | None] = []
    for i in range(len(tab.grouping)):
        if np.isfinite(value[i]):
            out.append(None)
        elif name in ("roc_auc", "average_precision") and not has_pos[i]:
            out.append("no positives (y_true = pos_label)")
        elif name == "roc_auc" and not has_neg[i]:
            out.append("no negatives (y_true ≠ pos_label)")
        else:
            out.append("no rows")
    return out


def _calibration_sums(tab: LevelTable, scale: ScoreScale) -> BinSums:
    """Each group's weight, rows, ``Σ w s``, ``Σ w y`` and ``Σ w (y − s)²`` per calibration bin."""
    bins, k = scale.calibration_bin(tab.levels), scale.calibration_bins
    square = tab.pos - 2 * tab.pos_ws + tab.pos_ws2 + tab.neg_ws2
    return BinSums(
        weight=_bin_sums(tab.pos + tab.neg, bins, k),
        rows=_bin_sums(tab.pos_n + tab.neg_n, bins, k),
        score=_bin_sums(tab.pos_ws + tab.neg_ws, bins, k),
        positive=_bin_sums(tab.pos, bins, k),
        square=_bin_sums(square, bins, k),
    )


def _points(tab: LevelTable, scale: ScoreScale) -> dict[str, FloatArray]:
    point = {
        "roc_auc": _auc(tab.pos, tab.neg),
        "average_precision": _average_precision(tab.pos, tab.neg),
    }
    if scale.probabilities:
        point["brier_score"] = _brier(tab)
    return point


def _reliability(tab: LevelTable, scale: ScoreScale) -> list[list[dict[str, float | int | None]]]:
    of_level, k = scale.calibration_bin(tab.levels), scale.calibration_bins
    weight = _bin_sums(tab.pos + tab.neg, of_level, k)
    count = _bin_sums(tab.pos_n + tab.neg_n, of_level, k)
    ws = _bin_sums(tab.pos_ws + tab.neg_ws, of_level, k)
    wy = _bin_sums(tab.pos, of_level, k)
    out: list[list[dict[str, float | int | None]]] = []
    for g in range(len(tab.grouping)):
        bins: list[dict[str, float | int | None]] = []
        for j in range(k):
            w = weight[g, j]
            bins.append(
                {
                    "bin_low": j / k,
                    "bin_high": (j + 1) / k,
                    "n": int(count[g, j]),
                    "mean_score": float(ws[g, j] / w) if w > 0 else None,
                    "fraction_positive": float(wy[g, j] / w) if w > 0 else None,
                }
            )
        out.append(bins)
    return out


def _coarsen(tab: LevelTable, scale: ScoreScale) -> tuple[LevelTable, ScoreScale]:
    """Re-bin exact levels into ``BOOTSTRAP_LEVELS`` equal-width bins for the bootstrap."""
    if tab.levels.size <= BOOTSTRAP_LEVELS:
        return tab, scale
    values = scale.level_scores(tab.levels)
    low = 0.0 if scale.probabilities else float(values[0])
    high = 1.0 if scale.probabilities else float(values[-1])
    width = (high - low) / BOOTSTRAP_LEVELS if high > low else 1.0
    idx = np.clip(np.floor((values - low) / width + 1e-9), 0, BOOTSTRAP_LEVELS - 1).astype(np.int64)
    fields = ("pos", "neg", "pos_n", "neg_n", "pos_ws", "neg_ws", "pos_ws2", "neg_ws2")
    merged = {f: _bin_sums(getattr(tab, f), idx, BOOTSTRAP_LEVELS) for f in fields}
    levels = np.arange(BOOTSTRAP_LEVELS, dtype=np.float64)
    coarse = LevelTable(tab.grouping, levels, **merged)
    coarse_scale = ScoreScale(
        False, low, high, BOOTSTRAP_LEVELS, scale.probabilities, scale.calibration_bins
    )
    return coarse, coarse_scale


def _bootstrap(
    tab: LevelTable, scale: ScoreScale, n_bootstrap: int, rng: np.random.Generator
) -> dict[str, FloatArray]:
    """Replicates ``(n_bootstrap, groups)`` of every score metric."""
    n_groups = len(tab.grouping)
    out = {name: np.full((n_bootstrap, n_groups), np.nan) for name in BOOTSTRAPPED}
    for g in range(n_groups):
        # Only the levels this group occupies matter; the others add zeros everywhere.
        active = np.flatnonzero((tab.pos_n[g] + tab.neg_n[g]) > 0)
        mats: dict[str, FloatArray] = {}
        for side in ("pos", "neg"):
            counts = getattr(tab, f"{side}_n")[g, active]
            draws = rng.poisson(counts, size=(n_bootstrap, active.size)).astype(np.float64)
            factor = draws / np.maximum(counts, 1.0)
            for part in ("", "_ws", "_ws2"):
                mats[f"{side}{part}"] = factor * getattr(tab, f"{side}{part}")[g, active]
        out["roc_auc"][:, g] = _auc(mats["pos"], mats["neg"])
        out["average_precision"][:, g] = _average_precision(mats["pos"], mats["neg"])
        if scale.probabilities:
            total = (mats["pos"] + mats["neg"]).sum(axis=1)
            sq = (mats["pos_ws2"] + mats["neg_ws2"]).sum(axis=1)
            sq += mats["pos"].sum(axis=1) - 2 * mats["pos_ws"].sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                out["brier_score"][:, g] = np.where(total > 0, sq / total, np.nan)
    return out

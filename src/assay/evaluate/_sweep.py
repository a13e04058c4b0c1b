"""Threshold sweep: rates per group and disparities across a grid of thresholds.

Computed from the score-level histogram by suffix sums: a row is predicted positive at threshold
``t`` when its score is ``>= t``. With exact levels this is exact at every threshold; with binned
scores the grid thresholds sit on bin edges, so it is exact there too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assay.evaluate._groups import LevelTable, group_dict
from assay.evaluate._scores import ScoreScale
from assay.evaluate._stats import FloatArray

SWEEP_METRICS = ("selection_rate", "tpr", "fpr", "ppv", "accuracy")


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _spread(values: FloatArray) -> FloatArray:
    """max − min over groups (axis 0), ignoring undefined groups; NaN with fewer than two."""
    finite = np.isfinite(values)
    enough = finite.sum(axis=0) >= 2
    with np.errstate(all="ignore"):
        hi = np.where(finite, values, -np.inf).max(axis=0)
        lo = np.where(finite, values, np.inf).min(axis=0)
    return np.where(enough, hi - lo, np.nan)


def _clean(values: FloatArray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


def threshold_grid(scale: ScoreScale, score_min: float, score_max: float) -> FloatArray:
    """101 thresholds over [0, 1] for probabilities, else over the observed score range.

    With binned scores every grid point is a bin edge (the number of bins is a multiple of 100).
    """
    # i/100 is the correctly rounded decimal (0.35, not 0.35000000000000003 as linspace gives)
    steps = np.arange(101, dtype=np.float64) / 100.0
    if scale.probabilities:
        return steps
    return score_min + (score_max - score_min) * steps


def sweep(
    tab: LevelTable, scale: ScoreScale, thresholds: FloatArray, n_bins: int
) -> dict[str, Any]:
    """Per-group rates and their spreads at each threshold, JSON-ready."""
    if scale.exact:
        first = np.searchsorted(tab.levels, thresholds, side="left")
    else:
        # grid point i is bin edge i · n_bins / 100 (n_bins is a multiple of 100)
        edge_index = np.arange(thresholds.size, dtype=np.float64) * (n_bins // 100)
        first = np.searchsorted(tab.levels, edge_index, side="left")

    def above(mat: FloatArray) -> FloatArray:
        suffix = np.concatenate(
            [np.cumsum(mat[:, ::-1], axis=1)[:, ::-1], np.zeros((mat.shape[0], 1))], axis=1
        )
        return suffix[:, first]  # (groups, thresholds)

    tp, fp = above(tab.pos), above(tab.neg)
    p_tot = tab.pos.sum(axis=1, keepdims=True)
    n_tot = tab.neg.sum(axis=1, keepdims=True)
    total = p_tot + n_tot
    tn = n_tot - fp
    rates = {
        "selection_rate": _ratio(tp + fp, total),
        "tpr": _ratio(tp, np.broadcast_to(p_tot, tp.shape)),
        "fpr": _ratio(fp, np.broadcast_to(n_tot, fp.shape)),
        "ppv": _ratio(tp, tp + fp),
        "accuracy": _ratio(tp + tn, np.broadcast_to(total, tp.shape)),
    }
    groups = [
        {"group": group_dict(tab.grouping, g), "metrics": {}} for g in range(len(tab.grouping))
    ]
    for name, mat in rates.items():
        for g, entry in enumerate(groups):
            entry["metrics"][name] = _clean(mat[g])
    eo = np.fmax(_spread(rates["tpr"]), _spread(rates["fpr"]))
    return {
        "thresholds": [float(t) for t in thresholds],
        "groups": groups,
        "demographic_parity_difference": _clean(_spread(rates["selection_rate"])),
        "equalized_odds_difference": _clean(eo),
    }

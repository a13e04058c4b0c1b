"""Drift statistics computed from the small tables of :mod:`assay.evaluate._drift_sketch`.

Exact where the data allow it, bounded where they do not:

- Kolmogorov–Smirnov and Wasserstein are computed on the exact distributions when both sides
  are known value by value (exact value counts, or fine cells that each hold a single distinct
  value). The results then equal ``scipy.stats.ks_2samp`` (statistic and p-value: the exact
  p-value while both samples have at most 10,000 values, Smirnov's asymptotic one above, as scipy's
  ``method="auto"`` does) and ``scipy.stats.wasserstein_distance``.
- Otherwise they come from the fine cells, with a guaranteed maximum error: for KS the largest
  amount by which the supremum inside one cell can exceed its value at the cell edges, for
  Wasserstein the cost of moving each cell's mass to its mean,
  ``sum p·2(m − a)(b − m)/(b − a)`` over both sides (``[a, b]`` the cell's range, ``m`` its mean).
- PSI and Jensen–Shannon distance are defined on frozen bins (reference deciles on the fine grid,
  or categories) and are exact for those bins; chi-square is Pearson's test of homogeneity on the
  2 × k table of counts, computed as scipy's ``chi2_contingency`` does (Yates' correction when
  there is one degree of freedom).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assay.evaluate._drift_sketch import Bins, Values
from assay.evaluate._stats import FloatArray

# scipy.stats is imported inside the functions that use it: it takes a second to import, and
# ``import assay`` should not pay for it.

#: scipy's ``ks_2samp(method="auto")`` computes the exact p-value up to this many values a side.
KS_EXACT_MAX_N = 10_000
#: Proportions below this are raised to it in PSI, so that an empty bin gives a finite value.
PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class KS:
    """Two-sample Kolmogorov–Smirnov statistic, p-value, and the bound on its error."""

    statistic: float
    p_value: float
    p_method: str
    max_error: float


@dataclass(frozen=True)
class Wasserstein:
    """First Wasserstein distance in the column's units, and the bound on its error."""

    value: float
    max_error: float


@dataclass(frozen=True)
class ChiSquare:
    """A test of homogeneity on the 2 × k table of reference and current counts."""

    statistic: float | None
    p_value: float
    dof: int
    method: str
    cramers_v: float | None
    pooled: int


def atoms(values: Values | None, bins: Bins) -> Values | None:
    """The exact distribution: the value counts if known, else the cells if each is one value."""
    if values is not None:
        return values
    if bins.atomic:
        return Values(bins.min, bins.count)
    return None


def _expand(v: Values) -> FloatArray:
    return np.repeat(v.value, v.count.astype(np.int64))


def ks_exact(ref: Values, cur: Values) -> KS:
    """KS on two exact distributions; equals ``scipy.stats.ks_2samp(ref, cur)``."""
    from scipy import stats as sps

    n1, n2 = int(ref.count.sum()), int(cur.count.sum())
    if max(n1, n2) <= KS_EXACT_MAX_N:
        res = sps.ks_2samp(_expand(ref), _expand(cur))
        return KS(float(res.statistic), float(res.pvalue), "exact", 0.0)
    support = np.union1d(ref.value, cur.value)
    cdf1 = _cdf_at(ref, support) / n1
    cdf2 = _cdf_at(cur, support) / n2
    diffs = cdf1 - cdf2
    d = float(max(np.clip(-diffs.min(), 0, 1), diffs.max()))
    return KS(d, _ks_asymptotic(d, n1, n2), "asymptotic", 0.0)


def _cdf_at(v: Values, points: FloatArray) -> FloatArray:
    """Counts of values <= each point (like ``searchsorted(side='right')`` on the sample)."""
    cum = np.concatenate([[0.0], np.cumsum(v.count)])
    return np.asarray(cum[np.searchsorted(v.value, points, side="right")], dtype=np.float64)


def _ks_asymptotic(d: float, n1: int, n2: int) -> float:
    # scipy.stats.ks_2samp, method="asymp", two-sided: Smirnov's distribution of sqrt(en)·D
    from scipy import stats as sps

    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(sps.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def _align(ref: Bins, cur: Bins) -> tuple[FloatArray, FloatArray, FloatArray]:
    keys = np.union1d(ref.key, cur.key)
    r = np.zeros(keys.size)
    c = np.zeros(keys.size)
    r[np.searchsorted(keys, ref.key)] = ref.count
    c[np.searchsorted(keys, cur.key)] = cur.count
    return keys, r, c


def ks_binned(ref: Bins, cur: Bins) -> KS:
    """KS from fine cells: the statistic at the cell edges, and how much more it could be."""
    _, r, c = _align(ref, cur)
    n1, n2 = r.sum(), c.sum()
    fr = np.cumsum(r) / n1
    fc = np.cumsum(c) / n2
    fr0 = np.concatenate([[0.0], fr[:-1]])
    fc0 = np.concatenate([[0.0], fc[:-1]])
    low = float(np.abs(fr - fc).max())
    # inside a cell each CDF lies between its values at the cell's two edges
    high = float(max(low, (fr - fc0).max(), (fc - fr0).max()))
    return KS(low, _ks_asymptotic(low, int(n1), int(n2)), "asymptotic", high - low)


def wasserstein_exact(ref: Values, cur: Values) -> Wasserstein:
    """Equals ``scipy.stats.wasserstein_distance(ref, cur)`` on the samples."""
    from scipy import stats as sps

    return Wasserstein(
        float(sps.wasserstein_distance(ref.value, cur.value, ref.count, cur.count)), 0.0
    )


def _spread(b: Bins) -> FloatArray:
    """Largest mean absolute deviation about the mean of values in ``[min, max]`` with that mean."""
    with np.errstate(divide="ignore", invalid="ignore"):
        m = b.sum / b.count
        m = np.clip(m, b.min, b.max)
        width = b.max - b.min
        out = np.where(width > 0, 2.0 * (m - b.min) * (b.max - m) / width, 0.0)
    return np.asarray(out, dtype=np.float64)


def wasserstein_binned(ref: Bins, cur: Bins) -> Wasserstein:
    """W1 between the cells' masses placed at the cells' means, and the bound on its error."""
    from scipy import stats as sps

    mr = np.clip(ref.sum / ref.count, ref.min, ref.max)
    mc = np.clip(cur.sum / cur.count, cur.min, cur.max)
    value = float(sps.wasserstein_distance(mr, mc, ref.count, cur.count))
    bound = float(
        (ref.count * _spread(ref)).sum() / ref.count.sum()
        + (cur.count * _spread(cur)).sum() / cur.count.sum()
    )
    return Wasserstein(value, bound)


def bin_counts(bins: Bins, cuts: FloatArray) -> FloatArray:
    """Counts in the frozen bins: cell ``k`` goes to the first bin whose cut is >= k."""
    idx = np.searchsorted(cuts, bins.key, side="left")
    return np.bincount(idx, weights=bins.count, minlength=cuts.size + 1).astype(np.float64)


def decile_cuts(bins: Bins, n_bins: int) -> FloatArray:
    """Cells after which each frozen bin ends: the reference's quantiles, snapped to the grid."""
    if not bins.count.size:
        return np.zeros(0)
    cum = np.cumsum(bins.count) / bins.count.sum()
    targets = np.arange(1, n_bins) / n_bins
    idx = np.searchsorted(cum, targets - 1e-12, side="left")
    idx = idx[idx < bins.key.size - 1]
    return np.unique(bins.key[idx])


def psi(ref: FloatArray, cur: FloatArray) -> float:
    """Population stability index ``sum (c − r)·ln(c / r)`` on proportions floored at 1e-4."""
    r = np.maximum(ref / ref.sum(), PSI_EPSILON)
    c = np.maximum(cur / cur.sum(), PSI_EPSILON)
    return float(((c - r) * np.log(c / r)).sum())


def js_distance(ref: FloatArray, cur: FloatArray) -> float:
    """Jensen–Shannon distance, log base 2 (in [0, 1]); equals scipy's ``jensenshannon``."""
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2))


def chi_square(ref: FloatArray, cur: FloatArray, *, min_expected: float = 5.0) -> ChiSquare:
    """Homogeneity of two count vectors over the same categories.

    Categories whose expected count is below ``min_expected`` in either row are pooled into one
    cell (smallest first, until every cell reaches it); a 2 × 2 table that still falls short uses
    Fisher's exact test. With two categories scipy applies Yates' continuity correction.
    """
    from scipy import stats as sps

    table = np.vstack([ref, cur]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    pooled = 0
    if table.shape[1] > 2:
        table, pooled = _pool(table, min_expected)
    if table.shape[1] < 2:
        return ChiSquare(None, 1.0, 0, "one category: nothing to compare", None, pooled)
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    if table.shape[1] == 2 and expected.min() < min_expected:
        res = sps.fisher_exact(table.astype(np.int64))
        return ChiSquare(None, float(res.pvalue), 1, "fisher-exact", None, pooled)
    stat, dof = _pearson(table, expected)
    p_value = float(sps.chi2.sf(stat, dof))
    method = "chi-square, Yates-corrected" if dof == 1 else "chi-square"
    if pooled:
        method += f", {pooled} sparse categories pooled"
    v = math.sqrt(stat / n) if n > 0 else None
    return ChiSquare(stat, p_value, dof, method, v, pooled)


def _pearson(table: FloatArray, expected: FloatArray) -> tuple[float, int]:
    """Pearson's statistic of a 2 × k table, Yates-corrected when dof is 1 (as scipy's
    ``chi2_contingency``: each ``|observed − expected|`` is reduced by at most 0.5)."""
    dof = table.shape[1] - 1
    diff = table - expected
    if dof == 1:
        diff = np.sign(diff) * np.maximum(np.abs(diff) - 0.5, 0.0)
    return float((diff * diff / expected).sum()), dof


def _pool(table: FloatArray, min_expected: float) -> tuple[FloatArray, int]:
    """Merge the sparsest categories into one cell until every cell's expected count suffices."""
    n = table.sum()
    need = min_expected * n / table.sum(axis=1).min()
    totals = table.sum(axis=0)
    order = np.argsort(totals, kind="stable")
    k = int((totals < need).sum())
    if k == 0:
        return table, 0
    k = max(k, 2)  # a single sparse category is merged with the next smallest
    while k < order.size and totals[order[:k]].sum() < need:
        k += 1
    keep = np.sort(order[k:])
    pool = table[:, order[:k]].sum(axis=1, keepdims=True)
    return np.hstack([table[:, keep], pool]), k


def bh_adjust(p_values: FloatArray) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN entries are left out and stay NaN.

    ``q_(i) = min_{j >= i} p_(j) · m / j`` over the ``m`` finite p-values sorted ascending; a
    hypothesis is rejected at false-discovery rate α when its q-value is at most α.
    """
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q

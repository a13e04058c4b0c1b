"""Interval estimates and multiple-comparison control, vectorised over groups.

Every function takes and returns numpy arrays so that a whole table of groups is handled at once.
Formulas (``z`` is the two-sided normal quantile for the confidence level):

- Wilson score interval for a proportion ``p = x / n``::

      centre = (p + z²/2n) / (1 + z²/n)
      half   = z / (1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²)

- Newcombe's hybrid score interval (his method 10) for ``d = p1 − p2`` from the two Wilson
  intervals ``(l1, u1)`` and ``(l2, u2)``::

      [d − sqrt((p1 − l1)² + (u2 − p2)²),  d + sqrt((u1 − p1)² + (p2 − l2)²)]

- Katz log interval for a ratio of proportions ``r = p1 / p2``::

      exp(ln r ± z · sqrt(1/x1 − 1/n1 + 1/x2 − 1/n2))

  undefined when either group has no events (``x = 0``).

- Holm's step-down procedure over a family of p-values.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# The standard library's normal quantile (Wichura's AS 241) and erfc agree with scipy.special to a
# few units in the last place; importing scipy for two functions would cost a fairness run a
# quarter of a second of start-up.
_erfc = np.frompyfunc(math.erfc, 1, 1)


def z_value(ci_level: float) -> float:
    """Two-sided standard normal quantile for ``ci_level`` (1.959963... for 0.95).

    >>> round(z_value(0.95), 9)
    1.959963985
    """
    return NormalDist().inv_cdf(0.5 + ci_level / 2.0)


def normal_sf(x: FloatArray) -> FloatArray:
    """Upper tail probability of the standard normal distribution: ``erfc(x / sqrt 2) / 2``."""
    values = np.asarray(x, dtype=np.float64) / math.sqrt(2.0)
    return np.asarray(_erfc(values), dtype=np.float64) / 2.0


def wilson(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for ``x`` successes out of ``n`` (both may be effective counts).

    Entries with ``n <= 0`` come back as NaN; callers mark them undefined.
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = (z / denom) * np.sqrt(np.clip(p * (1.0 - p) / n + z2 / (4.0 * n * n), 0.0, None))
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # exact at the boundaries: rounding must not push the bound past its own estimate
    low = np.where(x <= 0, 0.0, low)
    high = np.where(x >= n, 1.0, high)
    bad = ~(n > 0)
    low[bad] = np.nan
    high[bad] = np.nan
    return low, high


def newcombe(
    p1: FloatArray,
    low1: FloatArray,
    high1: FloatArray,
    p2: FloatArray,
    low2: FloatArray,
    high2: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Newcombe hybrid score interval for ``p1 − p2`` from the groups' Wilson intervals."""
    d = p1 - p2
    low = d - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = d + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return low, high


def katz(
    x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    """Katz log interval for ``(x1/n1) / (x2/n2)``; NaN where either ``x`` is 0."""
    x1, n1, x2, n2 = (np.asarray(a, dtype=np.float64) for a in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (x1 / n1) / (x2 / n2)
        se = np.sqrt(1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2)
        low = ratio * np.exp(-z * se)
        high = ratio * np.exp(z * se)
    bad = ~((x1 > 0) & (x2 > 0) & (n1 > 0) & (n2 > 0))
    low[bad] = np.nan
    high[bad] = np.nan
    return low, high


def holm_reject(p_values: FloatArray, alpha: float) -> npt.NDArray[np.bool_]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise level ``alpha``."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    reject = np.zeros(m, dtype=bool)
    if m == 0:
        return reject
    order = np.argsort(p, kind="stable")
    for rank, idx in enumerate(order):
        if p[idx] <= alpha / (m - rank):
            reject[idx] = True
        else:
            break
    return reject


def column_percentiles(
    values: FloatArray, q: list[float], *, keep: npt.NDArray[np.bool_], min_kept: int
) -> FloatArray:
    """Percentiles ``q`` (shape ``(len(q), k)``) of each column of ``values`` over its ``keep``
    entries; NaN for a column with fewer than ``min_kept`` of them.

    Columns kept whole go through one vectorised ``np.percentile``; only the others are taken
    one by one. Each column's percentiles are those of ``np.percentile`` on its kept entries.
    """
    out = np.full((len(q), values.shape[1]), np.nan)
    kept = keep.sum(axis=0)
    whole = kept == values.shape[0]
    if whole.any() and values.shape[0] >= min_kept:
        out[:, whole] = np.percentile(values[:, whole], q, axis=0)
    for j in np.flatnonzero(~whole & (kept >= min_kept)):
        out[:, j] = np.percentile(values[keep[:, j], j], q)
    return out


def percentile_interval(
    replicates: FloatArray, ci_level: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Percentile bootstrap interval along axis 0; also the share of undefined replicates.

    ``replicates`` has shape ``(n_bootstrap, k)``; undefined replicates are NaN and are left out.
    A column with no finite replicate gets a NaN interval.
    """
    tail = (1.0 - ci_level) / 2.0 * 100.0
    reps = np.asarray(replicates, dtype=np.float64)
    finite = np.isfinite(reps)
    share_undefined = 1.0 - finite.mean(axis=0)
    with np.errstate(all="ignore"):
        bounds = column_percentiles(reps, [tail, 100.0 - tail], keep=~np.isnan(reps), min_kept=1)
    bounds[:, ~finite.any(axis=0)] = np.nan
    return bounds[0], bounds[1], share_undefined

"""Paired comparisons: how much a probe moved each rate, with intervals, from small cell tables.

The baseline and the probed predictions are made on the *same* rows, so their difference is a
paired difference. For a rate over a set of rows with indicator ``f`` (correct, selected, ...)
the 2×2 table of (probed, baseline) gives ``a`` (both), ``b`` (probed only), ``c`` (baseline
only) and ``d`` (neither); the change is ``(b − c) / N``. Its interval is Newcombe's (1998)
square-and-add interval for paired proportions (his method 10): the Wilson intervals
``(l₁, u₁)`` of the probed rate ``p₁`` and ``(l₂, u₂)`` of the baseline rate ``p₂``, combined with
the estimated correlation ``φ``::

    L = Δ − sqrt((p₁ − l₁)² − 2φ(p₁ − l₁)(u₂ − p₂) + (u₂ − p₂)²)
    U = Δ + sqrt((u₁ − p₁)² − 2φ(u₁ − p₁)(p₂ − l₂) + (p₂ − l₂)²)

    φ = (max(ad − bc − N/2, 0) if ad − bc > N/2 else min(ad − bc, 0)) / sqrt((a+b)(c+d)(a+c)(b+d))

(φ = 0 when a margin is empty). Re-weighted populations (covariate and label shift) have no
closed form: their intervals are percentile intervals of a Poisson bootstrap over the cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from assay.evaluate import wilson

FloatArray = npt.NDArray[np.float64]


def paired_newcombe(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    """(Δ, low, high) for ``Δ = (a + b)/N − (a + c)/N`` (first minus second) at normal quantile
    ``z``; NaN when the table is empty.

    Examples
    --------
    Complete response before and after consolidation therapy (Cavo et al., 2012; Fagerland,
    Lydersen & Laake 2017, table 8.x: −0.0621, 95% CI −0.1186 to −0.0046):

    >>> [round(v, 4) for v in paired_newcombe(59, 6, 16, 80, 1.959963984540054)]
    [-0.0621, -0.1186, -0.0046]
    """
    n = a + b + c + d
    if n <= 0:
        return float("nan"), float("nan"), float("nan")
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = (float(v[0]) for v in wilson(np.array([a + b]), np.array([n]), z))
    l2, u2 = (float(v[0]) for v in wilson(np.array([a + c]), np.array([n]), z))
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = 0.0
    if margins > 0:
        cross = a * d - b * c
        if cross > n / 2:
            phi = (cross - n / 2) / np.sqrt(margins)
        elif cross < 0:
            phi = cross / np.sqrt(margins)
    delta = p1 - p2
    dl1, du1, dl2, du2 = p1 - l1, u1 - p1, p2 - l2, u2 - p2
    low = delta - np.sqrt(max(dl1**2 - 2 * phi * dl1 * du2 + du2**2, 0.0))
    high = delta + np.sqrt(max(du1**2 - 2 * phi * du1 * dl2 + dl2**2, 0.0))
    return float(delta), float(max(low, -1.0)), float(min(high, 1.0))


@dataclass(frozen=True)
class Levels:
    """The normal quantiles of one run: the reported interval, the one-sided test for *pass*
    (level α, intersection–union) and for *fail* (α / m, Bonferroni over m checks)."""

    ci: float
    passing: float
    failing: float

    @classmethod
    def of(cls, ci_level: float, comparisons: int) -> Levels:
        """Quantiles for ``ci_level`` and ``comparisons`` checks."""
        alpha = 1.0 - ci_level
        m = max(comparisons, 1)
        return cls(
            float(ndtri(1 - alpha / 2)), float(ndtri(1 - alpha)), float(ndtri(1 - alpha / m))
        )


def wilson_at(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson interval of ``x / n`` at quantile ``z``."""
    low, high = wilson(np.array([x], dtype=np.float64), np.array([n], dtype=np.float64), z)
    return float(low[0]), float(high[0])


def bootstrap_quantiles(replicates: FloatArray, z: float) -> tuple[float, float]:
    """The two-sided percentile interval whose tails match normal quantile ``z``."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size < 2:
        return float("nan"), float("nan")
    tail = float(ndtr(-z))
    return float(np.quantile(finite, tail)), float(np.quantile(finite, 1.0 - tail))


def weighted_rate_change(
    counts: FloatArray,
    weights: FloatArray,
    numerator: npt.NDArray[np.bool_],
    denominator: npt.NDArray[np.bool_],
    *,
    rng: np.random.Generator,
    n_bootstrap: int,
) -> tuple[float, float, float, FloatArray]:
    """(baseline rate, re-weighted rate, change, bootstrap replicates of the change) over cells.

    ``counts`` are rows per cell, ``weights`` the weight of each cell's rows; ``numerator`` and
    ``denominator`` select the cells of the rate (numerator ⊆ denominator).
    """
    num = numerator & denominator

    def rates(c: FloatArray) -> tuple[FloatArray, FloatArray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            base = (c * num).sum(axis=-1) / (c * denominator).sum(axis=-1)
            shifted = (c * weights * num).sum(axis=-1) / (c * weights * denominator).sum(axis=-1)
        return np.asarray(base, dtype=np.float64), np.asarray(shifted, dtype=np.float64)

    base, shifted = rates(counts)
    reps = rng.poisson(counts, size=(n_bootstrap, counts.size)).astype(np.float64)
    rb, rs = rates(reps)
    return float(base), float(shifted), float(shifted - base), rs - rb

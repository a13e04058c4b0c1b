"""The verdicts' test statistic for one pair of groups against a limit, vectorised.

One statistic, used twice: :mod:`assay.evaluate._verdicts` applies it to the observed counts, and
:mod:`assay.evaluate._sample_size` to simulated counts when it asks how many rows a verdict needs.
Both therefore run exactly the same test.

For a **difference** limit ``L`` the statistic is ``(|p1 − p2| − L) / se`` with the Agresti–Caffo
standard error (one success and one failure added to each group, ``q = (x + 1) / (n + 2)``)::

    se = sqrt(q1 (1 − q1) / (n1 + 2) + q2 (1 − q2) / (n2 + 2))

For a **ratio** limit it is ``(ln L − ln r) / se`` on the log scale, where ``ln r = −|ln(a1/b1) −
ln(a2/b2)|`` is the log of the smaller-to-larger ratio with 0.5 added to every count (``a = x +
0.5``, ``b = n + 0.5``) and ``se = sqrt(1/a1 − 1/b1 + 1/a2 − 1/b2)`` (Katz). A positive statistic
means the pair looks beyond the limit: the *exceeds* p-value is ``1 − Φ(z)``, the *within* one
``Φ(z)``.

A **mean** (a regression error or mean prediction, with its normal-approximation standard error
``s``) enters the same statistic through :func:`mean_terms`: for a difference the centre is the
mean and the variance ``s²`` (Welch's unpooled z-test for a difference of means); for a ratio the
centre is ``ln m`` and the variance ``(s / m)²`` (the delta method on the log scale).
"""

from __future__ import annotations

import math

import numpy as np

from assay.evaluate._stats import FloatArray

#: A floor on the standard error, so that a degenerate pair gives a finite statistic.
MIN_SE = 1e-12


def group_terms(
    rate: FloatArray, x: FloatArray, n: FloatArray, kind: str
) -> tuple[FloatArray, FloatArray]:
    """Each group's part of the statistic: (centre, variance).

    Difference: the rate and ``q (1 − q) / (n + 2)``; ratio: ``ln(a / b)`` and ``1/a − 1/b``.
    ``rate`` is ``x / n`` as the caller computed it (the verdict passes the rate it reports, so
    that the difference is that of the reported rates to the last bit).
    """
    if kind == "difference":
        q = (x + 1) / (n + 2)
        return rate, q * (1 - q) / (n + 2)
    a, b = x + 0.5, n + 0.5
    return np.log(a / b), 1 / a - 1 / b


def mean_terms(value: FloatArray, se: FloatArray, kind: str) -> tuple[FloatArray, FloatArray]:
    """Each group's part of the statistic for a mean with standard error ``se``: (centre,
    variance); on the log scale for a ratio (the mean must be positive there)."""
    if kind == "difference":
        return value, se * se
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(value), (se / value) ** 2


def pair_statistic(
    centre1: FloatArray,
    variance1: FloatArray,
    centre2: FloatArray,
    variance2: FloatArray,
    kind: str,
    limit: float,
) -> FloatArray:
    """``(gap beyond the limit) / se`` for each pair of groups, from their :func:`group_terms`;
    arrays broadcast."""
    spread = np.abs(centre1 - centre2)
    # difference: |p1 − p2| − L; ratio: ln L − ln(min/max) = ln L + |ln(a1/b1) − ln(a2/b2)|
    gap = spread - limit if kind == "difference" else math.log(limit) + spread
    statistic: FloatArray = gap / np.maximum(np.sqrt(variance1 + variance2), MIN_SE)
    return statistic

"""How many rows per group a verdict needs: the power of the verdicts' own tests.

A verdict of *insufficient evidence* says the data could not decide; this module says how much
data would. It takes the rates as they are (observed, or expected before collection) to be the
truth and asks: with ``m`` rows in every group (groups that already have more keep theirs), how
likely is the verdict to decide — to **pass** when every pair of groups is within the limit, to
**fail** when some pair is beyond it? The answer is the smallest ``m`` at which that probability
reaches the target power (80% unless told otherwise).

The probability is that of the verdict's own decision rule (:mod:`assay.evaluate._verdicts`), with
its own statistic (:func:`assay.evaluate._pair_test.pair_statistic`) applied to simulated counts:

- each group's count for each rate is drawn from the normal approximation of its binomial
  distribution, ``x = N p + sqrt(N p (1 − p)) · Z`` clipped to ``[0, N]``, where ``N`` is the
  rate's denominator at ``m`` rows (``m`` times the group's share of rows in the denominator:
  1 for the selection rate, the share of positives for the true positive rate);
- *pass*: every pair (on every rate of the rule) has a statistic below ``−z(1 − α)``;
  *fail*: some pair has one above ``z(1 − α/k)`` over the ``k`` comparisons — the first step of
  Holm's procedure, which rejects exactly when its smallest p-value is below ``α/k``.

The draws ``Z`` are a fixed set of standard normals, so the answer is deterministic and the
probability is a smooth function of ``m``. A closed-form normal approximation for the hardest pair
seeds the search, which then doubles until the power is reached and bisects to within 1%. Above
:data:`MAX_ROWS` rows per group the answer is "more than" that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist

import numpy as np

from assay.evaluate._metrics import MetricColumn
from assay.evaluate._pair_test import group_terms, pair_statistic
from assay.evaluate._stats import FloatArray

#: The power a verdict's sample-size advice is computed for.
POWER = 0.8
#: Beyond this many rows per group the answer is "more than" it.
MAX_ROWS = 1_000_000
#: Normal draws per power evaluation (fewer when there are many pairs; see ``_PAIR_BUDGET``).
DRAWS = 2000
_MIN_DRAWS = 256
#: draws × comparisons per evaluation, so that 200 groups still take a moment, not minutes
_PAIR_BUDGET = 1_000_000
_SEED = 20_190_796  # any fixed seed: the draws are a numerical integration, not a resample


@dataclass(frozen=True)
class Design:
    """What a verdict's power depends on.

    ``rates`` and ``share`` have one row per rate of the rule (two for equalized odds) and one
    column per group: the rate, and its denominator per row of the group. ``rows`` is each
    group's current number of rows (zeros when planning before collection).
    """

    rates: FloatArray
    share: FloatArray
    rows: FloatArray
    kind: str
    limit: float
    alpha: float
    min_group_size: int

    @classmethod
    def of(
        cls,
        columns: Sequence[MetricColumn],
        rows: FloatArray,
        groups: Sequence[int],
        kind: str,
        limit: float,
        alpha: float,
        min_group_size: int,
    ) -> Design:
        """The design of a verdict: the observed rates of ``groups`` on each rate column, and
        each rate's (effective) denominator per row."""
        index = np.asarray(groups, dtype=np.intp)
        have = np.asarray(rows, dtype=np.float64)[index]
        shape = (len(columns), index.size)
        rates = np.array([c.value[index] for c in columns], dtype=np.float64).reshape(shape)
        share = np.array([np.asarray(c.n)[index] / have for c in columns]).reshape(shape)
        return cls(rates, share, have, kind, limit, alpha, min_group_size)

    @property
    def groups(self) -> int:
        """Number of groups."""
        return int(self.rates.shape[1])

    def decision(self) -> str:
        """``"fail"`` when some pair's rates are beyond the limit, else ``"pass"``."""
        for i, j in combinations(range(self.groups), 2):
            p, q = self.rates[:, i], self.rates[:, j]
            if self.kind == "difference":
                beyond = np.abs(p - q) > self.limit
            else:
                high = np.maximum(p, q)
                ratio = np.where(high > 0, np.minimum(p, q) / np.where(high > 0, high, 1.0), 1.0)
                beyond = ratio < self.limit
            if bool(np.any(beyond)):
                return "fail"
        return "pass"


@dataclass(frozen=True)
class Need:
    """The smallest rows per group at which the verdict decides with the target power."""

    rows: int | None
    """``None`` when even :data:`MAX_ROWS` rows per group are not enough."""
    decision: str
    achieved: float
    """The power at ``rows`` (at :data:`MAX_ROWS` when ``rows`` is ``None``)."""


def _normals(metrics: int, groups: int, pairs: int) -> FloatArray:
    """The fixed standard normal draws ``(draws, metrics, groups)``: the same for every call with
    the same shape, so the power is a smooth function of the rows."""
    count = max(_MIN_DRAWS, min(DRAWS, _PAIR_BUDGET // max(1, metrics * pairs)))
    draws: FloatArray = np.random.default_rng(_SEED).standard_normal((count, metrics, groups))
    return draws


def power(design: Design, floor: float, *, decision: str | None = None) -> float:
    """The probability that the verdict decides ``decision`` when every group has at least
    ``floor`` rows (groups with more keep theirs)."""
    decision = decision or design.decision()
    k = design.groups
    left, right = (
        np.array(side, dtype=np.intp) for side in zip(*combinations(range(k), 2), strict=True)
    )
    metrics = design.rates.shape[0]
    comparisons = metrics * left.size
    z = _normals(metrics, k, left.size)
    n = np.maximum(design.rows, floor)[None, :] * design.share  # (metrics, groups)
    p = design.rates
    x = np.clip(n * p + np.sqrt(n * p * (1 - p)) * z, 0.0, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / n, 0.0)
    centre, variance = group_terms(rate, x, n, design.kind)
    stat = pair_statistic(
        centre[..., left], variance[..., left], centre[..., right], variance[..., right],
        design.kind, design.limit,
    )  # fmt: skip
    normal = NormalDist()
    if decision == "pass":
        decided = np.all(stat < normal.inv_cdf(design.alpha), axis=(1, 2))
    else:
        decided = np.any(stat >= normal.inv_cdf(1 - design.alpha / comparisons), axis=(1, 2))
    return float(decided.mean())


def _seed(design: Design, decision: str, target: float) -> float:
    """Closed-form rows per group for the hardest pair under the normal approximation."""
    normal = NormalDist()
    comparisons = design.rates.shape[0] * design.groups * (design.groups - 1) // 2
    alpha = design.alpha if decision == "pass" else design.alpha / comparisons
    z = normal.inv_cdf(1 - alpha) + normal.inv_cdf(target)
    p, s = design.rates, design.share
    sizes: list[float] = []
    for i, j in combinations(range(design.groups), 2):
        with np.errstate(divide="ignore", invalid="ignore"):
            if design.kind == "difference":
                variance = p[:, i] * (1 - p[:, i]) / s[:, i] + p[:, j] * (1 - p[:, j]) / s[:, j]
                effect = np.abs(design.limit - np.abs(p[:, i] - p[:, j]))
            else:
                variance = (1 - p[:, i]) / (p[:, i] * s[:, i]) + (1 - p[:, j]) / (p[:, j] * s[:, j])
                effect = np.abs(math.log(design.limit) - np.abs(np.log(p[:, i] / p[:, j])))
            size = np.where(effect > 0, z * z * variance / (effect * effect), np.inf)
        sizes.extend(float(v) for v in np.nan_to_num(size, nan=np.inf))
    finite = [v for v in sizes if math.isfinite(v)]
    if not finite:
        return float(MAX_ROWS)
    return float(max(finite) if decision == "pass" else min(finite))


def rows_needed(design: Design, target: float = POWER) -> Need:
    """The smallest number of rows per group at which the verdict decides with power ``target``.

    Groups with more rows keep theirs; the verdict also needs every group to have at least
    ``min_group_size`` rows, so the answer is never below it.
    """
    decision = design.decision()
    low = max(1, design.min_group_size)
    achieved = power(design, low, decision=decision)
    if achieved >= target:
        return Need(low, decision, achieved)
    high = int(min(MAX_ROWS, max(low + 1, math.ceil(_seed(design, decision, target)))))
    while (achieved := power(design, high, decision=decision)) < target:
        if high >= MAX_ROWS:
            return Need(None, decision, achieved)
        low, high = high, min(MAX_ROWS, high * 2)
    while high - low > max(1, high // 100):
        middle = min(high - 1, max(low + 1, int(math.sqrt(low * high))))
        now = power(design, middle, decision=decision)
        if now >= target:
            high, achieved = middle, now
        else:
            low = middle
    return Need(high, decision, achieved)


@dataclass(frozen=True)
class MeanDesign:
    """What a verdict on means (regression errors, mean predictions) depends on: each group's mean
    and its standard deviation per row (``se · √rows``), one row per tested column."""

    means: FloatArray
    unit_sd: FloatArray
    kind: str
    limit: float
    alpha: float
    min_group_size: int

    @classmethod
    def of(
        cls,
        columns: Sequence[MetricColumn],
        rows: FloatArray,
        groups: Sequence[int],
        kind: str,
        limit: float,
        alpha: float,
        min_group_size: int,
    ) -> MeanDesign:
        """The design of a verdict on the normal-approximation columns ``columns``."""
        index = np.asarray(groups, dtype=np.intp)
        have = np.asarray(rows, dtype=np.float64)[index]
        means = np.array([c.value[index] for c in columns], dtype=np.float64)
        sd = np.array([np.asarray(c.se)[index] * np.sqrt(have) for c in columns])
        return cls(means, sd, kind, limit, alpha, min_group_size)


def mean_rows_needed(design: MeanDesign, target: float = POWER) -> Need:
    """Rows per group at which a verdict on means decides with power ``target``, in closed form.

    For each pair the Welch statistic's mean at ``m`` rows per group is ``effect · √m / v`` with
    ``v² `` the sum of the two groups' per-row variances (of ``ln`` means, by the delta method, for
    a ratio), so ``m = (z(1 − α') + z(target))² v² / effect²``. *Pass* needs every pair (the
    largest ``m``, ``α' = α``); *fail* needs one pair beyond the limit (the smallest such ``m``,
    ``α' = α / k`` over the ``k`` comparisons, Holm's first step).
    """
    normal = NormalDist()
    k = design.means.shape[1]
    left, right = (
        np.array(side, dtype=np.intp) for side in zip(*combinations(range(k), 2), strict=True)
    )
    m, sd = design.means, design.unit_sd
    with np.errstate(divide="ignore", invalid="ignore"):
        if design.kind == "difference":
            gap = np.abs(m[:, left] - m[:, right]) - design.limit
            var = sd[:, left] ** 2 + sd[:, right] ** 2
        else:
            gap = np.abs(np.log(m[:, left]) - np.log(m[:, right])) + math.log(design.limit)
            var = (sd[:, left] / m[:, left]) ** 2 + (sd[:, right] / m[:, right]) ** 2
    beyond = gap > 0
    decision = "fail" if bool(beyond.any()) else "pass"
    alpha = design.alpha if decision == "pass" else design.alpha / gap.size
    z = normal.inv_cdf(1 - alpha) + normal.inv_cdf(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        sizes = np.where(np.abs(gap) > 0, z * z * var / (gap * gap), np.inf)
    sizes = np.nan_to_num(sizes, nan=np.inf)
    chosen = float(sizes.max() if decision == "pass" else sizes[beyond].min())
    if not math.isfinite(chosen) or chosen > MAX_ROWS:
        return Need(None, decision, 0.0)
    return Need(max(design.min_group_size, math.ceil(chosen)), decision, target)

"""Reproduce the simulation numbers docs/fairness.md quotes for sample sizes and the ECE interval.

Run from the repository root (about a minute on 2 cores)::

    .venv/bin/python benchmarks/statistical_validity.py

It prints two Markdown tables:

- **sample size**: for each case, the rows per group ``plan_sample_size`` plans, the power it
  computed, and the power achieved by the verdict's decision rule on 40,000 draws of exact
  binomial counts at that size (statsmodels' ``NormalIndPower`` rows alongside, where it applies);
- **ECE**: for each label model, the true ECE of 10 bins for ``s ~ Beta(2, 3)`` (integrated), the
  mean plug-in and debiased ECE of 200 samples of 300 rows, the mean interval and its coverage.

The tests (``tests/evaluate/test_sample_size.py``, ``tests/evaluate/test_calibration.py``) check
the same properties with fewer draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
from scipy import integrate, stats
from statsmodels.stats.power import NormalIndPower

from assay.evaluate import plan_sample_size
from assay.evaluate._calibration import BinSums, calibration_error

ALPHA = 0.05
Array = np.ndarray[Any, Any]


def decisions(x: Array, n: float, rule: str, limit: float) -> tuple[Array, Array]:
    """(pass, fail) per draw, by the rule of docs/fairness.md ("How a verdict is reached")."""
    zs = []
    for i, j in combinations(range(x.shape[1]), 2):
        x1, x2 = x[:, i], x[:, j]
        if rule == "difference":
            t1, t2 = (x1 + 1) / (n + 2), (x2 + 1) / (n + 2)
            se = np.sqrt(t1 * (1 - t1) / (n + 2) + t2 * (1 - t2) / (n + 2))
            zs.append((np.abs(x1 - x2) / n - limit) / se)
        else:
            a1, a2, b = x1 + 0.5, x2 + 0.5, n + 0.5
            se = np.sqrt(1 / a1 + 1 / a2 - 2 / b)
            zs.append((math.log(limit) + np.abs(np.log(a1 / a2))) / se)
    z = np.stack(zs, axis=1)
    fail = stats.norm.sf(z).min(axis=1) <= ALPHA / z.shape[1]
    return (stats.norm.cdf(z) < ALPHA).all(axis=1) & ~fail, fail


def sample_size_table() -> None:
    cases = [
        ("two groups 0.30, 0.32; difference ≤ 0.1", [0.30, 0.32], "difference", 0.1),
        ("five groups at 0.5; difference ≤ 0.1", [0.5] * 5, "difference", 0.1),
        ("three groups 0.50, 0.45, 0.48; ratio ≥ 0.8", [0.50, 0.45, 0.48], "ratio", 0.8),
        ("two groups 0.30, 0.45; difference ≤ 0.1 (fails)", [0.30, 0.45], "difference", 0.1),
        ("two groups 0.30, 0.36; difference ≤ 0 (fails)", [0.30, 0.36], "difference", 0.0),
    ]
    print("| case | planned rows per group | computed power | achieved power | statsmodels |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(99)
    for name, rates, rule, limit in cases:
        plan = plan_sample_size(rates, rule=rule, limit=limit)  # type: ignore[arg-type]
        assert plan.rows_per_group is not None
        x = rng.binomial(plan.rows_per_group, rates, size=(40_000, len(rates))).astype(float)
        passed, fail = decisions(x, float(plan.rows_per_group), rule, limit)
        achieved = (passed if plan.decision == "pass" else fail).mean()
        reference = "—"
        if len(rates) == 2 and rule == "difference":
            p1, p2 = rates
            sd = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
            effect = abs(limit - abs(p1 - p2)) / sd
            rows = NormalIndPower().solve_power(
                effect_size=effect, alpha=ALPHA, power=0.8, alternative="larger"
            )
            reference = f"{rows:,.0f}"
        print(
            f"| {name} | {plan.rows_per_group:,} | {plan.achieved_power:.1%} | {achieved:.1%} "
            f"| {reference} |"
        )


Curve = Callable[[Array], Array]


def true_ece(curve: Curve, bins: int = 10) -> float:
    density = stats.beta(2, 3).pdf
    total = 0.0
    for j in range(bins):
        gap, _ = integrate.quad(
            lambda s: float((s - curve(np.array(s))) * density(s)), j / bins, (j + 1) / bins
        )
        total += abs(gap)
    return total


def ece_table(samples: int = 200, rows: int = 300, bins: int = 10) -> None:
    cases: list[tuple[str, Curve]] = [
        ("calibrated", lambda s: s),
        ("slightly miscalibrated, π = s^1.2", lambda s: s**1.2),
        ("miscalibrated, π = s²", lambda s: s**2),
        ("overconfident, logit doubled", lambda s: 1 / (1 + ((1 - s) / s) ** 2)),
    ]
    print("\n| labels | true ECE | mean plug-in | mean debiased | mean interval | coverage |")
    print("|---|---|---|---|---|---|")
    for seed, (name, curve) in enumerate(cases):
        rng = np.random.default_rng(seed)
        s = rng.beta(2, 3, size=(samples, rows))
        y = (rng.random((samples, rows)) < curve(s)).astype(np.float64)
        one_hot = (np.minimum(np.floor(s * bins), bins - 1)[..., None] == np.arange(bins)).astype(
            np.float64
        )
        per_bin = [np.einsum("ir,irb->ib", v, one_hot) for v in (np.ones_like(s), s, y)]
        square = np.einsum("ir,irb->ib", (y - s) ** 2, one_hot)
        sums = BinSums(per_bin[0], per_bin[0], per_bin[1], per_bin[2], square)
        ece = calibration_error(sums, ci_level=0.95, n_resamples=500, rng=np.random.default_rng(1))
        truth = true_ece(curve, bins)
        covered = ((ece.low <= truth + 1e-12) & (truth <= ece.high + 1e-12)).mean()
        print(
            f"| {name} | {truth:.3f} | {ece.plugin.mean():.3f} | {ece.value.mean():.3f} | "
            f"[{ece.low.mean():.3f}, {ece.high.mean():.3f}] | {covered:.1%} |"
        )


if __name__ == "__main__":
    sample_size_table()
    ece_table()

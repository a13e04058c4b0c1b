"""Paired intervals and verdict levels, against published values and direct computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assay.robustness._paired import (
    Levels,
    bootstrap_quantiles,
    paired_newcombe,
    weighted_rate_change,
)

Z95 = 1.959963984540054


def test_paired_newcombe_matches_the_published_example() -> None:
    # Cavo et al. (2012), complete response before/after consolidation, as worked in Fagerland,
    # Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), chapter 8:
    # difference −0.0621, Newcombe square-and-add 95% CI −0.1186 to −0.0046.
    delta, low, high = paired_newcombe(59, 6, 16, 80, Z95)
    assert round(delta, 4) == -0.0621
    assert round(low, 4) == -0.1186
    assert round(high, 4) == -0.0046


def test_paired_newcombe_is_antisymmetric_and_contains_the_estimate() -> None:
    d1, l1, h1 = paired_newcombe(40, 12, 3, 45, Z95)
    d2, l2, h2 = paired_newcombe(40, 3, 12, 45, Z95)
    assert d1 == pytest.approx(-d2)
    assert l1 == pytest.approx(-h2)
    assert h1 == pytest.approx(-l2)
    assert l1 < d1 < h1


def test_no_change_gives_an_interval_around_zero_that_narrows_with_n() -> None:
    _, low_small, high_small = paired_newcombe(50, 0, 0, 50, Z95)
    _, low_big, high_big = paired_newcombe(5000, 0, 0, 5000, Z95)
    assert low_small <= 0 <= high_small
    assert high_big - low_big < high_small - low_small


def test_empty_table_is_nan() -> None:
    assert all(math.isnan(v) for v in paired_newcombe(0, 0, 0, 0, Z95))


def test_levels_are_one_sided_with_bonferroni_for_fail() -> None:
    levels = Levels.of(0.95, 10)
    assert levels.ci == pytest.approx(Z95)
    assert levels.passing == pytest.approx(1.6448536269514722)
    assert levels.failing == pytest.approx(2.5758293035489004)  # one-sided 0.005


def test_weighted_rate_change_equals_the_direct_weighted_mean() -> None:
    rng = np.random.default_rng(1)
    counts = np.array([30.0, 20.0, 10.0, 40.0])
    weights = np.array([1.0, 3.0, 1.0, 3.0])
    numerator = np.array([True, True, False, False])
    every = np.ones(4, dtype=bool)
    base, shifted, change, reps = weighted_rate_change(
        counts, weights, numerator, every, rng=rng, n_bootstrap=400
    )
    assert base == pytest.approx(50 / 100)
    assert shifted == pytest.approx((30 + 60) / (30 + 60 + 10 + 120))
    assert change == pytest.approx(shifted - base)
    low, high = bootstrap_quantiles(reps, Z95)
    assert low < change < high

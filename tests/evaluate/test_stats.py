"""Interval formulas against published worked examples and hand calculation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assay.evaluate._stats import holm_reject, katz, newcombe, wilson, z_value

Z = 1.959963984540054  # two-sided 95% normal quantile


def test_z_value() -> None:
    assert z_value(0.95) == pytest.approx(Z, abs=1e-12)
    assert z_value(0.90) == pytest.approx(1.6448536269514722, abs=1e-12)


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3
# (Wilson score interval without continuity correction), to 4 decimals.
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998_table(x: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(np.array([x], float), np.array([n], float), Z)
    assert lo[0] == pytest.approx(low, abs=5e-5)
    assert hi[0] == pytest.approx(high, abs=5e-5)


def test_wilson_from_the_formula() -> None:
    x, n = 37.0, 112.0
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    lo, hi = wilson(np.array([x]), np.array([n]), Z)
    assert lo[0] == pytest.approx(centre - half, abs=1e-15)
    assert hi[0] == pytest.approx(centre + half, abs=1e-15)


def test_wilson_empty_group_is_nan() -> None:
    lo, hi = wilson(np.array([0.0]), np.array([0.0]), Z)
    assert np.isnan(lo[0])
    assert np.isnan(hi[0])


# Newcombe (1998), "Interval estimation for the difference between independent proportions",
# Table II, method 10 (hybrid score, no continuity correction), to 4 decimals.
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
    ],
)
def test_newcombe_matches_published_examples(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    a, b = np.array([x1 / n1]), np.array([x2 / n2])
    la, ha = wilson(np.array([x1], float), np.array([n1], float), Z)
    lb, hb = wilson(np.array([x2], float), np.array([n2], float), Z)
    lo, hi = newcombe(a, la, ha, b, lb, hb)
    assert lo[0] == pytest.approx(low, abs=5e-5)
    assert hi[0] == pytest.approx(high, abs=5e-5)


def test_katz_from_the_formula() -> None:
    x1, n1, x2, n2 = 30.0, 200.0, 45.0, 180.0
    r = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    lo, hi = katz(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]), Z)
    assert lo[0] == pytest.approx(r * math.exp(-Z * se), abs=1e-14)
    assert hi[0] == pytest.approx(r * math.exp(Z * se), abs=1e-14)


def test_katz_undefined_with_zero_events() -> None:
    lo, hi = katz(np.array([0.0]), np.array([10.0]), np.array([4.0]), np.array([10.0]), Z)
    assert np.isnan(lo[0])
    assert np.isnan(hi[0])


def test_holm_step_down_by_hand() -> None:
    # alpha 0.05, m = 4: thresholds 0.0125, 0.01667, 0.025, 0.05 in sorted order.
    p = np.array([0.04, 0.012, 0.016, 0.03])
    # sorted: 0.012 <= 0.0125 reject; 0.016 <= 0.01667 reject; 0.03 > 0.025 stop.
    assert holm_reject(p, 0.05).tolist() == [False, True, True, False]
    assert holm_reject(np.array([0.02, 0.3]), 0.05).tolist() == [True, False]
    assert holm_reject(np.array([0.026, 0.03]), 0.05).tolist() == [False, False]
    assert holm_reject(np.array([]), 0.05).tolist() == []

"""Sample-size planning: the rows a verdict needs, checked by simulating the verdict itself.

The planner works from a normal approximation of each group's count; these tests draw exact
binomial counts at the planned size and run the verdict's decision rule on them (a vectorised
reference written from docs/fairness.md, itself checked against :func:`judge`), so the achieved
power is measured, not assumed. Where statsmodels has a power function for the same one-sided
z-test, the planned size agrees with it.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from assay.errors import InputError
from assay.evaluate import fairness, judge, plan_sample_size

ALPHA = 0.05
DRAWS = 1000
#: the achieved power at the planned size must be within this of the target (±5 points)
POWER_TOLERANCE = 0.05


def reference_decisions(
    x: np.ndarray[Any, Any], n: np.ndarray[Any, Any], rule: str, limit: float
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(pass, fail) of every draw: ``x`` is ``(draws, groups)`` counts out of ``n`` rows each.

    The decision rule of docs/fairness.md ("How a verdict is reached"): pairwise z statistics
    (Agresti–Caffo for differences, Katz log with 0.5 added for ratios); fail when Holm rejects
    an *exceeds* test, pass when every *within* test rejects at α.
    """
    stats = []
    for i, j in combinations(range(x.shape[1]), 2):
        x1, x2, n1, n2 = x[:, i], x[:, j], n[i], n[j]
        if rule == "difference":
            t1, t2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
            se = np.sqrt(t1 * (1 - t1) / (n1 + 2) + t2 * (1 - t2) / (n2 + 2))
            stats.append((np.abs(x1 / n1 - x2 / n2) - limit) / se)
        else:
            a1, b1, a2, b2 = x1 + 0.5, n1 + 0.5, x2 + 0.5, n2 + 0.5
            se = np.sqrt(1 / a1 - 1 / b1 + 1 / a2 - 1 / b2)
            stats.append((math.log(limit) + np.abs(np.log(a1 / b1) - np.log(a2 / b2))) / se)
    z = np.stack(stats, axis=1)
    m = z.shape[1]
    fail = norm.sf(z).min(axis=1) <= ALPHA / m  # Holm rejects something iff its first step does
    passed = (norm.cdf(z) < ALPHA).all(axis=1) & ~fail
    return passed, fail


def _result(counts: list[tuple[int, int]]) -> dict[str, Any]:
    """A fairness payload whose groups have ``x`` selected out of ``n`` rows."""
    groups = [
        {
            "by": ["g"],
            "group": {"g": f"g{k}"},
            "n": n,
            "counts": {"tp": x, "fp": 0, "fn": 0, "tn": n - x},
        }
        for k, (n, x) in enumerate(counts)
    ]
    return {"groups": groups, "params": {"min_group_size": 30, "ci_level": 1 - ALPHA}}


def test_the_reference_decides_as_judge_does() -> None:
    rng = np.random.default_rng(7)
    n = np.array([400, 400, 400])
    x = rng.binomial(n, [0.5, 0.47, 0.52], size=(40, 3))
    for rule, limit in (("demographic_parity_difference", 0.1), ("demographic_parity_ratio", 0.8)):
        kind = rule.rsplit("_", 1)[1]
        passed, fail = reference_decisions(x.astype(float), n.astype(float), kind, limit)
        for k in range(x.shape[0]):
            (v,) = judge(_result([(400, int(c)) for c in x[k]]), {rule: limit})
            expected = "pass" if passed[k] else "fail" if fail[k] else "insufficient_evidence"
            assert v["verdict"] == expected, (rule, x[k])
        assert 0 < passed.sum() < x.shape[0]  # the check saw both outcomes


SCENARIOS = {
    "two groups within a difference limit": ([0.30, 0.32], "difference", 0.1, "pass"),
    "five equal groups (the issue's example)": ([0.5] * 5, "difference", 0.1, "pass"),
    "three groups within a ratio limit": ([0.50, 0.45, 0.48], "ratio", 0.8, "pass"),
    "two groups beyond a difference limit": ([0.30, 0.45], "difference", 0.1, "fail"),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_planned_rows_reach_the_power_in_simulation(name: str) -> None:
    rates, rule, limit, decision = SCENARIOS[name]
    plan = plan_sample_size(rates, rule=rule, limit=limit)  # type: ignore[arg-type]
    assert plan.decision == decision
    assert plan.rows_per_group is not None
    n = np.full(len(rates), float(plan.rows_per_group))
    rng = np.random.default_rng(list(SCENARIOS).index(name))
    x = rng.binomial(plan.rows_per_group, rates, size=(DRAWS, len(rates))).astype(float)
    passed, fail = reference_decisions(x, n, rule, limit)
    achieved = float((passed if decision == "pass" else fail).mean())
    assert abs(achieved - 0.8) <= POWER_TOLERANCE, (name, plan.rows_per_group, achieved)
    # and with a third fewer rows the power is clearly lower: the size is not padded
    smaller = int(plan.rows_per_group * 2 / 3)
    x = rng.binomial(smaller, rates, size=(DRAWS, len(rates))).astype(float)
    passed, fail = reference_decisions(x, np.full(len(rates), float(smaller)), rule, limit)
    assert float((passed if decision == "pass" else fail).mean()) < 0.8 - POWER_TOLERANCE


#: The planner (Agresti–Caffo standard errors, simulated counts) against statsmodels' normal power
#: functions for the same one-sided z-test: within 5% of statsmodels' rows.
STATSMODELS_TOLERANCE = 0.05


@pytest.mark.parametrize(("p1", "p2"), [(0.30, 0.36), (0.50, 0.42), (0.10, 0.15)])
def test_a_difference_limit_of_zero_matches_statsmodels(p1: float, p2: float) -> None:
    # Limit 0: the verdict fails when the rates differ; the planned rows are those of a one-sided
    # test of equal proportions at α (the other tail is negligible), as in statsmodels.
    expected = NormalIndPower().solve_power(
        effect_size=abs(proportion_effectsize(p1, p2)), alpha=ALPHA, power=0.8, alternative="larger"
    )
    plan = plan_sample_size([p1, p2], limit=0.0)
    assert plan.decision == "fail"
    assert plan.rows_per_group == pytest.approx(expected, rel=STATSMODELS_TOLERANCE)


@pytest.mark.parametrize(("p1", "p2", "limit"), [(0.30, 0.32, 0.1), (0.60, 0.55, 0.12)])
def test_a_pass_matches_statsmodels_one_sided_power(p1: float, p2: float, limit: float) -> None:
    # Passing needs |p1 − p2| significantly below the limit: a one-sided z-test of the difference
    # against the limit, with the unpooled standard deviation; the far side is negligible.
    sd = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    effect = (limit - abs(p1 - p2)) / sd
    expected = NormalIndPower().solve_power(
        effect_size=effect, alpha=ALPHA, power=0.8, alternative="larger"
    )
    plan = plan_sample_size([p1, p2], limit=limit)
    assert plan.rows_per_group == pytest.approx(expected, rel=STATSMODELS_TOLERANCE)


def test_more_rows_are_needed_closer_to_the_limit_and_for_more_power() -> None:
    sizes = [plan_sample_size(rate=0.3, gap=g, limit=0.1).rows_per_group for g in (0.0, 0.03, 0.06)]
    assert sizes[0] is not None
    assert sizes[1] is not None
    assert sizes[2] is not None
    assert sizes[0] < sizes[1] < sizes[2]
    low = plan_sample_size(rate=0.3, gap=0.03, limit=0.1, power=0.6).rows_per_group
    high = plan_sample_size(rate=0.3, gap=0.03, limit=0.1, power=0.95).rows_per_group
    assert low is not None
    assert high is not None
    assert low < sizes[1] < high


def test_rates_at_the_limit_need_more_than_the_cap() -> None:
    plan = plan_sample_size([0.5, 0.4], limit=0.8, rule="ratio")  # ratio exactly 0.8
    assert plan.rows_per_group is None
    assert plan.more_than == 1_000_000
    assert plan.to_dict()["more_than"] == 1_000_000


def test_share_scales_rows_and_min_group_size_is_a_floor() -> None:
    full = plan_sample_size(rate=0.3, gap=0.02, limit=0.1).rows_per_group
    half = plan_sample_size(rate=0.3, gap=0.02, limit=0.1, share=0.5).rows_per_group
    assert full is not None
    assert half is not None
    assert half == pytest.approx(2 * full, rel=0.01)
    easy = plan_sample_size(rate=0.3, limit=0.9, min_group_size=50)
    assert easy.rows_per_group == 50


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"rate": 1.2, "limit": 0.1}, "must lie in [0, 1]"),
        ({"rate": 0.9, "gap": 0.2, "limit": 0.1}, "rate + gap must lie in [0, 1]"),
        ({"rates": [0.3, -0.1], "limit": 0.1}, "Each rate must lie in [0, 1]"),
        ({"rates": [0.3], "limit": 0.1}, "needs 2 to 200"),
        ({"rate": 0.3, "limit": 0.1, "power": 1.0}, "power is a probability"),
        ({"rate": 0.3, "limit": 0.1, "ci_level": 1.0}, "ci_level"),
        ({"rate": 0.3, "limit": 1.5}, "difference limit"),
        ({"rate": 0.3, "limit": 0.0, "rule": "ratio"}, "ratio limit"),
        ({"rate": 0.3, "limit": 0.1, "rule": "odds"}, "rule must be"),
        ({"rate": 0.3, "limit": 0.1, "share": 0.0}, "share"),
        ({"limit": 0.1}, "exactly one"),
        ({"rates": [0.3, 0.3], "rate": 0.3, "limit": 0.1}, "exactly one"),
        ({"rates": [0.3, 0.3], "groups": 3, "limit": 0.1}, "one rate per group"),
    ],
)
def test_bad_input_is_named(kwargs: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InputError, match=None) as info:
        plan_sample_size(**kwargs)
    assert complaint in str(info.value)


# -- the advice every insufficient verdict carries ---------------------------------------------


def _frame(spec: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """Group g has n rows of which x are predicted positive."""
    rows: dict[str, list[object]] = {"g": [], "y": [], "pred": []}
    for name, (n, x) in spec.items():
        rows["g"] += [name] * n
        rows["pred"] += [1] * x + [0] * (n - x)
        rows["y"] += [i % 2 for i in range(n)]
    return pl.DataFrame(rows)


def _verdict(spec: dict[str, tuple[int, int]], **limits: float) -> dict[str, Any]:
    result = fairness(_frame(spec), y_true="y", y_pred="pred", sensitive_features="g",
                      thresholds=limits)  # fmt: skip
    (only,) = result.verdicts
    return only


def test_an_undecided_verdict_names_the_rows_each_group_needs() -> None:
    v = _verdict(
        {"a": (60, 30), "b": (60, 27), "c": (4000, 2000)}, demographic_parity_difference=0.1
    )
    assert v["verdict"] == "insufficient_evidence"
    sizes = v["sample_size"]
    assert set(sizes) == {"g=a", "g=b"}  # c is large enough already
    assert sizes["g=a"]["have"] == 60
    assert sizes["g=b"]["have"] == 60
    need = sizes["g=a"]["need"]
    assert need == sizes["g=b"]["need"]
    # the groups' rates at the advised size: the same test now decides, and decides pass
    rates = {"a": 0.5, "b": 0.45, "c": 0.5}
    bigger = {
        g: (max(n, need), round(rates[g] * max(n, need)))
        for g, n in (("a", 60), ("b", 60), ("c", 4000))
    }
    assert _verdict(bigger, demographic_parity_difference=0.1)["verdict"] == "pass"


def test_small_groups_need_at_least_the_minimum() -> None:
    v = _verdict(
        {"a": (20, 10), "b": (5000, 2500), "c": (5000, 2500)}, demographic_parity_difference=0.3
    )
    assert v["verdict"] == "insufficient_evidence"
    assert v["sample_size"] == {"g=a": {"have": 20, "need": 30}}


def test_rates_at_the_limit_say_more_than_the_cap() -> None:
    v = _verdict({"a": (100, 50), "b": (100, 40)}, demographic_parity_ratio=0.8)
    assert v["verdict"] == "insufficient_evidence"
    assert v["sample_size"]["g=a"] == {"have": 100, "need": None, "more_than": 1_000_000}


def test_decided_verdicts_carry_no_advice() -> None:
    v = _verdict({"a": (5000, 1500), "b": (5000, 1500)}, demographic_parity_difference=0.1)
    assert v["verdict"] == "pass"
    assert "sample_size" not in v
    v = _verdict({"a": (5000, 2500), "b": (5000, 1000)}, demographic_parity_difference=0.1)
    assert v["verdict"] == "fail"
    assert "sample_size" not in v


def test_rows_count_the_rate_denominator() -> None:
    # equal opportunity compares true positive rates: only the positives (half the rows) count
    v = _verdict({"a": (120, 60), "b": (120, 54)}, equal_opportunity_difference=0.1)
    d = _verdict({"a": (120, 60), "b": (120, 54)}, demographic_parity_difference=0.1)
    assert v["verdict"] == d["verdict"] == "insufficient_evidence"
    tpr_need = v["sample_size"]["g=a"]["need"]
    sel_need = d["sample_size"]["g=a"]["need"]
    assert tpr_need > 1.5 * sel_need

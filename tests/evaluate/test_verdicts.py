"""Verdicts on constructed data whose answer is known, the test statistic recomputed by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from assay.evaluate import fairness


def _groups(spec: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """One row per person: group g has n rows of which x are predicted positive."""
    rows: dict[str, list[object]] = {"g": [], "y": [], "pred": []}
    for name, (n, x) in spec.items():
        rows["g"] += [name] * n
        rows["pred"] += [1] * x + [0] * (n - x)
        rows["y"] += [i % 2 for i in range(n)]
    return pl.DataFrame(rows)


def _verdict(spec: dict[str, tuple[int, int]], **limits: float) -> dict[str, object]:
    result = fairness(
        _groups(spec), y_true="y", y_pred="pred", sensitive_features="g", thresholds=limits
    )
    (only,) = result.verdicts
    return only


def test_clear_gap_fails() -> None:
    v = _verdict({"a": (5000, 2500), "b": (5000, 1000)}, demographic_parity_difference=0.1)
    assert v["verdict"] == "fail"
    assert v["estimate"]["value"] == pytest.approx(0.3)
    assert "significantly above the limit 0.1" in str(v["reason"])


def test_equal_rates_pass() -> None:
    v = _verdict({"a": (5000, 1500), "b": (5000, 1500)}, demographic_parity_difference=0.1)
    assert v["verdict"] == "pass"


def test_small_groups_are_insufficient_evidence() -> None:
    v = _verdict(
        {"a": (20, 10), "b": (20, 10), "c": (5000, 2500)}, demographic_parity_difference=0.1
    )
    assert v["verdict"] == "insufficient_evidence"
    assert "below min_group_size=30: g=a; g=b" in str(v["reason"])


def test_small_group_does_not_hide_a_clear_failure() -> None:
    v = _verdict(
        {"a": (20, 10), "b": (5000, 2500), "c": (5000, 500)}, demographic_parity_difference=0.1
    )
    assert v["verdict"] == "fail"


def test_too_wide_to_decide() -> None:
    v = _verdict({"a": (60, 30), "b": (60, 27)}, demographic_parity_difference=0.1)
    assert v["verdict"] == "insufficient_evidence"
    assert "too wide" in str(v["reason"])


def test_ratio_rule() -> None:
    assert (
        _verdict({"a": (5000, 2500), "b": (5000, 1000)}, demographic_parity_ratio=0.8)["verdict"]
        == "fail"
    )
    assert (
        _verdict({"a": (5000, 2500), "b": (5000, 2450)}, demographic_parity_ratio=0.8)["verdict"]
        == "pass"
    )


def _agresti_caffo_p(x1: int, n1: int, x2: int, n2: int, limit: float) -> float:
    """P(exceeds) by hand: one-sided z-test of |p1 − p2| > limit with Agresti–Caffo SE."""
    d = abs(x1 / n1 - x2 / n2)
    q1, q2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
    se = math.sqrt(q1 * (1 - q1) / (n1 + 2) + q2 * (1 - q2) / (n2 + 2))
    return 0.5 * math.erfc(((d - limit) / se) / math.sqrt(2))


def test_holm_correction_changes_the_verdict() -> None:
    p = _agresti_caffo_p(200, 400, 131, 400, 0.1)
    assert 0.05 / 15 < p < 0.05  # the premise: significant alone, not after Holm over 15 pairs
    alone = _verdict({"a": (400, 200), "b": (400, 131)}, demographic_parity_difference=0.1)
    assert alone["verdict"] == "fail"
    many = {"a": (400, 200)} | dict.fromkeys("bcdef", (400, 131))
    corrected = _verdict(many, demographic_parity_difference=0.1)
    assert corrected["comparisons"] == 15
    assert corrected["verdict"] == "insufficient_evidence"


def test_equalized_odds_uses_both_rates() -> None:
    # equal selection by label in a and b for positives, different for negatives
    rows: dict[str, list[object]] = {"g": [], "y": [], "pred": []}
    for g, fpr in (("a", 0.1), ("b", 0.4)):
        for i in range(4000):
            y = i % 2
            rows["g"].append(g)
            rows["y"].append(y)
            rows["pred"].append(int((i // 2) % 10 < 7) if y else int((i // 2) % 10 < fpr * 10))
    result = fairness(
        pl.DataFrame(rows), y_true="y", y_pred="pred", sensitive_features="g",
        thresholds={"equal_opportunity_difference": 0.1, "equalized_odds_difference": 0.1},
    )  # fmt: skip
    verdicts = {v["rule"]: v["verdict"] for v in result.verdicts}
    assert verdicts == {"equal_opportunity_difference": "pass", "equalized_odds_difference": "fail"}
    eo = next(v for v in result.verdicts if v["rule"] == "equalized_odds_difference")
    assert eo["estimate"]["value"] == pytest.approx(0.3)
    assert result.outcome == "fail"

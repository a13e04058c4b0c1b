"""Verdicts on disparity limits: pass, fail or insufficient evidence, with Holm control.

A limit on a difference (say ``demographic_parity_difference <= 0.1``) holds when every pair of
groups differs by at most the limit; a limit on a ratio (``demographic_parity_ratio >= 0.8``) when
every pair's smaller-to-larger ratio is at least the limit. For each pair of eligible groups two
one-sided z-tests are run:

- *exceeds*: H0 "the pair is within the limit" — the Holm step-down procedure over every pair (and
  both rates, for equalized odds) at level α = 1 − ci_level; any rejection gives **fail**;
- *within*: H0 "the pair is outside the limit" — when every pair rejects it at level α
  (an intersection–union test, which needs no multiplicity correction) the verdict is **pass**.

Anything else is **insufficient evidence**: groups smaller than ``min_group_size`` or with the
metric undefined (named in the reason), or intervals too wide to decide. Standard errors are
Agresti–Caffo (one success and one failure added per group) for differences and the Katz log
form with a 0.5 correction for ratios, so that empty cells do not produce zero variance.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from assay.errors import InputError
from assay.evaluate._groups import Grouping
from assay.evaluate._metrics import RATES, MetricColumn
from assay.evaluate._stats import holm_reject, normal_sf

SUMMARY_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "demographic_parity_difference": ("difference", ("selection_rate",)),
    "demographic_parity_ratio": ("ratio", ("selection_rate",)),
    "equalized_odds_difference": ("difference", ("tpr", "fpr")),
    "equalized_odds_ratio": ("ratio", ("tpr", "fpr")),
    "equal_opportunity_difference": ("difference", ("tpr",)),
    "equal_opportunity_ratio": ("ratio", ("tpr",)),
}


def rule_names() -> list[str]:
    """Every threshold name a caller may set."""
    names = list(SUMMARY_RULES)
    for rate in RATES:
        names += [f"{rate}_difference", f"{rate}_ratio"]
    return names


def parse_rule(name: str) -> tuple[str, tuple[str, ...]]:
    """(kind, metrics) of a threshold name, or an InputError naming the valid ones."""
    if name in SUMMARY_RULES:
        return SUMMARY_RULES[name]
    for kind in ("difference", "ratio"):
        metric = name.removesuffix(f"_{kind}")
        if name.endswith(f"_{kind}") and metric in RATES:
            return kind, (metric,)
    raise InputError(
        f"Unknown threshold '{name}'. Thresholds can be set on: {', '.join(rule_names())}."
    )


def validate_thresholds(thresholds: dict[str, float]) -> None:
    """Check names and ranges of every threshold before anything is computed."""
    for name, limit in thresholds.items():
        kind, _ = parse_rule(name)
        if not isinstance(limit, int | float) or isinstance(limit, bool) or not np.isfinite(limit):
            raise InputError(f"The threshold for '{name}' must be a number, got {limit!r}.")
        if kind == "difference" and not 0 <= limit <= 1:
            raise InputError(
                f"The threshold for '{name}' is a largest allowed difference of rates, "
                f"so it must lie in [0, 1]; got {limit}."
            )
        if kind == "ratio" and not 0 < limit <= 1:
            raise InputError(
                f"The threshold for '{name}' is a smallest allowed ratio (min/max), "
                f"so it must lie in (0, 1]; got {limit}."
            )


def _pair_tests(
    col: MetricColumn, i: int, j: int, kind: str, limit: float
) -> tuple[float, float, float]:
    """(observed disparity, p exceeds, p within) for one pair of groups on one rate."""
    assert col.x is not None and col.n is not None
    x1, n1, x2, n2 = col.x[i], col.n[i], col.x[j], col.n[j]
    if kind == "difference":
        d = abs(col.value[i] - col.value[j])
        q1, q2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
        se = float(np.sqrt(q1 * (1 - q1) / (n1 + 2) + q2 * (1 - q2) / (n2 + 2)))
        gap = d - limit
        observed = float(d)
    else:
        a1, b1, a2, b2 = x1 + 0.5, n1 + 0.5, x2 + 0.5, n2 + 0.5
        log_r = -abs(np.log(a1 / b1) - np.log(a2 / b2))  # log of min/max ≤ 0
        se = float(np.sqrt(1 / a1 - 1 / b1 + 1 / a2 - 1 / b2))
        gap = np.log(limit) - log_r
        observed = float(np.exp(log_r))
    se = max(se, 1e-12)
    p_exceeds = float(normal_sf(np.array([gap / se]))[0])
    p_within = float(normal_sf(np.array([-gap / se]))[0])
    return observed, p_exceeds, p_within


def _count(n: int) -> str:
    return f"{n} comparison" + ("" if n == 1 else "s")


def _describe(grouping: Grouping, indices: list[int]) -> str:
    parts = []
    for g in indices:
        key = grouping.keys[g]
        parts.append(
            ", ".join(
                f"{f}={'(missing)' if v is None else v}"
                for f, v in zip(grouping.features, key, strict=True)
            )
        )
    return "; ".join(parts)


def verdict(
    name: str,
    limit: float,
    columns: dict[str, MetricColumn],
    grouping: Grouping,
    rows: np.ndarray[Any, np.dtype[np.float64]],
    estimate: dict[str, Any],
    *,
    min_group_size: int,
    alpha: float,
) -> dict[str, Any]:
    """The verdict of one threshold on one grouping."""
    kind, metrics = parse_rule(name)
    out: dict[str, Any] = {
        "rule": name,
        "by": list(grouping.features),
        "limit": limit,
        "direction": "at most" if kind == "difference" else "at least",
        "estimate": estimate,
        "method": "pairwise one-sided z-tests; Holm for fail, intersection-union for pass",
    }
    small = [g for g in range(len(grouping)) if rows[g] < min_group_size]
    undefined = sorted(
        {g for m in metrics for g in range(len(grouping)) if not np.isfinite(columns[m].value[g])}
    )
    eligible = [g for g in range(len(grouping)) if g not in small and g not in undefined]
    p_exceed, p_within, pairs = [], [], []
    for m in metrics:
        for i, j in combinations(eligible, 2):
            observed, pe, pw = _pair_tests(columns[m], i, j, kind, limit)
            p_exceed.append(pe)
            p_within.append(pw)
            pairs.append((m, i, j, observed))
    rejected = holm_reject(np.array(p_exceed), alpha)
    out["comparisons"] = len(pairs)
    if rejected.any():
        worst = max(
            (k for k in range(len(pairs)) if rejected[k]),
            key=lambda k: pairs[k][3] if kind == "difference" else -pairs[k][3],
        )
        m, i, j, observed = pairs[worst]
        out["verdict"] = "fail"
        out["reason"] = (
            f"{m} {kind} between [{_describe(grouping, [i])}] and [{_describe(grouping, [j])}] is "
            f"{observed:.4g}, significantly {'above' if kind == 'difference' else 'below'} the "
            f"limit {limit} (Holm-adjusted over {_count(len(pairs))})."
        )
        return out
    if small or undefined:
        reasons = []
        if small:
            reasons.append(
                f"groups below min_group_size={min_group_size}: {_describe(grouping, small)}"
            )
        if undefined:
            reasons.append(
                f"groups where {'/'.join(metrics)} is undefined: {_describe(grouping, undefined)}"
            )
        out["verdict"] = "insufficient_evidence"
        out["reason"] = "; ".join(reasons) + "."
        return out
    if len(eligible) < 2:
        out["verdict"] = "insufficient_evidence"
        out["reason"] = "fewer than two groups to compare."
        return out
    if all(p < alpha for p in p_within):
        out["verdict"] = "pass"
        out["reason"] = (
            f"every pair of groups is significantly within the limit {limit} "
            f"({_count(len(pairs))})."
        )
        return out
    out["verdict"] = "insufficient_evidence"
    out["reason"] = (
        f"no pair is significantly beyond the limit {limit}, but the intervals are too wide to "
        "show "
        "that every pair is within it; collect more data or review the groups' intervals."
    )
    return out

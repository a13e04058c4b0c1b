"""Disparities between groups: differences, ratios, the fairness summaries and the four-fifths rule.

For every metric and grouping: the difference max − min and the ratio min / max across groups
(Fairlearn's ``between_groups``), and each group against a reference group (the one given, else
the largest). Interval methods follow the metric: Newcombe (difference) and Katz log (ratio) for
rates; percentile intervals of the replicate differences and ratios for bootstrap metrics (groups
are disjoint, so their replicates are independent); a normal approximation with the delta method
on the log scale for means. The interval of max − min is that of the two groups that attain it,
conditional on which groups they are (stated in the result), clipped at 0 (and at 1 for bounded
metrics); the interval of min / max is clipped to [0, 1].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assay.evaluate._groups import Grouping, group_dict
from assay.evaluate._metrics import MetricColumn
from assay.evaluate._stats import FloatArray, column_percentiles, katz, newcombe

METHODS = {
    "wilson": {"difference": "newcombe-hybrid-score", "ratio": "katz-log"},
    "bootstrap": {"difference": "bootstrap-percentile", "ratio": "bootstrap-percentile"},
    "normal": {"difference": "normal", "ratio": "normal-delta-log"},
}


def estimate(
    value: float, low: float | None = None, high: float | None = None, undefined: str | None = None
) -> dict[str, Any]:
    """A value with its interval as it appears in results; undefined values carry a reason."""
    if undefined is not None or not np.isfinite(value):
        return {
            "value": None,
            "ci_low": None,
            "ci_high": None,
            "undefined": undefined or "undefined",
        }
    lo = float(low) if low is not None and np.isfinite(low) else None
    hi = float(high) if high is not None and np.isfinite(high) else None
    return {"value": float(value), "ci_low": lo, "ci_high": hi}


Index = np.ndarray[Any, np.dtype[np.intp]]


def _differences(
    col: MetricColumn, i: Index, j: Index, z: float, ci_level: float
) -> list[dict[str, Any]]:
    """``col[i] − col[j]`` with its interval, for each pair of positions in ``i`` and ``j``."""
    v = col.value
    d = v[i] - v[j]
    low: FloatArray | None = None
    high: FloatArray | None = None
    if col.method == "wilson":
        low, high = newcombe(v[i], col.low[i], col.high[i], v[j], col.low[j], col.high[j])
    elif col.method == "bootstrap" and col.replicates is not None:
        low, high = _percentiles(col.replicates[:, i] - col.replicates[:, j], ci_level)
    elif col.method == "normal" and col.se is not None:
        se = np.hypot(col.se[i], col.se[j])
        low, high = d - z * se, d + z * se
    if low is None or high is None:
        return [estimate(float(x)) for x in d]
    return [_bounded(float(x), lo, hi) for x, lo, hi in zip(d, low, high, strict=True)]


def _ratios(
    col: MetricColumn, i: Index, j: Index, z: float, ci_level: float
) -> list[dict[str, Any]]:
    """``col[i] / col[j]`` with its interval, for each pair of positions in ``i`` and ``j``."""
    v = col.value
    if col.signed:
        reason = f"a ratio is not meaningful for the signed {col.name}"
        return [estimate(np.nan, undefined=reason) for _ in i]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = v[i] / v[j]
    low: FloatArray | None = None
    high: FloatArray | None = None
    if col.method == "wilson" and col.x is not None and col.n is not None:
        low, high = katz(col.x[i], col.n[i], col.x[j], col.n[j], z)
    elif col.method == "bootstrap" and col.replicates is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = _percentiles(col.replicates[:, i] / col.replicates[:, j], ci_level)
    elif col.method == "normal" and col.se is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.hypot(col.se[i] / v[i], col.se[j] / v[j])
        low, high = r * np.exp(-z * se), r * np.exp(z * se)
        # the delta method needs a positive numerator; otherwise the ratio has no interval
        low = np.where(v[i] > 0, low, np.nan)
        high = np.where(v[i] > 0, high, np.nan)
    out = []
    for k in range(len(i)):
        if v[j[k]] <= 0:
            out.append(estimate(np.nan, undefined=f"{col.name} is 0 in the denominator group"))
        elif low is None or high is None:
            out.append(estimate(float(r[k])))
        else:
            out.append(_bounded(float(r[k]), low[k], high[k]))
    return out


def _clipped(est: dict[str, Any], low: float, high: float | None) -> dict[str, Any]:
    """An estimate with its interval clipped to the range its quantity can take."""
    out = dict(est)
    if out.get("ci_low") is not None:
        out["ci_low"] = max(float(out["ci_low"]), low)
    if out.get("ci_high") is not None and high is not None:
        out["ci_high"] = min(float(out["ci_high"]), high)
    return out


def _bounded(value: float, low: float, high: float) -> dict[str, Any]:
    """An estimate whose missing (NaN) bounds are left open, as ``estimate`` writes them."""
    return estimate(
        value, float(low) if np.isfinite(low) else None, float(high) if np.isfinite(high) else None
    )


def _percentiles(values: FloatArray, ci_level: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of each column over its finite entries (NaN with fewer than two)."""
    tail = (1.0 - ci_level) / 2.0 * 100.0
    bounds = column_percentiles(values, [tail, 100.0 - tail], keep=np.isfinite(values), min_kept=2)
    return bounds[0], bounds[1]


def disparity(
    col: MetricColumn, grouping: Grouping, reference: int, *, z: float, ci_level: float
) -> dict[str, Any]:
    """Differences and ratios of one metric across the groups of one grouping."""
    defined = np.flatnonzero(np.isfinite(col.value))
    base: dict[str, Any] = {"metric": col.name, "by": list(grouping.features)}
    base["method"] = METHODS.get(col.method, {"difference": "none", "ratio": "none"})
    if defined.size < 2:
        reason = f"fewer than two groups with a defined {col.name}"
        base |= {
            "difference": estimate(np.nan, undefined=reason),
            "ratio": estimate(np.nan, undefined=reason),
            "vs_reference": [],
        }
        return base
    hi = int(defined[np.argmax(col.value[defined])])
    lo = int(defined[np.argmin(col.value[defined])])
    others = np.array([g for g in range(len(grouping)) if g != reference], dtype=np.intp)
    # every pair in one vectorised call: (max, min) first, then each group against the reference
    first = np.concatenate([[hi], others]).astype(np.intp)
    second = np.concatenate([[lo], np.full(others.size, reference)]).astype(np.intp)
    differences = _differences(col, first, second, z, ci_level)
    ratios = _ratios(col, second[:1], first[:1], z, ci_level) + _ratios(
        col, others, second[1:], z, ci_level
    )
    base["max_group"] = group_dict(grouping, hi)
    base["min_group"] = group_dict(grouping, lo)
    # max − min is never negative (nor above 1 for a bounded metric) and min / max never above 1:
    # the conditional intervals of the two extreme groups are clipped to those ranges
    base["difference"] = _clipped(differences[0], 0.0, 1.0 if col.method != "normal" else None)
    base["ratio"] = _clipped(ratios[0], 0.0, 1.0)
    base["reference_group"] = group_dict(grouping, reference)
    versus = []
    for k, g in enumerate(others, start=1):
        entry: dict[str, Any] = {"group": group_dict(grouping, int(g))}
        if np.isfinite(col.value[g]) and np.isfinite(col.value[reference]):
            entry["difference"] = differences[k]
            entry["ratio"] = ratios[k]
        else:
            reason = f"{col.name} is undefined for this group or the reference group"
            entry["difference"] = estimate(np.nan, undefined=reason)
            entry["ratio"] = estimate(np.nan, undefined=reason)
        versus.append(entry)
    base["vs_reference"] = versus
    return base


def summaries(disparities: dict[str, dict[str, Any]], by: list[str]) -> dict[str, Any]:
    """The named fairness summaries of one grouping, from its per-metric disparities."""
    sel = disparities["selection_rate"]
    tpr = disparities["tpr"]
    fpr = disparities["fpr"]

    def worst(a: dict[str, Any], b: dict[str, Any], larger: bool) -> dict[str, Any]:
        if a["value"] is None or b["value"] is None:
            missing = a if a["value"] is None else b
            return dict(missing)
        pick = a if (a["value"] >= b["value"]) == larger else b
        return dict(pick)

    eo_diff = worst(tpr["difference"], fpr["difference"], larger=True)
    eo_ratio = worst(tpr["ratio"], fpr["ratio"], larger=False)
    return {
        "by": by,
        "demographic_parity_difference": dict(sel["difference"]),
        "demographic_parity_ratio": dict(sel["ratio"]),
        "equalized_odds_difference": eo_diff,
        "equalized_odds_ratio": eo_ratio,
        "equal_opportunity_difference": dict(tpr["difference"]),
        "equal_opportunity_ratio": dict(tpr["ratio"]),
    }


def four_fifths(col: MetricColumn, grouping: Grouping, z: float) -> dict[str, Any]:
    """The four-fifths (80%) rule on selection rates: each group's impact ratio to the highest."""
    defined = np.flatnonzero(np.isfinite(col.value))
    rule: dict[str, Any] = {"by": list(grouping.features), "limit": 0.8}
    if defined.size < 2 or col.x is None or col.n is None:
        rule |= {"passes": None, "undefined": "fewer than two groups with a selection rate"}
        return rule
    top = int(defined[np.argmax(col.value[defined])])
    if col.value[top] <= 0:
        rule |= {"passes": None, "undefined": "no group has any selected rows"}
        return rule
    rule["highest_group"] = group_dict(grouping, top)
    entries: list[dict[str, Any]] = []
    for g in defined:
        if g == top:
            continue
        low, high = katz(
            col.x[g : g + 1], col.n[g : g + 1], col.x[top : top + 1], col.n[top : top + 1], z
        )
        ratio = float(col.value[g] / col.value[top])
        entry: dict[str, Any] = {
            "group": group_dict(grouping, int(g)),
            # conditional on ``top`` being the highest, the ratio cannot exceed 1
            "impact_ratio": _clipped(estimate(ratio, float(low[0]), float(high[0])), 0.0, 1.0),
            "passes": ratio >= 0.8,
        }
        entries.append(entry)
    rule["groups"] = entries
    rule["min_impact_ratio"] = min(float(e["impact_ratio"]["value"]) for e in entries)
    rule["passes"] = all(e["passes"] for e in entries)
    return rule

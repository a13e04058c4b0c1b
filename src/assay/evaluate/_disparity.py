"""Disparities between groups: differences, ratios, the fairness summaries and the four-fifths rule.

For every metric and grouping: the difference max − min and the ratio min / max across groups
(Fairlearn's ``between_groups``), and each group against a reference group (the one given, else
the largest). Interval methods follow the metric: Newcombe (difference) and Katz log (ratio) for
rates; percentile intervals of the replicate differences and ratios for bootstrap metrics (groups
are disjoint, so their replicates are independent); a normal approximation with the delta method
on the log scale for means. The interval of max − min is that of the two groups that attain it,
conditional on which groups they are (stated in the result).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assay.evaluate._groups import Grouping, group_dict
from assay.evaluate._metrics import MetricColumn
from assay.evaluate._stats import FloatArray, katz, newcombe

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


def _pair_difference(
    col: MetricColumn, i: int, j: int, z: float, ci_level: float
) -> dict[str, Any]:
    v = col.value
    d = float(v[i] - v[j])
    if col.method == "wilson":
        low, high = newcombe(
            v[i : i + 1],
            col.low[i : i + 1],
            col.high[i : i + 1],
            v[j : j + 1],
            col.low[j : j + 1],
            col.high[j : j + 1],
        )
        return estimate(d, float(low[0]), float(high[0]))
    if col.method == "bootstrap" and col.replicates is not None:
        diffs = col.replicates[:, i] - col.replicates[:, j]
        return estimate(d, *_percentiles(diffs, ci_level))
    if col.method == "normal" and col.se is not None:
        se = float(np.hypot(col.se[i], col.se[j]))
        return estimate(d, d - z * se, d + z * se)
    return estimate(d)


def _pair_ratio(col: MetricColumn, i: int, j: int, z: float, ci_level: float) -> dict[str, Any]:
    v = col.value
    if col.signed:
        return estimate(np.nan, undefined=f"a ratio is not meaningful for the signed {col.name}")
    if v[j] <= 0:
        return estimate(np.nan, undefined=f"{col.name} is 0 in the denominator group")
    r = float(v[i] / v[j])
    if col.method == "wilson" and col.x is not None and col.n is not None:
        low, high = katz(col.x[i : i + 1], col.n[i : i + 1], col.x[j : j + 1], col.n[j : j + 1], z)
        return estimate(r, float(low[0]), float(high[0]))
    if col.method == "bootstrap" and col.replicates is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = col.replicates[:, i] / col.replicates[:, j]
        return estimate(r, *_percentiles(ratios, ci_level))
    if col.method == "normal" and col.se is not None and v[i] > 0:
        se = float(np.hypot(col.se[i] / v[i], col.se[j] / v[j]))
        return estimate(r, r * float(np.exp(-z * se)), r * float(np.exp(z * se)))
    return estimate(r)


def _percentiles(values: FloatArray, ci_level: float) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return None, None
    tail = (1.0 - ci_level) / 2.0 * 100.0
    return float(np.percentile(finite, tail)), float(np.percentile(finite, 100.0 - tail))


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
    base["max_group"] = group_dict(grouping, hi)
    base["min_group"] = group_dict(grouping, lo)
    base["difference"] = _pair_difference(col, hi, lo, z, ci_level)
    base["ratio"] = _pair_ratio(col, lo, hi, z, ci_level)
    base["reference_group"] = group_dict(grouping, reference)
    versus = []
    for g in range(len(grouping)):
        if g == reference:
            continue
        entry: dict[str, Any] = {"group": group_dict(grouping, g)}
        if np.isfinite(col.value[g]) and np.isfinite(col.value[reference]):
            entry["difference"] = _pair_difference(col, g, reference, z, ci_level)
            entry["ratio"] = _pair_ratio(col, g, reference, z, ci_level)
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
            "impact_ratio": estimate(ratio, float(low[0]), float(high[0])),
            "passes": ratio >= 0.8,
        }
        entries.append(entry)
    rule["groups"] = entries
    rule["min_impact_ratio"] = min(float(e["impact_ratio"]["value"]) for e in entries)
    rule["passes"] = all(e["passes"] for e in entries)
    return rule

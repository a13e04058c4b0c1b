"""The comparison of one column (or one group's column) between reference and current data.

The statistics of both sides (Kolmogorov–Smirnov, Wasserstein, PSI, Jensen–Shannon,
chi-square), the test and effect size that the rule (or the caller) picks, and the decision
after Benjamini–Hochberg adjustment. The rule itself is stated in :mod:`assay.evaluate._drift`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from assay.errors import InputError
from assay.evaluate._drift_profile import NEW, OTHER
from assay.evaluate._drift_sketch import CategoricalSketch, NumericSketch, Sketch
from assay.evaluate._drift_stats import (
    atoms,
    bh_adjust,
    bin_counts,
    chi_square,
    js_distance,
    ks_binned,
    ks_exact,
    psi,
    wasserstein_binned,
    wasserstein_exact,
)

#: Numeric columns with at most this many distinct reference values are tested as categories.
CATEGORICAL_MAX_LEVELS = 5


def rate(part: float, whole: float) -> float | None:
    """``part / whole``, or ``None`` for an empty whole."""
    return float(part) / float(whole) if whole else None


def untested(problems: list[dict[str, Any]], col: str) -> dict[str, Any]:
    """The fields of a column that was not compared, with the first problem as the reason."""
    found = [p for p in problems if p["column"] == col or p["column"] is None]
    reason = found[0]["message"] if found else "not compared"
    return {
        "n_current": None,
        "missing_current": None,
        "resolution": None,
        "statistics": None,
        "test": None,
        "p_value": None,
        "q_value": None,
        "effect": None,
        "drift": None,
        "reason": reason,
    }


def compare(
    entry: dict[str, Any], ref: Sketch, cur: Sketch, test: str, limits: Mapping[str, float]
) -> dict[str, Any]:
    """Statistics of one column (or one group's column) and the test the rule picks."""
    if isinstance(ref, NumericSketch):
        assert isinstance(cur, NumericSketch)
        return _compare_numeric(entry, ref, cur, test, limits)
    assert isinstance(ref, CategoricalSketch) and isinstance(cur, CategoricalSketch)
    return _compare_categorical(ref, cur, test, limits)


def _empty_side(n_ref: float, n_cur: float, missing: int) -> dict[str, Any] | None:
    if n_cur > 0 and n_ref > 0:
        return None
    side = "current" if n_cur == 0 else "reference"
    out = untested([], "")
    out |= {
        "n_current": int(n_cur),
        "missing_current": rate(missing, n_cur + missing),
        "reason": f"The {side} data has no non-missing values in this column.",
    }
    return out


def _compare_numeric(
    entry: dict[str, Any],
    ref: NumericSketch,
    cur: NumericSketch,
    test: str,
    limits: Mapping[str, float],
) -> dict[str, Any]:
    n_ref, n_cur = ref.bins.n, cur.bins.n
    empty = _empty_side(n_ref, n_cur, cur.missing)
    if empty is not None:
        return empty
    ra = atoms(ref.values, ref.bins)
    ca = atoms(cur.values, cur.bins)
    if ra is not None and ca is not None:
        ks, w = ks_exact(ra, ca), wasserstein_exact(ra, ca)
        resolution = "exact"
    else:
        ks, w = ks_binned(ref.bins, cur.bins), wasserstein_binned(ref.bins, cur.bins)
        resolution = "binned"
    sd = float(entry["std"] or 0.0)
    mean_ref = float(ref.bins.sum.sum() / n_ref)
    mean_cur = float(cur.bins.sum.sum() / n_cur)
    cuts = np.asarray(entry["psi_cuts"], dtype=np.float64)
    pr, pc = bin_counts(ref.bins, cuts), bin_counts(cur.bins, cuts)
    distinct = entry.get("distinct")
    as_categories = distinct is not None and distinct <= CATEGORICAL_MAX_LEVELS
    if as_categories and ra is not None and ca is not None:
        support = np.union1d(ra.value, ca.value)
        tr = np.zeros(support.size)
        tc = np.zeros(support.size)
        tr[np.searchsorted(support, ra.value)] = ra.count
        tc[np.searchsorted(support, ca.value)] = ca.count
        chi = chi_square(tr, tc)
        js_cat = js_distance(tr, tc)
    else:
        chi = chi_square(pr, pc)
        js_cat = None
    statistics: dict[str, Any] = {
        "ks": {
            "statistic": ks.statistic,
            "p_value": ks.p_value,
            "p_method": ks.p_method,
            "max_error": ks.max_error,
        },
        "wasserstein": {
            "value": w.value,
            "normalized": w.value / sd if sd > 0 else None,
            "max_error": w.max_error,
        },
        "psi": {"value": psi(pr, pc), "bins": int(cuts.size + 1)},
        "jensen_shannon": {"value": js_distance(pr, pc), "bins": int(cuts.size + 1)},
        "chi_square": _chi_dict(chi, "values" if js_cat is not None else "psi bins"),
        "mean_reference": mean_ref,
        "mean_current": mean_cur,
        "standardized_mean_difference": (mean_cur - mean_ref) / sd if sd > 0 else None,
    }
    if js_cat is not None:
        statistics["jensen_shannon_values"] = {"value": js_cat}
    chosen = test
    if test == "auto":
        chosen = "chi_square" if as_categories else "ks"
    pick = _pick(chosen, statistics, limits, js_cat)
    return {
        "n_current": int(n_cur),
        "missing_current": rate(cur.missing, n_cur + cur.missing),
        "resolution": resolution,
        "tested_as": "categorical" if as_categories else "numeric",
        "statistics": statistics,
    } | pick


def _chi_dict(chi: Any, over: str) -> dict[str, Any]:
    return {
        "statistic": chi.statistic,
        "p_value": chi.p_value,
        "dof": chi.dof,
        "method": chi.method,
        "cramers_v": chi.cramers_v,
        "over": over,
    }


def _pick(
    test: str, statistics: dict[str, Any], limits: Mapping[str, float], js_values: float | None
) -> dict[str, Any]:
    """The test's p-value and the effect size that decide, before BH adjustment."""
    if test in ("ks", "chi_square"):
        p = statistics[test]["p_value"]
        if test == "ks":
            name, value = "wasserstein", statistics["wasserstein"]["normalized"]
        else:
            name = "jensen_shannon"
            value = js_values if js_values is not None else statistics[name]["value"]
        return {
            "test": test,
            "p_value": p,
            "effect": {"name": name, "value": value, "threshold": limits[name]},
        }
    if test == "wasserstein":
        value = statistics["wasserstein"]["normalized"]
    elif test == "psi":
        value = statistics["psi"]["value"]
    else:
        value = statistics["jensen_shannon"]["value"]
    return {
        "test": test,
        "p_value": None,
        "effect": {"name": test, "value": value, "threshold": limits[test]},
    }


def _compare_categorical(
    ref: CategoricalSketch, cur: CategoricalSketch, test: str, limits: Mapping[str, float]
) -> dict[str, Any]:
    n_ref, n_cur = ref.n, cur.n
    empty = _empty_side(n_ref, n_cur, cur.missing)
    if empty is not None:
        return empty
    if test in ("ks", "wasserstein"):
        raise InputError(
            f"The test '{test}' needs a numeric column; use chi_square, psi or jensen_shannon."
        )
    index = {c: i for i, c in enumerate(ref.categories)}
    has_other = OTHER in index
    r = list(ref.counts)
    c = [0.0] * len(r)
    new: dict[str, float] = {}
    for cat, count in zip(cur.categories, cur.counts, strict=True):
        if cat in index:
            c[index[cat]] += float(count)
        elif has_other:
            c[index[OTHER]] += float(count)
        else:
            new[cat] = new.get(cat, 0.0) + float(count)
    if new:
        r.append(0.0)
        c.append(sum(new.values()))
    rv, cv = np.asarray(r, dtype=np.float64), np.asarray(c, dtype=np.float64)
    chi = chi_square(rv, cv)
    statistics = {
        "chi_square": _chi_dict(chi, "categories"),
        "psi": {"value": psi(rv, cv), "bins": int(rv.size)},
        "jensen_shannon": {"value": js_distance(rv, cv), "bins": int(rv.size)},
        "new_categories": {
            "count": len(new),
            "rows": int(sum(new.values())),
            "examples": sorted(new, key=lambda k: -new[k])[:10],
            "pooled_as": NEW if new else None,
        },
        "missing_categories": [cat for cat, i in index.items() if c[i] == 0 and cat != OTHER][:20],
    }
    chosen = "chi_square" if test == "auto" else test
    return {
        "n_current": int(n_cur),
        "missing_current": rate(cur.missing, n_cur + cur.missing),
        "resolution": "exact",
        "tested_as": "categorical",
        "statistics": statistics,
    } | _pick(chosen, statistics, limits, None)


def decide(entries: list[dict[str, Any]], alpha: float, limits: Mapping[str, float]) -> None:
    """Benjamini–Hochberg across the entries' p-values, then each entry's decision, in place."""
    tested = [e for e in entries if e.get("test") is not None]
    p = np.array(
        [e["p_value"] if e["p_value"] is not None else np.nan for e in tested], dtype=np.float64
    )
    q = bh_adjust(p)
    for e, qv in zip(tested, q, strict=True):
        e["q_value"] = float(qv) if np.isfinite(qv) else None
        effect = e["effect"]
        value = effect["value"]
        big = value is not None and value >= effect["threshold"]
        if e["p_value"] is None:
            e["drift"] = bool(big)
            e["reason"] = (
                f"{effect['name']} {_num(value)} {'>=' if big else '<'} {effect['threshold']}"
            )
            continue
        significant = e["q_value"] is not None and e["q_value"] <= alpha
        e["drift"] = bool(significant and big)
        e["reason"] = (
            f"{e['test']} q = {_num(e['q_value'])} {'<=' if significant else '>'} {alpha}; "
            f"{effect['name']} {_num(value)} {'>=' if big else '<'} {effect['threshold']}"
        )


def _num(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.3g}"

"""``assay.evaluate.drift``: per-column drift against a frozen reference profile.

The rule that picks each column's default test (``test="auto"``), stated here, in the docs
(docs/drift.md) and in every result under ``rule``:

=========================================  =================================  ===================
column                                     test (p-value, BH-adjusted)        effect size (≥)
=========================================  =================================  ===================
numeric, more than 5 distinct values       two-sample Kolmogorov–Smirnov:     Wasserstein / sd of
                                           exact p-value when both samples    the reference: 0.1
                                           have ≤ 10,000 values, Smirnov's
                                           asymptotic p-value above
text, boolean, or numeric with ≤ 5         chi-square test of homogeneity     Jensen–Shannon
distinct reference values                  (Yates-corrected for 2 cells);     distance, base 2:
                                           sparse categories (expected < 5)   0.1
                                           pooled; Fisher's exact test for a
                                           2 × 2 table that stays sparse
=========================================  =================================  ===================

A column drifts when its Benjamini–Hochberg q-value (over all columns of the check) is at most
``alpha`` **and** its effect size reaches the threshold: the test guards small samples against
noise, the effect size guards large samples against differences too small to matter.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assay.errors import InputError
from assay.evaluate._drift_profile import (
    DEFAULT_BINS,
    DEFAULT_EXACT_ROWS,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_PSI_BINS,
    NEW,
    OTHER,
    ReferenceProfile,
    column_kind,
    provenance,
    reference_profile,
    start_file_digest,
    stored_sketch,
)
from assay.evaluate._drift_result import DRIFT_SCHEMA, DriftResult
from assay.evaluate._drift_sketch import (
    CategoricalSketch,
    Grid,
    NumericSketch,
    Sketch,
    count_rows,
    sketch,
)
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
from assay.evaluate._frame import open_frame
from assay.evaluate._group_limit import check_group_counts

#: Numeric columns with at most this many distinct reference values are tested as categories.
CATEGORICAL_MAX_LEVELS = 5
TESTS = ("auto", "ks", "chi_square", "psi", "jensen_shannon", "wasserstein")
DEFAULT_THRESHOLDS = {"wasserstein": 0.1, "jensen_shannon": 0.1, "psi": 0.2}

RULE = {
    "text": (
        "Numeric columns with more than 5 distinct reference values: two-sample "
        "Kolmogorov–Smirnov test (exact p-value when both samples have at most 10,000 values, "
        "Smirnov's asymptotic p-value above), effect size Wasserstein distance / reference sd. "
        "Text, boolean and numeric columns with at most 5 distinct reference values: chi-square "
        "test of homogeneity (Yates-corrected for 2 cells; categories with expected count below "
        "5 pooled; Fisher's exact test for a 2 x 2 table that stays sparse), effect size "
        "Jensen–Shannon distance (base 2). A column drifts when its Benjamini–Hochberg q-value "
        "across the columns checked is at most alpha and its effect size reaches the threshold."
    ),
    "cases": [
        {
            "type": "numeric",
            "when": "more than 5 distinct reference values",
            "test": "ks",
            "p_value": "exact if max(n_reference, n_current) <= 10000, else asymptotic",
            "effect": "wasserstein",
        },
        {
            "type": "categorical",
            "when": "text, boolean, or numeric with at most 5 distinct reference values",
            "test": "chi_square",
            "p_value": "chi-square (Yates for 2 cells, sparse cells pooled); Fisher exact 2x2",
            "effect": "jensen_shannon",
        },
    ],
}


def drift(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    sensitive_features: str | Sequence[str] | None = None,
    prediction: str | None = None,
    label: str | None = None,
    test: str = "auto",
    tests: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    thresholds: Mapping[str, float] | None = None,
    drift_share: float = 0.5,
    min_group_size: int = 30,
    bins: int = DEFAULT_BINS,
    psi_bins: int = DEFAULT_PSI_BINS,
    exact_rows: int = DEFAULT_EXACT_ROWS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    dataset_digest: str | None = None,
) -> DriftResult:
    """Compare current data with the reference, column by column and group by group.

    Parameters
    ----------
    reference
        A :class:`ReferenceProfile` (built once with :func:`reference_profile`), a profile's
        ``to_dict()``, or the reference data itself (a path or any frame narwhals accepts), which
        is then profiled with the options below.
    current
        The data to check: a path or any frame narwhals accepts.
    columns
        Check only these columns (by default all columns of the profile).
    sensitive_features, prediction, label
        Used when ``reference`` is data; with a profile they come from the profile
        (``sensitive_features`` may then name a subset).
    test
        ``"auto"`` (the rule in the module docstring and in the result) or one test for every
        column: ``"ks"``, ``"chi_square"``, ``"psi"``, ``"jensen_shannon"``, ``"wasserstein"``.
    tests
        A test per column, overriding ``test``.
    alpha
        False-discovery rate of the Benjamini–Hochberg procedure.
    thresholds
        Effect-size thresholds; defaults ``{"wasserstein": 0.1, "jensen_shannon": 0.1,
        "psi": 0.2}``. Wasserstein is divided by the reference's standard deviation.
    drift_share
        The dataset drifts when at least this share of the columns checked drift.
    min_group_size
        A protected group with fewer values on either side gets no decision.
    bins, psi_bins, exact_rows, max_categories
        Profile options when ``reference`` is data; see :func:`reference_profile`. A current
        dataset of at most ``exact_rows`` rows is compared value by value.
    dataset_digest
        A digest of the current data to record instead of the one Assay computes.

    Returns
    -------
    DriftResult

    Examples
    --------
    >>> import polars as pl
    >>> ref = pl.DataFrame({"x": [float(i % 50) for i in range(500)]})
    >>> cur = pl.DataFrame({"x": [float(i % 50) + 20 for i in range(500)]})
    >>> result = drift(ref, cur)
    >>> result.drifted
    ['x']
    >>> round(result.column("x")["statistics"]["ks"]["statistic"], 3)
    0.4
    """
    _check_options(test, tests, alpha, drift_share, min_group_size)
    limits = DEFAULT_THRESHOLDS | dict(thresholds or {})
    unknown = sorted(set(limits) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise InputError(
            f"thresholds has unknown names {unknown}; use {sorted(DEFAULT_THRESHOLDS)}."
        )
    profile = _profile(
        reference,
        columns=columns,
        sensitive_features=sensitive_features,
        prediction=prediction,
        label=label,
        bins=bins,
        psi_bins=psi_bins,
        exact_rows=exact_rows,
        max_categories=max_categories,
    )
    prof = profile.view()
    features = _features(prof, sensitive_features, reference)
    chosen = _columns(prof, columns)
    for col, name in (tests or {}).items():
        if col not in chosen:
            raise InputError(f"tests names '{col}', which is not among the columns checked.")
        if name not in TESTS:
            raise InputError(f"tests['{col}'] is '{name}'; choose one of {', '.join(TESTS)}.")

    source = open_frame(current, parameter="current")
    try:
        schema = dict(source.frame.collect_schema())
    except Exception as exc:
        raise InputError(
            f"The current data could not be read: {type(exc).__name__}: {exc}"
        ) from None
    problems: list[dict[str, Any]] = []
    comparable: list[str] = []
    for col in chosen:
        entry = prof["columns"][col]
        if col not in schema:
            if entry["role"] == "label":
                problems.append(
                    {
                        "column": col,
                        "problem": "labels_not_available",
                        "message": f"The label column '{col}' is not in the current data "
                        "(labels may not have arrived yet); label drift is not checked.",
                    }
                )
            else:
                problems.append(
                    {
                        "column": col,
                        "problem": "missing_column",
                        "message": f"The column '{col}' is in the reference but not in the "
                        "current data.",
                    }
                )
            continue
        kind = column_kind(schema[col])
        if kind != entry["type"]:
            problems.append(
                {
                    "column": col,
                    "problem": "type_changed",
                    "message": f"The column '{col}' was {entry['dtype']} ({entry['type']}) in the "
                    f"reference and is {schema[col]} ({kind or 'unsupported'}) now.",
                }
            )
            continue
        comparable.append(col)
    present_features = []
    for f in features:
        if f in schema:
            present_features.append(f)
        else:
            problems.append(
                {
                    "column": f,
                    "problem": "missing_sensitive_feature",
                    "message": f"The sensitive feature '{f}' is not in the current data; drift "
                    "by its groups is not checked.",
                }
            )

    digest_job = start_file_digest(source, dataset_digest)
    rows = count_rows(source.frame)
    if rows == 0:
        problems.append(
            {
                "column": None,
                "problem": "empty",
                "message": "The current data has no rows; nothing was compared.",
            }
        )
        comparable = []
    params_exact = int(prof["params"]["exact_rows"])
    grids = {
        c: Grid.from_dict(prof["columns"][c]["grid"])
        for c in comparable
        if prof["columns"][c]["type"] == "numeric"
    }
    exact = [
        c for c in grids if prof["columns"][c].get("values") is not None and rows <= params_exact
    ]
    cats = [c for c in comparable if prof["columns"][c]["type"] == "categorical"]
    check_group_counts(source.frame, present_features, where=" in the current data")
    sketches = (
        sketch(source.frame, grids=grids, categorical=cats, exact=exact, by=present_features)
        if comparable
        else {}
    )

    choice = {c: (tests or {}).get(c, test) for c in chosen}
    entries: list[dict[str, Any]] = []
    for col in chosen:
        entry = prof["columns"][col]
        base = {
            "column": col,
            "role": entry["role"],
            "type": entry["type"],
            "n_reference": int(entry["n"]),
            "missing_reference": _rate(entry["missing"], entry["n"] + entry["missing"]),
        }
        if col not in comparable:
            entries.append(base | _untested(problems, col))
            continue
        cur = sketches[("", None, col)]
        ref = stored_sketch(entry, entry["type"])
        entries.append(base | _compare(entry, ref, cur, choice[col], limits))
    _decide(entries, alpha, limits)

    groups_out = _groups(
        prof, sketches, present_features, comparable, choice, limits, alpha, min_group_size
    )
    tested = [e for e in entries if e.get("drift") is not None]
    drifted = [e["column"] for e in tested if e["drift"]]
    share = len(drifted) / len(tested) if tested else 0.0
    by_role = {e["role"]: e for e in entries}
    summary = {
        "n_columns": len(entries),
        "n_tested": len(tested),
        "n_drifted": len(drifted),
        "drifted": drifted,
        "share_drifted": share,
        "dataset_drift": bool(tested) and share >= drift_share,
        "prediction_drift": by_role["prediction"].get("drift") if "prediction" in by_role else None,
        "label_drift": by_role["label"].get("drift") if "label" in by_role else None,
        "groups_with_drift": [
            {"by": g["by"], "group": g["group"], "columns": g["drifted"]}
            for g in groups_out
            if g["drifted"]
        ],
        "n_problems": len(problems),
    }
    payload: dict[str, Any] = {
        "schema": DRIFT_SCHEMA,
        "reference": {
            "n": prof["n"],
            "profile_digest": profile.digest,
            "dataset": copy.deepcopy(prof["provenance"]["dataset"]),
        },
        "current": {"n": rows},
        "columns": entries,
        "groups": groups_out,
        "summary": summary,
        "problems": problems,
        "rule": RULE,
        "methods": _methods(prof),
        "params": {
            "columns": chosen,
            "sensitive_features": present_features,
            "test": test,
            "tests": dict(tests or {}),
            "alpha": alpha,
            "thresholds": limits,
            "drift_share": drift_share,
            "min_group_size": min_group_size,
            "profile": copy.deepcopy(prof["params"]),
        },
        "provenance": provenance(source, chosen, dataset_digest, sketches, digest_job),
    }
    return DriftResult(payload)


def _check_options(
    test: str,
    tests: Mapping[str, str] | None,
    alpha: float,
    drift_share: float,
    min_group_size: int,
) -> None:
    if test not in TESTS:
        raise InputError(f"test must be one of {', '.join(TESTS)}; got '{test}'.")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}.")
    if not 0 < drift_share <= 1:
        raise InputError(f"drift_share must be in (0, 1], got {drift_share}.")
    if min_group_size < 1:
        raise InputError(f"min_group_size must be at least 1, got {min_group_size}.")
    if tests is not None and not isinstance(tests, Mapping):
        raise InputError("tests must map column names to test names.")


def _profile(reference: Any, **options: Any) -> ReferenceProfile:
    if isinstance(reference, ReferenceProfile):
        return reference
    if isinstance(reference, dict):
        return ReferenceProfile.from_dict(reference)
    return reference_profile(reference, **options)


def _features(
    prof: dict[str, Any], requested: str | Sequence[str] | None, reference: Any
) -> list[str]:
    stored: list[str] = list(prof["params"]["sensitive_features"])
    if requested is None or not isinstance(reference, ReferenceProfile | dict):
        return stored
    wanted = [requested] if isinstance(requested, str) else list(requested)
    extra = [f for f in wanted if f not in stored]
    if extra:
        raise InputError(
            f"The profile has no groups for {extra}; it was built with sensitive_features="
            f"{stored}. Rebuild the profile with those features."
        )
    return wanted


def _columns(prof: dict[str, Any], requested: Sequence[str] | None) -> list[str]:
    stored = list(prof["columns"])
    if requested is None:
        return stored
    chosen = list(requested)
    for role in ("prediction", "label"):
        col = prof["params"].get(role)
        if col is not None and col in stored and col not in chosen:
            chosen.append(col)
    extra = [c for c in chosen if c not in stored]
    if extra:
        raise InputError(f"The profile has no columns {extra}; it has: {', '.join(stored)}.")
    return chosen


def _rate(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


def _untested(problems: list[dict[str, Any]], col: str) -> dict[str, Any]:
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


def _compare(
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
    out = _untested([], "")
    out |= {
        "n_current": int(n_cur),
        "missing_current": _rate(missing, n_cur + missing),
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
        "missing_current": _rate(cur.missing, n_cur + cur.missing),
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
        "missing_current": _rate(cur.missing, n_cur + cur.missing),
        "resolution": "exact",
        "tested_as": "categorical",
        "statistics": statistics,
    } | _pick(chosen, statistics, limits, None)


def _decide(entries: list[dict[str, Any]], alpha: float, limits: Mapping[str, float]) -> None:
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


def _groups(
    prof: dict[str, Any],
    sketches: dict[tuple[str, str | None, str], Sketch],
    features: list[str],
    comparable: list[str],
    choice: Mapping[str, str],
    limits: Mapping[str, float],
    alpha: float,
    min_group_size: int,
) -> list[dict[str, Any]]:
    """Drift within each protected group; one BH family over every group and column."""
    out: list[dict[str, Any]] = []
    stored = {(g["by"], g["group"]): g for g in prof["groups"]}
    for f in features:
        seen = {k[1] for k in sketches if k[0] == f}
        names = sorted(
            seen | {g for (b, g) in stored if b == f}, key=lambda v: (v is None, v or "")
        )
        for g in names:
            ref_group = stored.get((f, g))
            entries = []
            for col in comparable:
                if col == f:
                    continue  # within one of its own groups a feature is constant
                entry = prof["columns"][col]
                if ref_group is None or (f, g, col) not in sketches:
                    side = "reference" if ref_group is None else "current"
                    e = {"column": col, "role": entry["role"], "type": entry["type"]}
                    e |= _untested([], col) | {"reason": f"No rows of this group in the {side}."}
                    entries.append(e)
                    continue
                ref = stored_sketch(ref_group["columns"][col], entry["type"])
                cur = sketches[(f, g, col)]
                n_ref = ref.bins.n if isinstance(ref, NumericSketch) else ref.n
                n_cur = cur.bins.n if isinstance(cur, NumericSketch) else cur.n
                e = {
                    "column": col,
                    "role": entry["role"],
                    "type": entry["type"],
                    "n_reference": int(n_ref),
                }
                if min(n_ref, n_cur) < min_group_size:
                    e |= _untested([], col) | {
                        "n_current": int(n_cur),
                        "reason": f"Fewer than {min_group_size} values in the reference "
                        f"({int(n_ref)}) or the current data ({int(n_cur)}): insufficient data.",
                    }
                else:
                    e |= _compare(entry, ref, cur, choice[col], limits)
                entries.append(e)
            out.append(
                {
                    "by": f,
                    "group": g,
                    "n_reference": int(ref_group["n"]) if ref_group else 0,
                    "columns": entries,
                }
            )
    flat = [e for g in out for e in g["columns"]]
    _decide(flat, alpha, limits)
    for g in out:
        g["drifted"] = [e["column"] for e in g["columns"] if e.get("drift")]
    return out


def _methods(prof: dict[str, Any]) -> dict[str, str]:
    p = prof["params"]
    return {
        "ks, wasserstein": (
            "exact (equal to scipy.stats.ks_2samp and wasserstein_distance) when both sides are "
            f"known value by value: at most {p['exact_rows']} rows, or every fine cell holding a "
            f"single distinct value; otherwise from {p['bins']} equal-width fine cells over mean "
            "± 6 sd of the reference, with the maximum error stated as max_error"
        ),
        "psi": (
            f"over {p['psi_bins']} frozen reference-quantile bins (snapped to the fine grid) or "
            "the categories; proportions floored at 1e-4; natural log"
        ),
        "jensen_shannon": "distance (square root of the divergence), log base 2, same bins as PSI",
        "chi_square": "scipy.stats.chi2_contingency on the 2 x k table of counts",
        "multiple testing": "Benjamini–Hochberg across the columns checked (and, separately, "
        "across every group and column)",
        "missing values": "null, NaN and infinite values are left out of the distributions and "
        "reported as missing rates",
    }

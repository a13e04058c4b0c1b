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
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from assay.errors import InputError
from assay.evaluate._drift_compare import compare, decide, rate, untested
from assay.evaluate._drift_profile import (
    DEFAULT_BINS,
    DEFAULT_EXACT_ROWS,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_PSI_BINS,
    ReferenceProfile,
    column_kind,
    provenance,
    reference_profile,
    start_file_digest,
    stored_sketch,
)
from assay.evaluate._drift_result import DRIFT_SCHEMA, DriftPayload, DriftResult, DriftSummary
from assay.evaluate._drift_sketch import (
    Grid,
    NumericSketch,
    Sketch,
    count_rows,
    sketch,
)
from assay.evaluate._frame import Source, open_frame
from assay.evaluate._group_limit import check_group_counts

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
    distributions: bool = False,
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
    distributions
        Also give each compared column's ``distribution``: the share of rows in each bin (the
        PSI's quantile bins, or the categories) in the reference and the current data, for a
        report to draw (``assay check drift --format html``).

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
    # The request holds every parameter by name; at this point locals() holds just them.
    return _check(_Request(**locals()))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`drift`, one for one."""

    reference: Any
    current: Any
    columns: Sequence[str] | None
    sensitive_features: str | Sequence[str] | None
    prediction: str | None
    label: str | None
    test: str
    tests: Mapping[str, str] | None
    alpha: float
    thresholds: Mapping[str, float] | None
    drift_share: float
    min_group_size: int
    bins: int
    psi_bins: int
    exact_rows: int
    max_categories: int
    dataset_digest: str | None
    distributions: bool = False


@dataclass(frozen=True)
class _Plan:
    """What to compare: the reference profile, the columns and groups asked for, the limits."""

    profile: ReferenceProfile
    prof: dict[str, Any]
    features: list[str]
    chosen: list[str]
    limits: dict[str, float]
    choice: dict[str, str]


@dataclass(frozen=True)
class _Current:
    """The current data as read: the columns that can be compared, then their sketches."""

    source: Source
    rows: int
    problems: list[dict[str, Any]]
    comparable: list[str]
    features: list[str]
    sketches: dict[tuple[str, str | None, str], Sketch]
    digest_job: Future[str] | None


def _check(req: _Request) -> DriftResult:
    plan = _plan(req)
    current = _read_current(req, plan)
    entries = [_column_entry(plan, current, col) for col in plan.chosen]
    decide(entries, req.alpha, plan.limits)
    if req.distributions:
        _add_distributions(plan, current, entries)
    groups_out = _groups(
        plan.prof,
        current.sketches,
        current.features,
        current.comparable,
        plan.choice,
        plan.limits,
        req.alpha,
        req.min_group_size,
    )
    prof = plan.prof
    payload: DriftPayload = {
        "schema": DRIFT_SCHEMA,
        "reference": {
            "n": prof["n"],
            "profile_digest": plan.profile.digest,
            "dataset": copy.deepcopy(prof["provenance"]["dataset"]),
        },
        "current": {"n": current.rows},
        "columns": entries,
        "groups": groups_out,
        "summary": _summary(entries, groups_out, current.problems, req.drift_share),
        "problems": current.problems,
        "rule": RULE,
        "methods": _methods(prof),
        "params": {
            "columns": plan.chosen,
            "sensitive_features": current.features,
            "test": req.test,
            "tests": dict(req.tests or {}),
            "alpha": req.alpha,
            "thresholds": plan.limits,
            "drift_share": req.drift_share,
            "min_group_size": req.min_group_size,
            "profile": copy.deepcopy(prof["params"]),
        },
        "provenance": provenance(
            current.source, plan.chosen, req.dataset_digest, current.sketches, current.digest_job
        ),
    }
    return DriftResult(payload)


def _plan(req: _Request) -> _Plan:
    """Check the options, load or build the profile, and pick the columns, groups and tests."""
    _check_options(req.test, req.tests, req.alpha, req.drift_share, req.min_group_size)
    limits = DEFAULT_THRESHOLDS | dict(req.thresholds or {})
    unknown = sorted(set(limits) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise InputError(
            f"thresholds has unknown names {unknown}; use {sorted(DEFAULT_THRESHOLDS)}."
        )
    profile = _profile(
        req.reference,
        columns=req.columns,
        sensitive_features=req.sensitive_features,
        prediction=req.prediction,
        label=req.label,
        bins=req.bins,
        psi_bins=req.psi_bins,
        exact_rows=req.exact_rows,
        max_categories=req.max_categories,
    )
    prof = profile.view()
    features = _features(prof, req.sensitive_features, req.reference)
    chosen = _columns(prof, req.columns)
    for col, name in (req.tests or {}).items():
        if col not in chosen:
            raise InputError(f"tests names '{col}', which is not among the columns checked.")
        if name not in TESTS:
            raise InputError(f"tests['{col}'] is '{name}'; choose one of {', '.join(TESTS)}.")
    choice = {c: (req.tests or {}).get(c, req.test) for c in chosen}
    return _Plan(profile, prof, features, chosen, limits, choice)


def _read_current(req: _Request, plan: _Plan) -> _Current:
    """Match the current data's columns with the profile, count its rows and sketch it."""
    source = open_frame(req.current, parameter="current")
    try:
        schema = dict(source.frame.collect_schema())
    except Exception as exc:
        raise InputError(
            f"The current data could not be read: {type(exc).__name__}: {exc}"
        ) from None
    problems: list[dict[str, Any]] = []
    comparable = _comparable(plan, schema, problems)
    present_features = []
    for f in plan.features:
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
    digest_job = start_file_digest(source, req.dataset_digest)
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
    sketches = _sketch_current(plan.prof, source, comparable, present_features, rows)
    return _Current(source, rows, problems, comparable, present_features, sketches, digest_job)


def _comparable(
    plan: _Plan, schema: Mapping[str, Any], problems: list[dict[str, Any]]
) -> list[str]:
    """The chosen columns present in the current data with their reference type.

    Each other column gets a problem: a missing label (labels may arrive later), a missing
    column, or a changed type.
    """
    comparable: list[str] = []
    for col in plan.chosen:
        entry = plan.prof["columns"][col]
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
    return comparable


def _sketch_current(
    prof: dict[str, Any],
    source: Source,
    comparable: list[str],
    features: list[str],
    rows: int,
) -> dict[tuple[str, str | None, str], Sketch]:
    """One pass over the current data: on the reference's grids, value by value when small."""
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
    check_group_counts(source.frame, features, where=" in the current data")
    return (
        sketch(source.frame, grids=grids, categorical=cats, exact=exact, by=features)
        if comparable
        else {}
    )


def _add_distributions(plan: _Plan, current: _Current, entries: list[dict[str, Any]]) -> None:
    """Each compared column's shares per bin, for a report to draw."""
    from assay.evaluate._drift_distribution import distribution

    for e in entries:
        col = e["column"]
        if col in current.comparable and ("", None, col) in current.sketches:
            entry = plan.prof["columns"][col]
            ref = stored_sketch(entry, entry["type"])
            e["distribution"] = distribution(entry, ref, current.sketches[("", None, col)])


def _column_entry(plan: _Plan, current: _Current, col: str) -> dict[str, Any]:
    """One column over all rows: compared, or why it was not."""
    entry = plan.prof["columns"][col]
    base = {
        "column": col,
        "role": entry["role"],
        "type": entry["type"],
        "n_reference": int(entry["n"]),
        "missing_reference": rate(entry["missing"], entry["n"] + entry["missing"]),
    }
    if col not in current.comparable:
        return base | untested(current.problems, col)
    cur = current.sketches[("", None, col)]
    ref = stored_sketch(entry, entry["type"])
    return base | compare(entry, ref, cur, plan.choice[col], plan.limits)


def _summary(
    entries: list[dict[str, Any]],
    groups_out: list[dict[str, Any]],
    problems: list[dict[str, Any]],
    drift_share: float,
) -> DriftSummary:
    tested = [e for e in entries if e.get("drift") is not None]
    drifted = [e["column"] for e in tested if e["drift"]]
    share = len(drifted) / len(tested) if tested else 0.0
    by_role = {e["role"]: e for e in entries}
    return {
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
                    e |= untested([], col) | {"reason": f"No rows of this group in the {side}."}
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
                    e |= untested([], col) | {
                        "n_current": int(n_cur),
                        "reason": f"Fewer than {min_group_size} values in the reference "
                        f"({int(n_ref)}) or the current data ({int(n_cur)}): insufficient data.",
                    }
                else:
                    e |= compare(entry, ref, cur, choice[col], limits)
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
    decide(flat, alpha, limits)
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

"""Verdicts on disparity limits: pass, fail or insufficient evidence, with Holm control.

This is Assay's one verdict engine. :func:`judge` is a pure function of a fairness result's stored
sufficient statistics (each group's confusion cells), the limits and the method settings: the
evaluation calls it to write its verdicts, and the gate calls it again when it judges a recorded
result against a policy, so the two can never disagree on the same data and limits.

A limit on a difference (say ``demographic_parity_difference <= 0.1``) holds when every pair of
groups differs by at most the limit; a limit on a ratio (``demographic_parity_ratio >= 0.8``) when
every pair's smaller-to-larger ratio is at least the limit. For each pair of eligible groups two
one-sided z-tests are run:

- *exceeds*: H0 "the pair is within the limit" — the Holm step-down procedure over every pair (and
  both rates, for equalized odds) at level α = 1 − ci_level; any rejection gives **fail**;
- *within*: H0 "the pair is outside the limit" — when every pair rejects it at level α
  (an intersection–union test, which needs no multiplicity correction) the verdict is **pass**.

A group whose metric is undefined on one tested column (a class it has no rows of, in a multiclass
result) is left out of that column's pairs only, so it can still show a failure on the others.
Anything else is **insufficient evidence**: groups smaller than ``min_group_size`` or with the
metric undefined (named in the reason), or intervals too wide to decide. Standard errors are
Agresti–Caffo (one success and one failure added per group) for differences and the Katz log
form with a 0.5 correction for ratios, so that empty cells do not produce zero variance (the
statistic lives in :mod:`assay.evaluate._pair_test`).

An insufficient verdict also says how much data would decide it: ``sample_size`` maps each group
that limits it to the rows it has and the rows per group at which the same test would decide with
80% power at the observed rates (:mod:`assay.evaluate._sample_size`; groups whose rate is
undefined are left out).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from typing import Any

import numpy as np

from assay.errors import InputError, SchemaError
from assay.evaluate._aggregate import COUNT
from assay.evaluate._groups import CELLS, Confusion, Grouping
from assay.evaluate._limits import parse_rule, validate_thresholds
from assay.evaluate._metrics import MetricColumn, rate_column
from assay.evaluate._multiclass import class_columns, stored_matrices
from assay.evaluate._pair_test import group_terms, mean_terms, pair_statistic
from assay.evaluate._regression import columns_from_sums, stored_sums
from assay.evaluate._result import FairnessVerdict
from assay.evaluate._sample_size import (
    MAX_ROWS,
    POWER,
    Design,
    MeanDesign,
    Need,
    mean_rows_needed,
    rows_needed,
)
from assay.evaluate._stats import FloatArray, holm_reject, normal_sf, z_value

METHOD = "pairwise one-sided z-tests; Holm for fail, intersection-union for pass"


def _pair_tests(
    col: MetricColumn, i: int, j: int, kind: str, limit: float
) -> tuple[float, float, float]:
    """(observed disparity, p exceeds, p within) for one pair of groups on one rate or mean."""
    v1, v2 = col.value[i : i + 1], col.value[j : j + 1]
    if col.method == "normal":
        assert col.se is not None
        c1, s1 = mean_terms(v1, col.se[i : i + 1], kind)
        c2, s2 = mean_terms(v2, col.se[j : j + 1], kind)
    else:
        assert col.x is not None and col.n is not None
        c1, s1 = group_terms(v1, col.x[i : i + 1], col.n[i : i + 1], kind)
        c2, s2 = group_terms(v2, col.x[j : j + 1], col.n[j : j + 1], kind)
    z = pair_statistic(c1, s1, c2, s2, kind, limit)
    if kind == "difference":
        observed = float(abs(v1[0] - v2[0]))
    else:
        # the test works on the continuity-corrected log ratio; the ratio quoted is the plain one
        high = max(v1[0], v2[0])
        observed = float(min(v1[0], v2[0]) / high) if high > 0 else 1.0
    return observed, float(normal_sf(z)[0]), float(normal_sf(-z)[0])


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


def _fail_reason(
    grouping: Grouping,
    pair: tuple[str, int, int, float],
    kind: str,
    limit: float,
    comparisons: int,
    estimate: Mapping[str, Any],
) -> str:
    """Why a limit failed, quoting the pair the test rejected and, if it differs, the estimate."""
    m, i, j, observed = pair
    text = (
        f"{m} {kind} between [{_describe(grouping, [i])}] and [{_describe(grouping, [j])}] is "
        f"{observed:.4g}, significantly {'above' if kind == 'difference' else 'below'} the "
        f"limit {limit} (Holm-adjusted over {_count(comparisons)})."
    )
    shown = estimate.get("value")
    if shown is not None and f"{shown:.4g}" != f"{observed:.4g}":
        extreme = "largest gap" if kind == "difference" else "lowest ratio"
        text += (
            f" The estimate {shown:.4g} is the {extreme} over every group with a defined value, "
            "including groups too small to be tested."
        )
    return text


def verdict(
    name: str,
    limit: float,
    columns: Mapping[str, MetricColumn],
    grouping: Grouping,
    rows: np.ndarray[Any, np.dtype[np.float64]],
    estimate: dict[str, Any],
    *,
    min_group_size: int,
    alpha: float,
    kind: str | None = None,
) -> FairnessVerdict:
    """The verdict of one threshold on one grouping.

    ``columns`` are the tested metric columns, named as the reasons quote them (one per rate of the
    rule; for a multiclass result one per rate and class); every pair of eligible groups is tested
    on each, and Holm's procedure runs over all of them.
    """
    kind = kind or parse_rule(name)[0]
    metrics = tuple(columns)
    small = [g for g in range(len(grouping)) if rows[g] < min_group_size]
    undefined = sorted(
        {g for m in metrics for g in range(len(grouping)) if not np.isfinite(columns[m].value[g])}
    )
    eligible = [g for g in range(len(grouping)) if g not in small and g not in undefined]
    p_exceed, p_within, pairs = [], [], []
    for m in metrics:
        # a group whose value is undefined on one column (a class it has no rows of) is still
        # tested on the others: it can show a failure there, though never a pass
        testable = [
            g for g in range(len(grouping)) if g not in small and np.isfinite(columns[m].value[g])
        ]
        for i, j in combinations(testable, 2):
            observed, pe, pw = _pair_tests(columns[m], i, j, kind, limit)
            p_exceed.append(pe)
            p_within.append(pw)
            pairs.append((m, i, j, observed))
    rejected = holm_reject(np.array(p_exceed), alpha)
    if rejected.any():
        worst = max(
            (k for k in range(len(pairs)) if rejected[k]),
            key=lambda k: pairs[k][3] if kind == "difference" else -pairs[k][3],
        )
        decided = "fail"
        reason = _fail_reason(grouping, pairs[worst], kind, limit, len(pairs), estimate)
    else:
        decided, reason = _undecided(
            grouping, metrics, limit, min_group_size, small, undefined, eligible, p_within, alpha
        )
    out: FairnessVerdict = {
        "rule": name,
        "by": list(grouping.features),
        "limit": limit,
        "direction": "at most" if kind == "difference" else "at least",
        "estimate": estimate,
        "method": METHOD,
        "min_group_size": min_group_size,
        "ci_level": round(1.0 - alpha, 12),
        "comparisons": len(pairs),
        "verdict": decided,
        "reason": reason,
    }
    if decided == "insufficient_evidence":
        defined = [g for g in range(len(grouping)) if g not in undefined]
        tested = list(columns.values())
        out["sample_size"] = _sample_size(
            grouping,
            defined,
            rows,
            _need(tested, rows, defined, (kind, limit, alpha), min_group_size),
        )
        out["sample_size_power"] = POWER
    return out


def _need(
    tested: list[MetricColumn],
    rows: np.ndarray[Any, np.dtype[np.float64]],
    defined: list[int],
    rule: tuple[str, float, float],
    min_group_size: int,
) -> Need | None:
    """The rows per group an undecided verdict needs: by simulation of the rate test, or in closed
    form for means; ``None`` with fewer than two groups to compare."""
    if len(defined) < 2:
        return None
    kind, limit, alpha = rule
    if all(c.method == "normal" for c in tested):
        return mean_rows_needed(
            MeanDesign.of(tested, rows, defined, kind, limit, alpha, min_group_size)
        )
    return rows_needed(Design.of(tested, rows, defined, kind, limit, alpha, min_group_size))


def _sample_size(
    grouping: Grouping,
    groups: list[int],
    rows: np.ndarray[Any, np.dtype[np.float64]],
    need: Need | None,
) -> dict[str, dict[str, Any]]:
    """For each group that limits an undecided verdict, the rows it has and the rows per group at
    which the same test would decide with probability :data:`POWER` at the observed rates."""
    if need is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for g in groups:
        label = _describe(grouping, [g])
        if need.rows is None:
            out[label] = {"have": int(rows[g]), "need": None, "more_than": MAX_ROWS}
        elif rows[g] < need.rows:
            out[label] = {"have": int(rows[g]), "need": need.rows}
    return out


def _undecided(
    grouping: Grouping,
    metrics: tuple[str, ...],
    limit: float,
    min_group_size: int,
    small: list[int],
    undefined: list[int],
    eligible: list[int],
    p_within: list[float],
    alpha: float,
) -> tuple[str, str]:
    """(verdict, reason) when no pair is significantly beyond the limit."""
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
        return "insufficient_evidence", "; ".join(reasons) + "."
    if len(eligible) < 2:
        return "insufficient_evidence", "fewer than two groups to compare."
    if all(p < alpha for p in p_within):
        return "pass", (
            f"every pair of groups is significantly within the limit {limit} "
            f"({_count(len(p_within))})."
        )
    return "insufficient_evidence", (
        f"no pair is significantly beyond the limit {limit}, but the intervals are too wide to "
        "show that every pair is within it; collect more data or review the groups' intervals."
    )


def judge(
    result: Mapping[str, Any],
    limits: Mapping[str, float],
    *,
    min_group_size: int | None = None,
    ci_level: float | None = None,
) -> list[FairnessVerdict]:
    """The verdicts of ``limits`` on a fairness result, from its stored sufficient statistics.

    A pure function of the per-group confusion cells every classification result records (``counts``
    and, for weighted data, ``weights``), the limits and the method settings. The evaluation writes
    its verdicts with it; the gate calls it again to judge a recorded result against a policy.

    Parameters
    ----------
    result
        An ``assay.fairness/v1`` payload (``FairnessResult.to_dict()``).
    limits
        Threshold name → limit, as for :func:`assay.evaluate.fairness`.
    min_group_size, ci_level
        The method settings; default to the ones the result was computed with.

    Returns
    -------
    list of dict
        One verdict per grouping and limit, in the result's grouping order; each names the limit,
        ``min_group_size`` and ``ci_level`` it was judged against.

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate import fairness, judge
    >>> df = pl.DataFrame({"y": [1, 0] * 100, "p": [1, 0] * 100, "g": ["a"] * 100 + ["b"] * 100})
    >>> result = fairness(df, y_true="y", y_pred="p", sensitive_features="g").to_dict()
    >>> [v["verdict"] for v in judge(result, {"demographic_parity_difference": 0.2})]
    ['pass']
    """
    task = str(result.get("task") or "classification")
    family = "regression" if task == "regression" else "classification"
    validate_thresholds(dict(limits), family)
    if not limits:
        return []
    params = result.get("params") or {}
    size = int(params.get("min_group_size", 30) if min_group_size is None else min_group_size)
    level = float(params.get("ci_level", 0.95) if ci_level is None else ci_level)
    if size < 1 or not 0.5 <= level < 1:
        raise InputError(
            f"min_group_size must be at least 1 and ci_level in [0.5, 1); got {size}, {level}."
        )
    rules = {name: parse_rule(name, family) for name in limits}
    needed = sorted({m for _, metrics in rules.values() for m in metrics})
    out: list[FairnessVerdict] = []
    for grouping, rows, tested in _tested(result, task, needed, z_value(level)):
        for name, limit in limits.items():
            kind, metrics = rules[name]
            out.append(
                verdict(
                    name,
                    float(limit),
                    # in the rule's order of metrics, as the sample-size draws are laid out
                    {label: col for m in metrics for n, label, col in tested if n == m},
                    grouping,
                    rows,
                    _estimate(result, grouping.features, name, family),
                    min_group_size=size,
                    alpha=1.0 - level,
                    kind=kind,
                )
            )
    return out


#: (metric, label the reasons quote, column) for every column a grouping's verdicts test
Tested = list[tuple[str, str, MetricColumn]]


def _tested(
    result: Mapping[str, Any], task: str, needed: list[str], z: float
) -> list[tuple[Grouping, FloatArray, Tested]]:
    """Each grouping with its groups' rows and the metric columns its verdicts test, rebuilt from
    the sufficient statistics the result stores per group."""
    out: list[tuple[Grouping, FloatArray, Tested]] = []
    for grouping, entries in _groupings(result):
        if task == "regression":
            sums = stored_sums(entries)
            columns = columns_from_sums(sums, z)
            out.append((grouping, sums[COUNT], [(m, m, columns[m]) for m in needed]))
        elif task == "multiclass":
            classes = list((result.get("params") or {}).get("classes") or [])
            m = stored_matrices(grouping, entries, classes)
            tested = [
                (name, f"{name} (class {c})", col)
                for c, per_class in zip(classes, class_columns(m, z, needed), strict=True)
                for name, col in per_class.items()
            ]
            out.append((grouping, m.n, tested))
        else:
            conf = _confusion(grouping, entries)
            out.append((grouping, conf.n, [(m, m, rate_column(conf, m, z)) for m in needed]))
    return out


def _groupings(result: Mapping[str, Any]) -> list[tuple[Grouping, list[Mapping[str, Any]]]]:
    """The result's groupings (in its order), each with its group entries."""
    members: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for entry in result.get("groups", []):
        members.setdefault(tuple(entry["by"]), []).append(entry)
    return [
        (Grouping(by, [tuple(e["group"][f] for f in by) for e in entries]), entries)
        for by, entries in members.items()
    ]


def _confusion(grouping: Grouping, entries: list[Mapping[str, Any]]) -> Confusion:
    """A binary grouping's confusion cells, from the ``counts`` (and ``weights``) of its groups."""
    if not all(isinstance(e.get("counts"), Mapping) for e in entries):
        raise SchemaError(
            "This fairness result does not record its groups' confusion counts, so it cannot "
            "be judged again; re-run the evaluation with this version of Assay "
            "(`assay evaluate fairness ... --record`)."
        )
    counts = {c: np.array([float(e["counts"][c]) for e in entries]) for c in CELLS}
    weights = [e.get("weights") for e in entries]
    if all(w is None for w in weights):
        cells, squares = counts, counts
    else:
        cells = {c: np.array([float(w[c]["sum"]) for w in weights if w]) for c in CELLS}
        squares = {c: np.array([float(w[c]["sum_squares"]) for w in weights if w]) for c in CELLS}
        if any(v.size != len(entries) for v in (*cells.values(), *squares.values())):
            raise SchemaError("Some groups of this weighted result lack their weight sums.")
    n = np.array([float(e["n"]) for e in entries])
    return Confusion(grouping, n, cells, counts, squares)


def _estimate(
    result: Mapping[str, Any], by: tuple[str, ...], name: str, family: str
) -> dict[str, Any]:
    """The point estimate (with its interval) a verdict reports: the named summary, else the
    max − min difference or min / max ratio of the metric; for a multiclass result the worst over
    the classes, naming its class."""
    kind, metrics = parse_rule(name, family)
    found = [
        dict(s[name]) | ({"class": s["class"]} if "class" in s else {})
        for s in result.get("summaries", [])
        if tuple(s["by"]) == by and name in s
    ]
    if not found:
        found = [
            dict(d[kind]) | ({"class": d["class"]} if "class" in d else {})
            for d in result.get("disparities", [])
            if tuple(d["by"]) == by and d["metric"] == metrics[0]
        ]
    defined = [e for e in found if e.get("value") is not None]
    if defined:
        pick = max if kind == "difference" else min
        best = pick(float(e["value"]) for e in defined)
        # classes tied up to rounding (engines sum in different orders): the first in the
        # result's order, so every engine names the same class
        tie = 1e-12 * max(1.0, abs(best))
        return next(e for e in defined if abs(float(e["value"]) - best) <= tie)
    if found:
        return found[0]
    return {"value": None, "ci_low": None, "ci_high": None, "undefined": "not in the result"}

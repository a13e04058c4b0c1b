"""Fairness rules of the gate: the policy's limits applied to ``assay.fairness/v1`` results.

When the result already holds a verdict for the rule at the policy's limit, that verdict is used
as it stands (pairwise tests with Holm control). Otherwise the limit is applied to the result's
disparity intervals: a difference fails when its interval lies wholly above the limit and passes
when it lies wholly at or below it; a ratio fails when its interval lies wholly below the limit and
passes when it lies wholly at or above it. Anything between is *insufficient evidence*, which
fails the gate: a gate never passes on evidence that cannot decide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.errors import NotFoundError, SchemaError
from assay.evaluate import FairnessResult
from assay.evaluate._verdicts import parse_rule
from assay.gate._model import RuleOutcome
from assay.policy import Policy

__all__ = ["fairness_outcomes", "read_result_file"]

_TOL = 1e-12


def read_result_file(path: Path) -> dict[str, Any]:
    """Read one evaluation result file; errors name the file and what was expected.

    Raises
    ------
    NotFoundError
        The file does not exist.
    SchemaError
        The file is not JSON or not an ``assay.fairness/v1`` result.
    """
    if not path.is_file():
        raise NotFoundError(f"The result file '{path}' does not exist.")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(
            f"{path}: not a JSON evaluation result ({exc}). Write one with "
            "`assay evaluate fairness DATA ... --format json --output FILE`."
        ) from None
    try:
        return FairnessResult.from_dict(payload).to_dict()
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc} The gate reads 'assay.fairness/v1' results.") from None


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4g}"


def _from_verdict(name: str, verdict: Mapping[str, Any], source: str) -> RuleOutcome:
    by = " × ".join(verdict["by"])
    estimate = verdict.get("estimate") or {}
    value = estimate.get("value") if isinstance(estimate, Mapping) else None
    status = "pass" if verdict["verdict"] == "pass" else "fail"
    label = verdict["verdict"].replace("_", " ")
    return RuleOutcome(
        rule=f"fairness.{name}",
        status=status,
        subject=by,
        value=_fmt(value),
        threshold=f"{verdict['direction']} {verdict['limit']}",
        message=f"{name} by {by}: {label}; {verdict['reason']}",
        fix="" if status == "pass" else _fix(name, by, verdict["verdict"]),
        source=source,
    )


def _fix(name: str, by: str, verdict: str) -> str:
    if verdict == "insufficient_evidence":
        return (
            f"Evaluate on more rows per group of {by} (or merge small groups) so that {name} "
            "can be decided, or record a waiver for this limit."
        )
    return (
        f"Mitigate the {name} gap by {by} (reweighing, per-group thresholds) and re-evaluate, or "
        f"record an approved waiver: assay waiver request SYSTEM --control fairness.{name} ..."
    )


def _from_intervals(
    name: str, limit: float, result: Mapping[str, Any], source: str
) -> list[RuleOutcome]:
    kind, metrics = parse_rule(name)
    groupings: list[list[str]] = []
    for d in result["disparities"]:
        if d["by"] not in groupings:
            groupings.append(d["by"])
    small_by: dict[str, list[str]] = {}
    for g in result["groups"]:
        if g.get("small"):
            label = ", ".join(f"{k}={v}" for k, v in g["group"].items())
            small_by.setdefault(" × ".join(g["by"]), []).append(label)
    direction = "at most" if kind == "difference" else "at least"
    out = []
    for by_list in groupings:
        by = " × ".join(by_list)
        states: list[tuple[str, str, float | None]] = []
        for metric in metrics:
            d = next(
                (x for x in result["disparities"] if x["by"] == by_list and x["metric"] == metric),
                None,
            )
            interval = d.get(kind) if d is not None else None
            value = interval.get("value") if isinstance(interval, Mapping) else None
            low = interval.get("ci_low") if isinstance(interval, Mapping) else None
            high = interval.get("ci_high") if isinstance(interval, Mapping) else None
            if value is None or low is None or high is None:
                states.append(("insufficient_evidence", metric, value))
            elif kind == "difference":
                state = "fail" if low > limit + _TOL else "pass" if high <= limit + _TOL else "?"
                states.append((state, metric, value))
            else:
                state = "fail" if high < limit - _TOL else "pass" if low >= limit - _TOL else "?"
                states.append((state, metric, value))
        worst = max(
            states,
            key=lambda s: (
                {"fail": 3, "insufficient_evidence": 2, "?": 1, "pass": 0}[s[0]],
                -1 if s[2] is None else (s[2] if kind == "difference" else -s[2]),
            ),
        )
        state, metric, value = worst
        if state != "fail" and by in small_by:
            state = "insufficient_evidence"
            reason = f"groups below the minimum size: {'; '.join(small_by[by])}."
        elif state == "?":
            state = "insufficient_evidence"
            reason = f"the interval of the {metric} {kind} straddles the limit {limit}."
        elif state == "insufficient_evidence":
            reason = f"the {metric} {kind} is undefined for this grouping."
        elif state == "fail":
            reason = f"the {metric} {kind} interval lies wholly beyond the limit {limit}."
        else:
            reason = f"every interval lies within the limit {limit}."
        verdict = {
            "by": by_list,
            "verdict": state,
            "estimate": {"value": value},
            "limit": limit,
            "direction": direction,
            "reason": reason + " (decided from the result's intervals)",
        }
        out.append(_from_verdict(name, verdict, source))
    return out


def fairness_outcomes(
    policy: Policy, results: list[tuple[dict[str, Any], str]]
) -> list[RuleOutcome]:
    """One outcome per policy fairness limit, grouping and result.

    Parameters
    ----------
    policy
        The policy whose ``thresholds.fairness`` limits apply.
    results
        ``(payload, source)`` pairs: an ``assay.fairness/v1`` payload and where it came from.
    """
    out: list[RuleOutcome] = []
    for payload, source in results:
        for name, limit in policy.thresholds.fairness.items():
            stored = [
                v
                for v in payload["verdicts"]
                if v["rule"] == name and abs(float(v["limit"]) - float(limit)) <= _TOL
            ]
            if stored:
                out.extend(_from_verdict(name, v, source) for v in stored)
            else:
                out.extend(_from_intervals(name, float(limit), payload, source))
    return out

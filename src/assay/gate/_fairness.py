"""Fairness rules of the gate: the policy's limits applied to ``assay.fairness/v1`` results.

The gate judges every result again with the evaluation's own verdict function
(:func:`assay.evaluate.judge`), from the sufficient statistics the result stores, at the policy's
limits, ``min_group_size`` and ``ci_level``. A verdict recorded at other settings is therefore never
reused as it stands, and a result recorded without the policy's limit is judged exactly as the
evaluation would have judged it. *Insufficient evidence* fails the gate: a gate never passes on
evidence that cannot decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.errors import InputError, NotFoundError, SchemaError
from assay.evaluate import FairnessResult, judge
from assay.gate._model import RuleOutcome
from assay.governance import parse_json
from assay.policy import Policy
from assay.render import sample_size_text

__all__ = ["fairness_outcomes", "read_result_file"]


def read_result_file(path: Path) -> dict[str, Any]:
    """Read one evaluation result file; errors name the file and what was expected.

    Raises
    ------
    NotFoundError
        The file does not exist.
    SchemaError
        The file is not JSON or not an ``assay.fairness/v1`` result.
    """
    if path.is_dir():
        raise InputError(
            f"The result file '{path}' is a folder; give the result files inside it "
            f"({path}/*.json)."
        )
    if not path.is_file():
        raise NotFoundError(f"The result file '{path}' does not exist.")
    try:
        payload = parse_json(path.read_bytes(), what=f"{path}")
    except InputError as exc:
        raise SchemaError(
            f"{exc} Write an evaluation result with "
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
        message=(
            f"{name} by {by}: {label}; {verdict['reason']} Judged at limit {verdict['limit']}, "
            f"min_group_size {verdict['min_group_size']}, {verdict['ci_level']:.0%} level."
        ),
        fix="" if status == "pass" else _fix(name, by, verdict),
        source=source,
    )


def _fix(name: str, by: str, verdict: Mapping[str, Any]) -> str:
    if verdict["verdict"] == "insufficient_evidence":
        advice = sample_size_text(verdict)
        return (
            f"Evaluate on more rows per group of {by} (or merge small groups) so that {name} "
            "can be decided, or record a waiver for this limit." + (f" {advice}" if advice else "")
        )
    return (
        f"Mitigate the {name} gap by {by} (reweighing, per-group thresholds) and re-evaluate, or "
        f"record an approved waiver: assay waiver request SYSTEM --control fairness.{name} ..."
    )


def fairness_outcomes(
    policy: Policy, results: list[tuple[dict[str, Any], str]]
) -> list[RuleOutcome]:
    """One outcome per policy fairness limit, grouping and result.

    Parameters
    ----------
    policy
        The policy whose ``thresholds`` (limits, ``min_group_size``, ``ci_level``) apply.
    results
        ``(payload, source)`` pairs: an ``assay.fairness/v1`` payload and where it came from.
    """
    out: list[RuleOutcome] = []
    for payload, source in results:
        regression = payload.get("task") == "regression"
        limits = dict(policy.thresholds.regression if regression else policy.thresholds.fairness)
        if not limits:
            if regression and policy.thresholds.fairness:
                out.append(_regression(dict(policy.thresholds.fairness), source))
            continue
        try:
            verdicts = judge(
                payload,
                limits,
                min_group_size=policy.thresholds.min_group_size,
                ci_level=policy.thresholds.ci_level,
            )
        except SchemaError as exc:
            out.append(_unjudgeable(limits, source, str(exc)))
            continue
        out.extend(_from_verdict(v["rule"], v, source) for v in verdicts)
    return out


def _regression(limits: Mapping[str, float], source: str) -> RuleOutcome:
    return RuleOutcome(
        rule="fairness.result",
        status="fail",
        subject=source,
        value="regression",
        threshold=", ".join(f"{k} {v}" for k, v in limits.items()),
        message="The policy sets limits on classification rates and none on regression errors "
        "(thresholds.regression); this result is a regression.",
        fix="Add regression limits to the policy (for example thresholds.regression."
        "mae_difference), record a classification result for this model version, or waive the "
        "limits.",
        source=source,
    )


def _unjudgeable(limits: Mapping[str, float], source: str, why: str) -> RuleOutcome:
    return RuleOutcome(
        rule="fairness.result",
        status="fail",
        subject=source,
        value="no statistics",
        threshold=", ".join(f"{k} {v}" for k, v in limits.items()),
        message=why,
        fix="Re-run the evaluation and record it: assay evaluate fairness DATA ... --record",
        source=source,
    )

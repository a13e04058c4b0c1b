"""The model card's evaluation: what was evaluated (dataset, features, prediction, commit) and the
metrics by group with their confidence intervals, from the latest recorded fairness evaluation of
the model version — with a warning when it is stale or of another version, and a gap for each
declared sensitive feature it does not cover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assay import render as rendering
from assay.documents._card_context import CardContext, fairness_fix, feature_gap
from assay.documents._doc import (
    Badge,
    Block,
    Callout,
    Cell,
    Facts,
    Figure,
    Gap,
    GapBlock,
    Prose,
    Table,
)
from assay.documents._gather import (
    HEADLINE_METRICS,
    cite,
    evaluated_features,
    hash_cell,
    headline_metrics,
    short_date,
)
from assay.policy import evidence_is_fresh
from assay.render import (
    as_list,
    as_mapping,
    count,
    estimate,
    group_label,
    grouping_label,
    limit_text,
    metric_label,
    verdict_label,
)

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord

__all__ = ["evaluation_blocks"]

_DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equal_opportunity_difference",
)


def evaluation_blocks(
    card: CardContext,
    evaluation: EvidenceRecord | None,
    newest_any: EvidenceRecord | None,
    result: Mapping[str, Any],
    today: Any,
) -> tuple[list[Block], list[Block]]:
    """The blocks of the card's evaluation-data section and of its metrics section."""
    model, sections = card.model, card.sections
    metric_blocks = _other_version(card, evaluation, newest_any)
    if evaluation is None:
        gap = Gap(
            "no fairness evaluation of this model version is recorded",
            card.owner,
            fairness_fix(card.system, model.ref if model else None),
        )
        return [GapBlock(gap)], [*metric_blocks, GapBlock(gap)]
    features = evaluated_features(result)
    eval_blocks = _evaluation_data(card, evaluation, result, features)
    metric_blocks += _stale(card, evaluation, today)
    metric_blocks += _uncovered_features(card, features)
    source = cite(evaluation)
    metric_blocks += _verdict_table(result, source)
    metric_blocks += _group_tables(result, source)
    metric_blocks += _disparity_table(result, source)
    figure = _figure(result)
    if figure is not None:
        metric_blocks.append(figure)
    if sections.text("metrics"):
        metric_blocks.append(Prose(sections.text("metrics") or "", sections.source("metrics")))
    return eval_blocks, metric_blocks


def _other_version(
    card: CardContext, evaluation: EvidenceRecord | None, newest_any: EvidenceRecord | None
) -> list[Block]:
    """A warning when the system's latest evaluation is of another model version."""
    model = card.model
    if (
        newest_any is not None
        and model is not None
        and (evaluation is None or newest_any.ref != evaluation.ref)
        and newest_any.model_version != model.ref
    ):
        return [
            Callout(
                "fail",
                "The latest evaluation is of another model version",
                text=f"{newest_any.ref} evaluated {newest_any.model_version}, not this card's "
                f"{model.ref}. Evaluate {model.ref}, or write the card for the evaluated version.",
            )
        ]
    return []


def _evaluation_data(
    card: CardContext, evaluation: EvidenceRecord, result: Mapping[str, Any], features: list[str]
) -> list[Block]:
    """What was evaluated: the dataset, its rows, the features, the prediction and the record."""
    sections = card.sections
    params = as_mapping(result.get("params"))
    blocks: list[Block] = [
        Facts(
            (
                ("Dataset", evaluation.dataset_version or "not registered as a dataset version"),
                ("Dataset digest", hash_cell(evaluation.dataset_digest)),
                ("Rows evaluated", count(result.get("n")) if result.get("n") is not None else None),
                ("Sensitive features", ", ".join(features) or None),
                ("Label column", params.get("y_true")),
                (
                    "Prediction",
                    f"score ≥ {params['threshold']}"
                    if params.get("threshold") is not None
                    else params.get("y_pred"),
                ),
                ("Model version evaluated", evaluation.model_version),
                ("Code commit", hash_cell(evaluation.code_commit)),
                ("Recorded", f"{short_date(evaluation.created_at)} by {evaluation.created_by}"),
                ("Evidence", evaluation.ref),
            )
        )
    ]
    if sections.text("evaluation_data"):
        blocks.append(
            Prose(sections.text("evaluation_data") or "", sections.source("evaluation_data"))
        )
    return blocks


def _stale(card: CardContext, evaluation: EvidenceRecord, today: Any) -> list[Block]:
    """A warning when the evaluation is older than the policy allows or past its valid-until."""
    max_age = card.need.max_age_days
    if evidence_is_fresh(evaluation, max_age, today):
        return []
    title = (
        f"Evaluation older than the policy allows ({max_age} days for the {card.tier} tier)"
        if max_age is not None
        else "Evaluation past its valid-until date"
    )
    return [
        Callout(
            "warn",
            title,
            text=f"{evaluation.ref} was recorded {short_date(evaluation.created_at)}; "
            "re-evaluate this model version and record it.",
        )
    ]


def _uncovered_features(card: CardContext, features: list[str]) -> list[Block]:
    """A gap for each declared sensitive feature the evaluation does not cover (kept on the
    card's ``feature_gaps``)."""
    model = card.model
    blocks: list[Block] = []
    declared = [str(f) for f in as_list(card.sections.fields.get("sensitive_features"))]
    for feature in declared:
        if feature not in features:
            card.feature_gaps[feature] = feature_gap(
                card.sys_rec, feature, model.ref if model else None
            )
            blocks.append(GapBlock(card.feature_gaps[feature]))
    return blocks


def _verdict_table(result: Mapping[str, Any], source: str) -> list[Block]:
    """The checks against the evaluation's limits, with their verdicts."""
    verdicts = [as_mapping(v) for v in as_list(result.get("verdicts"))]
    if not verdicts:
        return []
    return [
        Table(
            ("Check", "Grouping", "Verdict", "Estimate [CI]", "Limit"),
            tuple(
                (
                    metric_label(str(v.get("rule", ""))),
                    grouping_label([str(b) for b in as_list(v.get("by"))]),
                    Badge(
                        str(v.get("verdict", "unknown")),
                        verdict_label(str(v.get("verdict", "unknown"))),
                    ),
                    estimate(v.get("estimate")).text,
                    f"{v.get('direction', '')} {limit_text(v.get('limit'))}".strip(),
                )
                for v in verdicts
            ),
            caption="Checks against the limits set for the evaluation",
            source=source,
        )
    ]


def _group_tables(result: Mapping[str, Any], source: str) -> list[Block]:
    """One table per grouping: the headline metrics of each group and overall."""
    metrics = headline_metrics(result)
    names = [
        m for m in HEADLINE_METRICS if any(m in g for gr in metrics.values() for g in gr.values())
    ]
    blocks: list[Block] = []
    for grouping, groups in metrics.items():
        if grouping == "overall":
            continue
        overall = metrics.get("overall", {}).get("all rows", {})
        rows: list[tuple[Cell, ...]] = []
        for label, values in [("Overall", overall), *groups.items()]:
            rows.append(
                (
                    label,
                    count(values.get("n")) if values.get("n") is not None else None,
                    *(estimate(values.get(m)).text for m in names),
                )
            )
        blocks.append(
            Table(
                ("Group", "n", *(metric_label(m) for m in names)),
                tuple(rows),
                caption=f"By {grouping}: estimate [95% CI]",
                numeric=tuple(range(1, 2 + len(names))),
                source=source,
            )
        )
    return blocks


def _disparity_table(result: Mapping[str, Any], source: str) -> list[Block]:
    """The disparities across the groups of each grouping."""
    summaries = [as_mapping(s) for s in as_list(result.get("summaries"))]
    if not summaries:
        return []
    keys = [k for k in _DISPARITIES if any(k in s for s in summaries)]
    return [
        Table(
            ("Grouping", *(metric_label(k) for k in keys)),
            tuple(
                (
                    grouping_label([str(b) for b in as_list(s.get("by"))])
                    + (f" · class {s['class']}" if "class" in s else ""),  # multiclass results
                    *(estimate(s.get(k)).text for k in keys),
                )
                for s in summaries
            ),
            caption="Disparities across groups: estimate [95% CI]",
            numeric=tuple(range(1, 1 + len(keys))),
            source=source,
        )
    ]


def _figure(result: Mapping[str, Any]) -> Figure | None:
    groups = [as_mapping(g) for g in as_list(result.get("groups"))]
    single = [g for g in groups if len(as_list(g.get("by"))) == 1]
    if not single:
        return None
    labels = [group_label(dict(as_mapping(g.get("group")))) for g in single]
    overall = as_mapping(as_mapping(result.get("overall")).get("metrics"))
    panels: list[rendering.DotPanel] = []
    for metric in ("selection_rate", "tpr", "fpr"):
        points: Sequence[rendering.Interval] = [
            _interval(as_mapping(g.get("metrics")).get(metric)) for g in single
        ]
        if all(p.value is None for p in points):
            continue
        ref = estimate(overall.get(metric)).value
        panels.append(
            rendering.DotPanel(
                metric_label(metric),
                points,
                reference=ref,
                reference_label="overall",
                bounds=(0.0, 1.0),
            )
        )
    if not panels:
        return None
    svg = rendering.dot_whisker(
        labels,
        panels,
        title="Selection rate, TPR and FPR by group",
        annotations=[f"n={count(g.get('n'))}" for g in single],
        annotation_title="rows",
        flagged=[bool(g.get("small")) for g in single],
        flagged_label="fewer rows than the minimum group size",
    )
    return Figure(
        svg,
        "Each dot is a group's estimate with its 95% confidence interval; the dashed line is the "
        "overall value.",
    )


def _interval(entry: Any) -> rendering.Interval:
    e = estimate(entry)
    return rendering.Interval(e.value, e.low, e.high)

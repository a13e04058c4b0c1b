"""What a fairness report shows, worked out once from an ``assay.fairness/v1`` result.

The view is plain data (dicts, lists, :class:`~assay.render.Estimate`) that both the
HTML and the Markdown templates lay out, so the two formats cannot drift apart. Every number shown
comes from the result; the view only selects, orders and formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from assay import render as rendering
from assay.documents._fairness_classes import (
    class_summary,
    class_tables,
    confusion_table,
    with_class,
)
from assay.documents._fairness_scores import calibration_sections, sweep_sections
from assay.errors import SchemaError
from assay.evaluate import FairnessResult
from assay.render import (
    METRIC_DEFINITIONS,
    SUMMARY_DEFINITIONS,
    Estimate,
    as_list,
    as_mapping,
    count,
    estimate,
    group_label,
    group_values,
    grouping_label,
    limit_text,
    metric_label,
    number,
    plain,
    short_digest,
    timestamp,
    value_text,
    verdict_label,
)

SCHEMA = FairnessResult.SCHEMA
DEFAULT_TITLE = "Fairness evaluation report"

CLASSIFICATION_KEY_METRICS = ("selection_rate", "tpr", "fpr", "ppv", "accuracy", "roc_auc")
CLASSIFICATION_CHART_METRICS = ("selection_rate", "tpr", "fpr", "roc_auc")
REGRESSION_KEY_METRICS = ("mae", "rmse", "mean_prediction", "mean_residual")
REGRESSION_CHART_METRICS = ("mae", "rmse", "mean_residual")
MULTICLASS_KEY_METRICS = ("accuracy", "macro_tpr", "macro_ppv", "macro_f1")
KEY_METRICS = {"regression": REGRESSION_KEY_METRICS, "multiclass": MULTICLASS_KEY_METRICS}
CHART_METRICS = {"regression": REGRESSION_CHART_METRICS, "multiclass": MULTICLASS_KEY_METRICS}
# Metrics whose natural range is far from zero; their axes are fitted to the data instead.
NO_ZERO = frozenset({"roc_auc", "average_precision", "accuracy", "balanced_accuracy", "tnr", "npv"})
SUMMARY_PAIRS = ("demographic_parity", "equalized_odds", "equal_opportunity")
APPENDIX_COLUMNS = 5
VERDICT_ORDER = ("fail", "insufficient_evidence", "pass")


def build_view(result: Mapping[str, Any], *, title: str | None, charts: bool) -> dict[str, Any]:
    """The template context of a fairness report; ``charts`` adds the SVG figures (HTML only)."""
    _check(result)
    params = as_mapping(result.get("params"))
    provenance = as_mapping(result.get("provenance"))
    task = str(result.get("task", "classification"))
    ci_level = params.get("ci_level")
    ci_label = f"{ci_level:.0%} CI" if isinstance(ci_level, int | float) else "CI"
    groups = [g for g in as_list(result.get("groups")) if isinstance(g, Mapping)]
    overall = as_mapping(result.get("overall"))
    groupings = _groupings(groups)
    verdicts = [_verdict(v) for v in as_list(result.get("verdicts")) if isinstance(v, Mapping)]
    anchors = {by: f"grouping-{i + 1}" for i, by in enumerate(groupings)}
    for v in verdicts:
        v["anchor"] = anchors.get(tuple(v["by"]), "")
    min_size = params.get("min_group_size")
    view: dict[str, Any] = {
        "title": title or DEFAULT_TITLE,
        "task": task,
        "task_label": task.capitalize(),
        "schema": str(result.get("schema")),
        "n": count(result.get("n")),
        "ci_label": ci_label,
        "prediction": _prediction(params),
        "features": [str(f) for f in as_list(params.get("sensitive_features"))],
        **_stamp(provenance),
        "outcome": _outcome(verdicts),
        "verdicts": verdicts,
        "min_group_size": count(min_size) if min_size is not None else None,
        "small_groups": _small_groups(groups),
        "notes": [str(n) for n in as_list(result.get("notes"))],
        "n_groups": len(groups),
        "charts": charts,
    }
    metric_names = list(as_mapping(overall.get("metrics"))) or _metric_names(groups)
    disparities = [d for d in as_list(result.get("disparities")) if isinstance(d, Mapping)]
    summaries = {tuple(s.get("by", [])): s for s in as_list(result.get("summaries"))}
    fifths = {tuple(f.get("by", [])): f for f in as_list(result.get("four_fifths"))}
    if task == "multiclass":
        raw = as_list(result.get("summaries")), as_list(result.get("four_fifths"))
        view["summary"] = class_summary(groupings, anchors, *raw, _fifths_brief)
        fifths = {}  # per class, in the summary table; a grouping has no single four-fifths rule
    else:
        view["summary"] = _summary_table(task, groupings, anchors, summaries, fifths, disparities)
    view["groupings"] = [
        _grouping(
            by,
            anchors[by],
            task,
            groups,
            overall,
            disparities,
            fifths.get(by),
            verdicts,
            params,
            ci_label,
            charts,
        )
        for by in groupings
    ]
    view["calibration"] = calibration_sections(result, groups, anchors, charts)
    view["sweeps"] = sweep_sections(result, params, anchors, charts)
    view["methods"] = [(str(k), str(v)) for k, v in as_mapping(result.get("methods")).items()]
    view["glossary"] = [
        (metric_label(m), m, METRIC_DEFINITIONS[m]) for m in metric_names if m in METRIC_DEFINITIONS
    ]
    view["summary_definitions"] = [
        (metric_label(f"{k}_difference")[: -len(" difference")], v)
        for k, v in SUMMARY_DEFINITIONS.items()
        if task != "regression"
    ]
    view["params"] = [(str(k), plain(v)) for k, v in params.items()]
    view["provenance"] = _provenance(provenance)
    view["appendix"] = _appendix(groupings, anchors, groups, overall, metric_names)
    view["toc"] = _toc(view)
    return view


def _stamp(provenance: Mapping[str, Any]) -> dict[str, str]:
    """When the result was made, by which Assay, and the digest of the data it read."""
    dataset = as_mapping(provenance.get("dataset"))
    return {
        "created": timestamp(provenance.get("created_at")),
        "created_iso": str(provenance.get("created_at", "")),
        "assay_version": str(provenance.get("assay_version", "unknown")),
        "digest_short": short_digest(dataset.get("digest")),
        "digest_full": str(dataset.get("digest", "not recorded")),
        "digest_of": str(dataset.get("digest_of", "")),
    }


def _small_groups(groups: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "grouping": grouping_label(g["by"]),
            "group": group_label(g["group"]),
            "n": count(g.get("n")),
        }
        for g in groups
        if g.get("small")
    ]


def _check(result: Any) -> None:
    if not isinstance(result, Mapping):
        raise SchemaError(
            f"Expected a '{SCHEMA}' result as a mapping, got {type(result).__name__}; "
            "render the output of assay.evaluate.fairness(...).to_dict()."
        )
    if result.get("schema") != SCHEMA:
        raise SchemaError(
            f"Expected a result with schema '{SCHEMA}', found {result.get('schema')!r}; "
            "render the output of assay.evaluate.fairness(...).to_dict()."
        )
    missing = [k for k in ("groups", "overall") if k not in result]
    if missing:
        raise SchemaError(f"The '{SCHEMA}' result is missing the keys: {', '.join(missing)}.")


def _metric_names(groups: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for g in groups:
        names.update(dict.fromkeys(as_mapping(g.get("metrics"))))
    return list(names)


def _groupings(groups: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    seen: dict[tuple[str, ...], None] = {}
    for g in groups:
        seen.setdefault(tuple(str(b) for b in as_list(g.get("by"))), None)
    return list(seen)


def _prediction(params: Mapping[str, Any]) -> str:
    if params.get("task") == "regression" and params.get("y_pred"):
        return f"predictions in column '{params['y_pred']}'"
    if params.get("y_score"):
        text = f"scores in column '{params['y_score']}'"
        if params.get("threshold") is not None:
            text += f", predicted positive at score ≥ {params['threshold']}"
        return text
    if params.get("y_pred"):
        return f"predicted labels in column '{params['y_pred']}'"
    return "not recorded"


def _verdict(v: Mapping[str, Any]) -> dict[str, Any]:
    key = str(v.get("verdict", ""))
    by = [str(b) for b in as_list(v.get("by"))]
    return {
        "key": key if key in VERDICT_ORDER else "unknown",
        "label": verdict_label(key),
        "rule": str(v.get("rule", "")),
        "rule_label": with_class(
            metric_label(str(v.get("rule", ""))), as_mapping(v.get("estimate"))
        ),
        "by": by,
        "grouping": grouping_label(by),
        "limit": f"{v.get('direction', '')} {limit_text(v.get('limit'))}".strip(),
        "estimate": estimate(v.get("estimate")),
        "reason": str(v.get("reason", "")),
        "sample_size": rendering.sample_size_text(v),
        "comparisons": v.get("comparisons"),
    }


def _outcome(verdicts: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    if not verdicts:
        return None
    counts = {k: sum(v["key"] == k for v in verdicts) for k in VERDICT_ORDER}
    key = next((k for k in VERDICT_ORDER if counts[k]), "unknown")
    parts = []
    for k, one, many in (
        ("fail", "fails", "fail"),
        ("insufficient_evidence", "has insufficient evidence", "have insufficient evidence"),
        ("pass", "passes", "pass"),
    ):
        if counts[k]:
            parts.append(f"{counts[k]} {one if counts[k] == 1 else many}")
    total = len(verdicts)
    sentence = f"Of {total} check{'s' if total != 1 else ''}, " + _join(parts) + "."
    return {"key": key, "label": verdict_label(key), "sentence": sentence, "counts": counts}


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary_table(
    task: str,
    groupings: Sequence[tuple[str, ...]],
    anchors: Mapping[tuple[str, ...], str],
    summaries: Mapping[tuple[Any, ...], Any],
    fifths: Mapping[tuple[Any, ...], Any],
    disparities: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Per grouping, the headline disparity measures: the summaries for classification, the
    max − min differences of the error metrics for regression."""
    rows = []
    if task == "classification" and summaries:
        columns = [metric_label(f"{p}_difference")[: -len(" difference")] for p in SUMMARY_PAIRS]
        for by in groupings:
            s = as_mapping(summaries.get(by))
            cells = [
                estimate(s.get(f"{p}_{kind}"))
                for p in SUMMARY_PAIRS
                for kind in ("difference", "ratio")
            ]
            rows.append(
                {
                    "grouping": grouping_label(by),
                    "anchor": anchors[by],
                    "cells": cells,
                    "four_fifths": _fifths_brief(fifths.get(by)),
                }
            )
        return {"kind": "pairs", "pairs": columns, "rows": rows}
    names = [m for m in REGRESSION_CHART_METRICS if any(d.get("metric") == m for d in disparities)]
    if not names:
        names = list(dict.fromkeys(str(d.get("metric")) for d in disparities))[:4]
    for by in groupings:
        found = {d.get("metric"): d for d in disparities if tuple(d.get("by", [])) == by}
        cells = [estimate(as_mapping(found.get(m)).get("difference")) for m in names]
        rows.append(
            {
                "grouping": grouping_label(by),
                "anchor": anchors[by],
                "cells": cells,
                "four_fifths": None,
            }
        )
    return {"kind": "differences", "columns": [metric_label(m) for m in names], "rows": rows}


def _fifths_brief(rule: Any) -> dict[str, Any] | None:
    if not isinstance(rule, Mapping):
        return None
    passes = rule.get("passes")
    if passes is None:
        return {
            "key": "unknown",
            "label": "Undefined",
            "detail": f"undefined: {rule.get('undefined', 'not reported')}",
        }
    low = rule.get("min_impact_ratio")
    detail = f"lowest impact ratio {number(low)}" if low is not None else ""
    return {
        "key": "pass" if passes else "fail",
        "label": "Meets" if passes else "Does not meet",
        "detail": detail,
    }


def _grouping(
    by: tuple[str, ...],
    anchor: str,
    task: str,
    groups: Sequence[Mapping[str, Any]],
    overall: Mapping[str, Any],
    disparities: Sequence[Mapping[str, Any]],
    fifths: Any,
    verdicts: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    ci_label: str,
    charts: bool,
) -> dict[str, Any]:
    members = [g for g in groups if tuple(g.get("by", [])) == by]
    overall_metrics = as_mapping(overall.get("metrics"))
    available = set(overall_metrics) | set(_metric_names(members))
    wanted = KEY_METRICS.get(task, CLASSIFICATION_KEY_METRICS)
    key_metrics = [m for m in wanted if m in available]
    rows = [
        {
            "values": ["Overall"] + [""] * (len(by) - 1),
            "n": count(overall.get("n")),
            "small": False,
            "overall": True,
            "cells": [estimate(overall_metrics.get(m)) for m in key_metrics],
        }
    ]
    for g in members:
        metrics = as_mapping(g.get("metrics"))
        group = as_mapping(g.get("group"))
        rows.append(
            {
                "values": [value_text(group.get(f)) for f in by],
                "n": count(g.get("n")),
                "small": bool(g.get("small")),
                "overall": False,
                "cells": [estimate(metrics.get(m)) for m in key_metrics],
            }
        )
    mine = [d for d in disparities if tuple(d.get("by", [])) == by]
    reference = next((d.get("reference_group") for d in mine if d.get("reference_group")), None)
    section: dict[str, Any] = {
        "by": list(by),
        "label": grouping_label(by),
        "anchor": anchor,
        "n_groups": len(members),
        "n_small": sum(bool(g.get("small")) for g in members),
        "reference": group_values(reference) if isinstance(reference, Mapping) else None,
        "reference_given": params.get("reference_group") is not None,
        "verdicts": [v for v in verdicts if tuple(v["by"]) == by],
        "key_metrics": [metric_label(m) for m in key_metrics],
        "rows": rows,
        "disparities": [_disparity(d) for d in mine],
        "vs_reference": [
            {
                "metric": with_class(metric_label(str(d.get("metric"))), d),
                "rows": [
                    {
                        "group": group_values(as_mapping(e.get("group"))),
                        "difference": estimate(e.get("difference")),
                        "ratio": estimate(e.get("ratio")),
                    }
                    for e in as_list(d.get("vs_reference"))
                    if isinstance(e, Mapping)
                ],
            }
            for d in mine
        ],
        "four_fifths": _four_fifths(fifths, members, ci_label, charts),
        "dot_chart": None,
        "size_chart": None,
    }
    section["vs_reference"] = [v for v in section["vs_reference"] if v["rows"]]
    section["per_class"], section["confusion"] = [], None
    if task == "multiclass":
        section["per_class"] = class_tables(by, members, overall)
        section["confusion"] = confusion_table(by, members, as_list(params.get("classes")))
    if charts and members:
        section["dot_chart"] = _dot_chart(by, task, members, overall_metrics, ci_label)
    return section


def _disparity(d: Mapping[str, Any]) -> dict[str, Any]:
    method = as_mapping(d.get("method"))
    max_group = d.get("max_group")
    min_group = d.get("min_group")
    return {
        "metric": with_class(metric_label(str(d.get("metric"))), d),
        "difference": estimate(d.get("difference")),
        "ratio": estimate(d.get("ratio")),
        "max_group": group_values(max_group) if isinstance(max_group, Mapping) else "",
        "min_group": group_values(min_group) if isinstance(min_group, Mapping) else "",
        "method": " / ".join(str(v) for v in method.values()),
    }


def _four_fifths(
    rule: Any, members: Sequence[Mapping[str, Any]], ci_label: str, charts: bool
) -> dict[str, Any] | None:
    if not isinstance(rule, Mapping):
        return None
    limit = rule.get("limit")
    highest = rule.get("highest_group")
    selection = {
        tuple(as_mapping(g.get("group")).items()): estimate(
            as_mapping(g.get("metrics")).get("selection_rate")
        )
        for g in members
    }
    rows: list[dict[str, Any]] = []
    impacts: list[Estimate] = []
    for e in as_list(rule.get("groups")):
        if not isinstance(e, Mapping):
            continue
        group = as_mapping(e.get("group"))
        impacts.append(estimate(e.get("impact_ratio")))
        rows.append(
            {
                "group": group_values(group),
                "selection": selection.get(tuple(group.items())),
                "impact": impacts[-1],
                "passes": e.get("passes"),
            }
        )
    out: dict[str, Any] = {
        "limit": limit_text(limit),
        "highest": group_values(highest) if isinstance(highest, Mapping) else None,
        "highest_selection": selection.get(tuple(as_mapping(highest).items())),
        "rows": rows,
        "passes": rule.get("passes"),
        "min_ratio": number(rule["min_impact_ratio"])
        if rule.get("min_impact_ratio") is not None
        else None,
        "undefined": str(rule["undefined"]) if rule.get("undefined") else None,
        "chart": None,
    }
    if charts and rows and isinstance(limit, int | float):
        top = max([1.0, *(i.high or i.value or 0.0 for i in impacts)])
        out["chart"] = Markup(
            rendering.dot_whisker(
                [r["group"] for r in rows],
                [
                    rendering.DotPanel(
                        "Impact ratio (selection rate ÷ highest group's)",
                        [_interval(i) for i in impacts],
                        reference=float(limit),
                        reference_label=f"limit {limit_text(limit)}",
                        band=(0.0, float(limit)),
                        band_label=f"below the limit {limit_text(limit)}",
                        domain=(0.0, top if top <= 1.0 else rendering.nice_ticks(0, top)[1]),
                    )
                ],
                title="Four-fifths rule: impact ratio by group",
                description=f"Each group's selection rate divided by the highest group's, "
                f"with {ci_label}; the shaded region is below the limit.",
                interval_label=f"impact ratio and {ci_label}",
                width=520,
            )
        )
    return out


def _interval(e: Estimate, label: str = "") -> rendering.Interval:
    note = ""
    if e.value is None:
        note = f"{label}: {e.undefined_text}" if label else e.undefined_text
    elif label:
        note = f"{label}: {e.text}"
    return rendering.Interval(e.value, e.low, e.high, note)


def _dot_chart(
    by: tuple[str, ...],
    task: str,
    members: Sequence[Mapping[str, Any]],
    overall_metrics: Mapping[str, Any],
    ci_label: str,
) -> Markup:
    wanted = CHART_METRICS.get(task, CLASSIFICATION_CHART_METRICS)
    available = set(overall_metrics) | set(_metric_names(members))
    labels = [group_values(as_mapping(g.get("group"))) for g in members]
    panels = []
    for m in (m for m in wanted if m in available):
        overall = estimate(overall_metrics.get(m))
        points = []
        for g, label in zip(members, labels, strict=True):
            e = estimate(as_mapping(g.get("metrics")).get(m))
            points.append(_interval(e, f"{label} (n={count(g.get('n'))})"))
        panels.append(
            rendering.DotPanel(
                metric_label(m),
                points,
                reference=overall.value,
                reference_label="overall (all rows)",
                include_zero=m not in NO_ZERO,
                bounds=None if task == "regression" else (0.0, 1.0),
            )
        )
    names = ", ".join(p.title for p in panels)
    return Markup(
        rendering.dot_whisker(
            labels,
            panels,
            title=f"{names} by {grouping_label(by)}",
            description=f"Each group's estimate with its {ci_label}; the dashed line is the "
            "value over all rows.",
            annotations=[f"n={count(g.get('n'))}" for g in members],
            annotation_title="rows",
            flagged=[bool(g.get("small")) for g in members],
            flagged_label="small group (fewer rows than the minimum group size)",
            interval_label=f"estimate and {ci_label}",
        )
    )


def _provenance(provenance: Mapping[str, Any]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for k, v in provenance.items():
        if k == "dataset" and isinstance(v, Mapping):
            items.extend((f"dataset {dk}", plain(dv)) for dk, dv in v.items())
        else:
            items.append((str(k), plain(v)))
    return items


def _appendix(
    groupings: Sequence[tuple[str, ...]],
    anchors: Mapping[tuple[str, ...], str],
    groups: Sequence[Mapping[str, Any]],
    overall: Mapping[str, Any],
    metric_names: Sequence[str],
) -> list[dict[str, Any]]:
    # balanced chunks (17 metrics → 5, 4, 4, 4), so that no table is left with one lonely column
    n_chunks = max(1, -(-len(metric_names) // APPENDIX_COLUMNS))
    size, extra = divmod(len(metric_names), n_chunks)
    chunks, start = [], 0
    for i in range(n_chunks):
        stop = start + size + (1 if i < extra else 0)
        chunks.append(list(metric_names[start:stop]))
        start = stop
    out = []
    overall_metrics = as_mapping(overall.get("metrics"))
    for by in groupings:
        members = [g for g in groups if tuple(g.get("by", [])) == by]
        tables = []
        for chunk in chunks:
            rows = [
                {
                    "values": ["Overall"] + [""] * (len(by) - 1),
                    "n": count(overall.get("n")),
                    "small": False,
                    "overall": True,
                    "cells": [estimate(overall_metrics.get(m)) for m in chunk],
                }
            ]
            for g in members:
                group = as_mapping(g.get("group"))
                metrics = as_mapping(g.get("metrics"))
                rows.append(
                    {
                        "values": [value_text(group.get(f)) for f in by],
                        "n": count(g.get("n")),
                        "small": bool(g.get("small")),
                        "overall": False,
                        "cells": [estimate(metrics.get(m)) for m in chunk],
                    }
                )
            tables.append({"metrics": [metric_label(m) for m in chunk], "rows": rows})
        out.append(
            {"label": grouping_label(by), "by": list(by), "anchor": anchors[by], "tables": tables}
        )
    return out


def _toc(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    toc: list[dict[str, Any]] = [{"id": "summary", "label": "Executive summary", "children": []}]
    toc.append(
        {
            "id": "groups",
            "label": "Results by grouping",
            "children": [
                {"id": g["anchor"], "label": f"By {g['label']}"} for g in view["groupings"]
            ],
        }
    )
    if view["calibration"]:
        toc.append({"id": "calibration", "label": "Calibration", "children": []})
    if view["sweeps"]:
        toc.append({"id": "sweep", "label": "Threshold sweep", "children": []})
    toc.append({"id": "methods", "label": "Methods and definitions", "children": []})
    toc.append({"id": "provenance", "label": "Provenance and parameters", "children": []})
    toc.append({"id": "appendix", "label": "Appendix: all metrics by group", "children": []})
    return toc

"""The multiclass parts of a fairness report: per-class rates, confusion matrices and the
fairness summaries of each class, selected from an ``assay.fairness/v1`` multiclass result."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assay.render import (
    as_list,
    as_mapping,
    count,
    estimate,
    grouping_label,
    metric_label,
    value_text,
)

#: The one-vs-rest rates a report shows for each class, in order.
CLASS_METRICS = ("prevalence", "selection_rate", "tpr", "fpr", "ppv")
SUMMARY_PAIRS = ("demographic_parity", "equalized_odds", "equal_opportunity")


def with_class(label: str, entry: Mapping[str, Any]) -> str:
    """A metric's label, with the class it is about when it is a multiclass one-vs-rest rate."""
    return f"{label} (class {entry['class']})" if "class" in entry else label


def class_tables(
    by: Sequence[str], members: Sequence[Mapping[str, Any]], overall: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """For each class, a table of its one-vs-rest rates in every group (the overall row first)."""
    classes = list(as_mapping(overall.get("per_class"))) or list(
        as_mapping(members[0].get("per_class")) if members else {}
    )
    tables = []
    for c in classes:
        rows = [_row(["Overall"] + [""] * (len(by) - 1), overall, c, is_overall=True)]
        for g in members:
            group = as_mapping(g.get("group"))
            rows.append(_row([value_text(group.get(f)) for f in by], g, c, is_overall=False))
        tables.append(
            {
                "label": str(c),
                "metric_labels": [metric_label(m) for m in CLASS_METRICS],
                "rows": rows,
            }
        )
    return tables


def _row(
    values: list[str], entry: Mapping[str, Any], c: str, *, is_overall: bool
) -> dict[str, Any]:
    rates = as_mapping(as_mapping(entry.get("per_class")).get(c))
    return {
        "values": values,
        "n": count(entry.get("n")),
        "small": bool(entry.get("small")) and not is_overall,
        "overall": is_overall,
        "cells": [estimate(rates.get(m)) for m in CLASS_METRICS],
    }


def confusion_table(
    by: Sequence[str], members: Sequence[Mapping[str, Any]], classes: Sequence[Any]
) -> dict[str, Any] | None:
    """Each group's confusion matrix as rows (group, true class) × predicted class (row counts)."""
    rows = []
    labels = [str(c) for c in classes]
    for g in members:
        matrix = as_list(as_mapping(g.get("confusion_matrix")).get("counts"))
        group = as_mapping(g.get("group"))
        values = [value_text(group.get(f)) for f in by]
        for label, counts in zip(labels, matrix, strict=False):
            rows.append({"values": [*values, label], "counts": [count(x) for x in as_list(counts)]})
    if not rows:
        return None
    return {"columns": [*by, "true class"], "classes": labels, "rows": rows}


def class_summary(
    groupings: Sequence[tuple[str, ...]],
    anchors: Mapping[tuple[str, ...], str],
    summaries: Sequence[Any],
    fifths: Sequence[Any],
    brief: Callable[[Any], dict[str, Any] | None],
) -> dict[str, Any]:
    """The headline disparities of a multiclass result: per grouping and class, the fairness
    summaries of the class's one-vs-rest rates and its four-fifths rule."""
    columns = [metric_label(f"{p}_difference")[: -len(" difference")] for p in SUMMARY_PAIRS]
    rule = {
        (tuple(as_list(f.get("by"))), f.get("class")): f for f in fifths if isinstance(f, Mapping)
    }
    rows = []
    for by in groupings:
        for s in summaries:
            if not isinstance(s, Mapping) or tuple(as_list(s.get("by"))) != by:
                continue
            cells = [
                estimate(s.get(f"{p}_{kind}"))
                for p in SUMMARY_PAIRS
                for kind in ("difference", "ratio")
            ]
            rows.append(
                {
                    "grouping": f"{grouping_label(by)} · class {s.get('class')}",
                    "anchor": anchors[by],
                    "cells": cells,
                    "four_fifths": brief(rule.get((by, s.get("class")))),
                }
            )
    return {"kind": "pairs", "pairs": columns, "rows": rows}

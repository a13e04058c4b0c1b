"""The score-based sections of a fairness report: reliability diagrams and the threshold sweep.

Both appear only when the model gave scores (``y_score``) and the result holds ``calibration``
and ``threshold_sweep``; like the rest of the view, they only select and format the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from assay import render as rendering
from assay.render import (
    as_list,
    as_mapping,
    count,
    estimate,
    group_values,
    grouping_label,
    limit_text,
    metric_label,
    number,
)

MAX_OVERLAID_CURVES = 5
OVERALL_COLOUR = "#8c959f"
SWEEP_ROWS = 10


def calibration_sections(
    result: Mapping[str, Any],
    groups: Sequence[Mapping[str, Any]],
    anchors: Mapping[tuple[str, ...], str],
    charts: bool,
) -> list[dict[str, Any]]:
    curves = [c for c in as_list(result.get("calibration")) if isinstance(c, Mapping)]
    if not curves:
        return []
    overall = next((c for c in curves if not c.get("by")), None)
    by_grouping: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for c in curves:
        if c.get("by"):
            by_grouping.setdefault(tuple(str(b) for b in c["by"]), []).append(c)
    scores = {
        (tuple(g.get("by", [])), tuple(as_mapping(g.get("group")).items())): g for g in groups
    }
    sections = []
    for by, members in by_grouping.items():
        rows = []
        bins = []
        for c in members:
            group = as_mapping(c.get("group"))
            g = as_mapping(scores.get((by, tuple(group.items()))))
            metrics = as_mapping(g.get("metrics"))
            rows.append(
                {
                    "group": group_values(group),
                    "n": count(g.get("n")) if g else "",
                    "small": bool(g.get("small")),
                    "ece": estimate(metrics["ece"]) if "ece" in metrics else None,
                    "brier": estimate(metrics["brier_score"]) if "brier_score" in metrics else None,
                }
            )
            for b in as_list(c.get("bins")):
                if isinstance(b, Mapping):
                    bins.append(_bin_row(group_values(group), b))
        section: dict[str, Any] = {
            "label": grouping_label(by),
            "anchor": anchors.get(by, ""),
            "rows": rows,
            "bins": bins,
            "has_ece": any(r["ece"] is not None for r in rows),
            "has_brier": any(r["brier"] is not None for r in rows),
            "chart": None,
            "multiples": [],
        }
        if charts:
            section["chart"], section["multiples"] = _reliability_charts(by, members, overall)
        sections.append(section)
    return sections


def _bin_row(group: str, b: Mapping[str, Any]) -> dict[str, str]:
    def shown(x: Any) -> str:
        return number(x) if isinstance(x, int | float) and not isinstance(x, bool) else "empty bin"

    return {
        "group": group,
        "bin": f"{number(b.get('bin_low'))}–{number(b.get('bin_high'))}",
        "n": count(b.get("n")),
        "mean_score": shown(b.get("mean_score")),
        "fraction_positive": shown(b.get("fraction_positive")),
    }


def _reliability_series(
    curve: Mapping[str, Any], name: str, largest: float, *, overall: bool, colour: str | None = None
) -> rendering.Series:
    points: list[tuple[float, float | None]] = []
    sizes: list[float] = []
    notes: list[str] = []
    for b in as_list(curve.get("bins")):
        if not isinstance(b, Mapping):
            continue
        x, y = b.get("mean_score"), b.get("fraction_positive")
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            continue  # an empty bin has no point; the line joins its neighbours
        points.append((float(x), float(y)))
        sizes.append(float(b.get("n") or 0) / largest)
        notes.append(
            f"{name}, scores {number(b.get('bin_low'))}–{number(b.get('bin_high'))}: "
            f"mean score {number(x)}, fraction positive {number(y)}, n={count(b.get('n'))}"
        )
    return rendering.Series(
        name,
        points,
        sizes=sizes,
        notes=notes,
        colour=OVERALL_COLOUR if overall else colour,
        dash="4 3" if overall else None,
        width=1.6 if overall else 2.0,
    )


def _reliability_charts(
    by: tuple[str, ...], members: Sequence[Mapping[str, Any]], overall: Mapping[str, Any] | None
) -> tuple[Markup | None, list[dict[str, Any]]]:
    """One reliability diagram with every group, or small multiples when the groups are many
    (ten overlaid noisy curves hide more than they show)."""
    # marker areas are relative to the largest bin of any group; the overall curve's bins are
    # bigger still and are drawn at full size
    largest = max(
        [b.get("n") or 0 for c in members for b in as_list(c.get("bins")) if isinstance(b, Mapping)]
        + [1]
    )
    reference = (
        [_reliability_series(overall, "Overall (all rows)", largest, overall=True)]
        if overall
        else []
    )
    common: dict[str, Any] = {
        "x_label": "mean predicted score in bin",
        "y_label": "fraction positive",
        "x_domain": (0.0, 1.0),
        "y_domain": (0.0, 1.0),
        "diagonal": "perfectly calibrated",
        "description": "Mean score against the fraction of positives in each score bin; points "
        "on the diagonal are perfectly calibrated; marker area grows with the rows in the bin.",
    }
    if len(members) <= MAX_OVERLAID_CURVES:
        series = [
            _reliability_series(c, group_values(as_mapping(c.get("group"))), largest, overall=False)
            for c in members
        ]
        chart = rendering.line_chart(
            [*series, *reference],
            title=f"Reliability diagram by {grouping_label(by)}",
            width=520,
            height=400,
            **common,
        )
        return Markup(chart), []
    multiples = []
    for c in members:
        name = group_values(as_mapping(c.get("group")))
        mine = _reliability_series(c, name, largest, overall=False, colour=rendering.PALETTE[0])
        chart = rendering.line_chart(
            [mine, *reference],
            title=f"Reliability diagram: {name}",
            width=230,
            height=220,
            show_legend=False,
            **common,
        )
        multiples.append({"label": name, "chart": Markup(chart)})
    return None, multiples


def sweep_sections(
    result: Mapping[str, Any],
    params: Mapping[str, Any],
    anchors: Mapping[tuple[str, ...], str],
    charts: bool,
) -> list[dict[str, Any]]:
    sweeps = [s for s in as_list(result.get("threshold_sweep")) if isinstance(s, Mapping)]
    overall = next((s for s in sweeps if not s.get("by")), None)
    operating = params.get("threshold")
    operating = float(operating) if isinstance(operating, int | float) else None
    sections = []
    for s in sweeps:
        by = tuple(str(b) for b in as_list(s.get("by")))
        if not by:
            continue
        thresholds = [float(t) for t in as_list(s.get("thresholds"))]
        dp = as_list(s.get("demographic_parity_difference"))
        eo = as_list(s.get("equalized_odds_difference"))
        step = max(1, round((len(thresholds) - 1) / SWEEP_ROWS))
        picked = set(range(0, len(thresholds), step)) | {len(thresholds) - 1}
        at = _index_of(thresholds, operating)
        if at is not None:
            picked.add(at)
        table = [
            {
                "threshold": limit_text(thresholds[i]),
                "operating": i == at,
                "dp": _sweep_value(dp, i),
                "eo": _sweep_value(eo, i),
            }
            for i in sorted(picked)
            if thresholds
        ]
        section: dict[str, Any] = {
            "label": grouping_label(by),
            "anchor": anchors.get(by, ""),
            "operating": limit_text(operating) if operating is not None else None,
            "table": table,
            "step": limit_text(thresholds[step] - thresholds[0]) if len(thresholds) > step else "",
            "n_thresholds": len(thresholds),
            "charts": [],
        }
        if charts and thresholds:
            section["charts"] = _sweep_charts(by, s, overall, thresholds, operating)
        sections.append(section)
    return sections


def _index_of(values: Sequence[float], target: float | None) -> int | None:
    if target is None:
        return None
    return next((i for i, v in enumerate(values) if abs(v - target) < 1e-9), None)


def _sweep_value(values: Sequence[Any], i: int) -> str:
    if i < len(values) and isinstance(values[i], int | float) and not isinstance(values[i], bool):
        return number(values[i])
    return "undefined"


def _numbers(values: Any) -> list[float | None]:
    return [
        float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
        for v in as_list(values)
    ]


def _sweep_charts(
    by: tuple[str, ...],
    sweep: Mapping[str, Any],
    overall: Mapping[str, Any] | None,
    thresholds: Sequence[float],
    operating: float | None,
) -> list[dict[str, Any]]:
    """Selection rate and TPR by group against the threshold, then the two disparity curves."""
    marker = f"operating threshold {limit_text(operating)}" if operating is not None else ""
    out = []
    overall_metrics: Mapping[str, Any] = {}
    if overall:
        first = next(iter(as_list(overall.get("groups"))), None)
        overall_metrics = as_mapping(as_mapping(first).get("metrics"))
    for metric, y_label in (("selection_rate", "selection rate"), ("tpr", "true positive rate")):
        series = []
        for g in as_list(sweep.get("groups")):
            values = _numbers(as_mapping(as_mapping(g).get("metrics")).get(metric))
            if values:
                name = group_values(as_mapping(as_mapping(g).get("group")))
                series.append(rendering.Series(name, list(zip(thresholds, values, strict=False))))
        values = _numbers(overall_metrics.get(metric))
        if values:
            series.append(
                rendering.Series(
                    "Overall (all rows)",
                    list(zip(thresholds, values, strict=False)),
                    colour=OVERALL_COLOUR,
                    dash="4 3",
                    width=1.6,
                )
            )
        if series:
            title = f"{y_label.capitalize()} by {grouping_label(by)} against the threshold"
            chart = rendering.line_chart(
                series,
                title=title,
                x_label="decision threshold (score ≥ threshold is positive)",
                y_label=y_label,
                x_domain=(thresholds[0], thresholds[-1]),
                y_domain=(0.0, 1.0),
                marker_x=operating,
                marker_label=marker,
            )
            out.append({"kind": "groups", "caption": title, "chart": Markup(chart)})
    gaps = []
    for key, colour in (
        ("demographic_parity_difference", rendering.PALETTE[3]),
        ("equalized_odds_difference", rendering.PALETTE[0]),
    ):
        values = _numbers(sweep.get(key))
        if values:
            gaps.append(
                rendering.Series(
                    metric_label(key), list(zip(thresholds, values, strict=False)), colour=colour
                )
            )
    if gaps:
        title = f"Disparities by {grouping_label(by)} against the threshold"
        chart = rendering.line_chart(
            gaps,
            title=title,
            x_label="decision threshold (score ≥ threshold is positive)",
            y_label="max − min across groups",
            x_domain=(thresholds[0], thresholds[-1]),
            marker_x=operating,
            marker_label=marker,
        )
        out.append({"kind": "gaps", "caption": title, "chart": Markup(chart)})
    return out

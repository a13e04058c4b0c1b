"""A drift result as one self-contained HTML page: the house stylesheet, a bar chart of each
column's effect size against its threshold, and the column table (no scripts; opens offline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay import __version__
from assay.render import Bar, bar_chart, environment, house_css

__all__ = ["render_drift_html"]


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def render_drift_html(result: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render an ``assay.drift/v1`` result (``DriftResult.to_dict()``) as an HTML page.

    >>> page = render_drift_html({"schema": "assay.drift/v1", "columns": [], "groups": [],
    ...     "problems": [], "reference": {}, "current": {}, "summary": {"n_tested": 0,
    ...     "n_drifted": 0, "share_drifted": 0.0, "dataset_drift": False}})
    >>> page.startswith("<!DOCTYPE html>"), "<script" in page
    (True, False)
    """
    columns = [_row(e) for e in result["columns"]]
    thresholds = {c["threshold"] for c in columns if c["threshold"] is not None}
    bars = [
        Bar(c["column"], float(c["effect_value"] or 0.0), muted=not c["drift"])
        for c in columns
        if c["effect_value"] is not None
    ]
    chart = bar_chart(
        bars,
        title="Effect size by column",
        description="The effect size of each column's shift; grey columns did not drift.",
        reference=thresholds.pop() if len(thresholds) == 1 else None,
        reference_label="threshold",
    ) if bars else ""  # fmt: skip
    template = environment("assay.evaluate").get_template("drift_report.html.j2")
    return template.render(
        title=title or "Drift check", schema=result["schema"], s=result["summary"],
        columns=columns, groups=result["summary"].get("groups_with_drift") or [],
        problems=result["problems"], chart=chart, css=house_css(), number=_number,
        reference_rows=_number(result["reference"].get("n")),
        current_rows=_number(result["current"].get("n")), version=__version__,
    )  # fmt: skip


def _row(e: Mapping[str, Any]) -> dict[str, Any]:
    effect = e.get("effect") or {}
    return {
        "column": e["column"], "role": e.get("role"), "test": e.get("test"),
        "q_value": e.get("q_value"), "effect": effect.get("name"),
        "effect_value": effect.get("value"), "threshold": effect.get("threshold"),
        "drift": bool(e.get("drift")),
    }  # fmt: skip

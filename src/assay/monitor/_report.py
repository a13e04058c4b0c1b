"""``assay monitor report``: a monitor's time series, alerts and problems as one HTML file.

Self-contained like every Assay report: the shared report stylesheet inline, charts as inline SVG
(drawn by :mod:`assay.render`), no scripts, nothing fetched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from assay import __version__
from assay.governance import Workspace
from assay.governance import monitor_records as db
from assay.monitor._spec import MetricSpec, MonitorSpec
from assay.render import Series, environment, house_css, line_chart, metric_label

#: The drift and quality statistics of a monitor in words (fairness and performance metrics are
#: worded by :func:`assay.render.metric_label`).
STATISTIC_WORDS = {
    "share_drifted": "Share of columns that drifted",
    "n_drifted": "Number of columns that drifted",
    "drifted": "Drifted (1) or not (0)",
    "psi": "Population stability index",
    "jensen_shannon": "Jensen–Shannon distance",
    "ks": "Kolmogorov–Smirnov statistic",
    "wasserstein": "Wasserstein distance (in standard deviations)",
    "q_value": "Drift test q-value",
    "prediction_drift": "Drift of the predictions",
    "label_drift": "Drift of the labels",
    "rows": "Rows in the window",
    "missing_rate": "Share of missing values",
    "new_categories": "Share of rows with unseen categories",
    "schema_violations": "Schema violations",
    "duplicate_rate": "Share of duplicate rows",
}


def metric_words(m: MetricSpec) -> str:
    """What a monitored metric measures, in words: "Population stability index of score"."""
    words = STATISTIC_WORDS.get(m.statistic) or metric_label(m.statistic)
    if m.column:
        words += f" of {m.column}"
    if m.group:
        words += " for " + ", ".join(f"{k} = {v}" for k, v in m.group.items())
    return words


def _tabled(m: MetricSpec) -> bool:
    """Whether the values table shows the metric: a row count repeats the rows column."""
    return not (m.kind == "quality" and m.statistic == "rows" and not m.group)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _day(value: dt.datetime) -> str:
    return db.aware(value).strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00")


def render_monitor_report(ws: Workspace, name: str, *, title: str | None = None) -> str:
    """The HTML report of the monitor called ``name``: alerts, charts of every metric over the
    windows (with the alert thresholds), the values table, and every window's problems."""
    monitor = db.monitor_row(ws, name)
    spec = MonitorSpec.model_validate(monitor["spec"])
    rows = db.stored_windows(ws, int(monitor["id"]))
    stored = {m.name: dict(db.series(ws, int(monitor["id"]), m.name)) for m in spec.metrics}
    alerts = db.list_alerts(ws, monitor=name)
    precision = db.alert_precision(ws, monitor=name)
    failed = len(db.failed_notifications(ws, int(monitor["id"])))
    windows, notes = _windows(rows, spec, stored)
    starts = [db.aware(r["window_start"]) for r in rows]
    charts = [c for m in spec.metrics if (c := _chart(m, spec, starts, stored[m.name]))]
    template = environment("assay.monitor").get_template("monitor_report.html.j2")
    return template.render(
        title=title or f"Monitoring report: {spec.name}",
        css=house_css(),
        spec=spec,
        windows=windows,
        charts=charts,
        metric_names=[m.name for m in spec.metrics if _tabled(m)],
        metric_words={m.name: metric_words(m) for m in spec.metrics},
        alerts=[_shown_alert(a) for a in alerts],
        open_alerts=sum(1 for a in alerts if a["status"] == "firing"),
        precision=precision,
        failed_notifications=failed,
        problem_windows=sum(1 for w in rows if (w["result"] or {}).get("problems")),
        notes=notes,
        generated=ws.now().strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )


def _windows(
    rows: Sequence[Mapping[Any, Any]], spec: MonitorSpec, stored: dict[str, dict[dt.datetime, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The values table (one row per window) and every window's problems, notes and errors."""
    windows = []
    notes = []
    for r in rows:
        start = db.aware(r["window_start"])
        shown = {m.name: _fmt(stored[m.name].get(start)) for m in spec.metrics}
        windows.append(
            {"start": _day(start), "rows": r["rows"], "status": r["status"], "shown": shown}
        )
        result = r["result"] or {}
        for p in result.get("problems") or []:
            notes.append({"window": _day(start), "text": p.get("message", str(p))})
        for n in result.get("notes") or []:
            notes.append({"window": _day(start), "text": n})
        if result.get("error"):
            notes.append({"window": _day(start), "text": result["error"]})
    return windows, notes


def _chart(
    m: MetricSpec, spec: MonitorSpec, starts: list[dt.datetime], values: dict[dt.datetime, Any]
) -> dict[str, str] | None:
    """A metric over the windows with its alert thresholds; None when it has no value at all."""
    points = [(float(i + 1), values.get(s)) for i, s in enumerate(starts)]
    if not any(v is not None for _, v in points):
        return None
    series = [
        Series(
            m.name,
            points,
            sizes=[0.3] * len(points),
            notes=[f"{_day(s)}: {_fmt(v)}" for s, (_, v) in zip(starts, points, strict=True)],
        )
    ]
    for rule in spec.alerts:
        if rule.metric == m.name:
            series.append(
                Series(
                    f"alert '{rule.name}' ({rule.condition})",
                    [(1.0, rule.threshold), (float(max(len(starts), 1)), rule.threshold)],
                    colour="#D55E00",
                    dash="5 4",
                    width=1.4,
                )
            )
    described = metric_words(m)
    first = _day(starts[0]) if starts else ""
    svg = line_chart(
        series,
        title=f"{described} by window",
        x_label=f"{spec.window.size} window (1 = {first})",
        y_label=described,
        description=f"{described} for each {spec.window.size} window (metric {m.name})",
    )
    return {"svg": svg, "caption": f"{described} (metric {m.name})"}


def _shown_alert(a: dict[str, Any]) -> dict[str, Any]:
    value = a["last_value"] if a["status"] == "resolved" else a["opened_value"]
    return a | {
        "opened_window": _day(a["opened_window"]),
        "resolved_window": _day(a["resolved_window"]) if a["resolved_window"] else None,
        "value": _fmt(value),
    }

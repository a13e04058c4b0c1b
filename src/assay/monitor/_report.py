"""``assay monitor report``: a monitor's time series, alerts and problems as one HTML file.

Self-contained like every Assay report: the shared report stylesheet inline, charts as inline SVG
(drawn by :mod:`assay.documents._svg`), no scripts, nothing fetched.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined

from assay._version import __version__
from assay.documents._svg import Series, line_chart
from assay.governance import Workspace
from assay.governance import monitor_records as db
from assay.monitor._spec import MonitorSpec

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}
.mon-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 18px; }
.mon-grid figure { margin: 0; }
.sev-critical, .sev-high { color: var(--fail); font-weight: 600; }
.state-firing { color: var(--fail); font-weight: 600; }
.state-resolved { color: var(--pass); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<main class="page">
<header>
<h1>{{ title }}</h1>
<p>System <strong>{{ spec.system }}</strong>{% if spec.model_version %}, model version
<strong>{{ spec.model_version }}</strong>{% endif %}. Owner {{ spec.owner }}.
Runbook: <a href="{{ spec.runbook }}">{{ spec.runbook }}</a>.</p>
<p>{{ windows|length }} {{ spec.window.size }} window(s){% if windows %} from
{{ windows[0].start }} to {{ windows[-1].start }}{% endif %}. Generated {{ generated }} by
Assay {{ version }}.</p>
</header>

<section>
<h2>Summary</h2>
<ul>
<li>{{ open_alerts }} alert(s) firing, {{ alerts|length }} in total.</li>
<li>Alert precision: {% if precision.precision is none %}no alert acknowledged yet{% else %}
{{ "%.0f"|format(100 * precision.precision) }}% ({{ precision.meaningful }} meaningful,
{{ precision.noise }} noise){% endif %}; {{ precision.unacknowledged }} not acknowledged
(<code>assay monitor ack ID --meaningful | --noise</code>).</li>
<li>Windows with problems: {{ problem_windows }}; notifications failed and awaiting retry:
{{ failed_notifications }}.</li>
</ul>
</section>

<section>
<h2>Alerts</h2>
{% if alerts %}
<table>
<thead><tr><th>#</th><th>rule</th><th>severity</th><th>status</th><th>metric</th>
<th>opened (window)</th><th>resolved (window)</th><th>value</th><th>verdict</th></tr></thead>
<tbody>
{% for a in alerts %}
<tr><td>{{ a.id }}</td><td>{{ a.rule }}</td><td class="sev-{{ a.severity }}">{{ a.severity }}</td>
<td class="state-{{ a.status }}">{{ a.status }}</td><td>{{ a.metric }} {{ a.condition }}</td>
<td>{{ a.opened_window }}</td><td>{{ a.resolved_window or "—" }}</td>
<td class="num">{{ a.value }}</td><td>{{ a.verdict or "—" }}</td></tr>
<tr><td></td><td colspan="8">{{ a.message }}</td></tr>
{% endfor %}
</tbody></table>
{% else %}<p>No alert has fired.</p>{% endif %}
</section>

<section>
<h2>Metrics by window</h2>
<div class="mon-grid">
{% for chart in charts %}<figure>{{ chart.svg|safe }}
<figcaption>{{ chart.caption }}</figcaption></figure>
{% endfor %}
</div>
<table>
<thead><tr><th>window</th><th>rows</th><th>status</th>
{% for m in metric_names %}<th>{{ m }}</th>{% endfor %}</tr></thead>
<tbody>
{% for w in windows %}
<tr><td>{{ w.start }}</td><td class="num">{{ w.rows }}</td><td>{{ w.status }}</td>
{% for m in metric_names %}<td class="num">{{ w.shown[m] }}</td>{% endfor %}</tr>
{% endfor %}
</tbody></table>
</section>

<section>
<h2>Problems and notes</h2>
{% if notes %}<ul>
{% for n in notes %}<li><strong>{{ n.window }}</strong>: {{ n.text }}</li>
{% endfor %}</ul>{% else %}<p>None.</p>{% endif %}
</section>
</main>
</body>
</html>
"""


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
    starts = [db.aware(r["window_start"]) for r in rows]
    charts = []
    first = _day(starts[0]) if starts else ""
    for m in spec.metrics:
        points = [(float(i + 1), stored[m.name].get(s)) for i, s in enumerate(starts)]
        if not any(v is not None for _, v in points):
            continue
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
        described = f"{m.kind} {m.statistic}" + (f" of {m.column}" if m.column else "")
        if m.group:
            described += " in " + ", ".join(f"{k}={v}" for k, v in m.group.items())
        svg = line_chart(
            series,
            title=f"{m.name}: {described} by window",
            x_label=f"{spec.window.size} window (1 = {first})",
            y_label=m.name,
            description=f"{described} for each {spec.window.size} window",
        )
        charts.append({"svg": svg, "caption": described})
    shown_alerts = []
    for a in alerts:
        value = a["last_value"] if a["status"] == "resolved" else a["opened_value"]
        shown_alerts.append(
            a
            | {
                "opened_window": _day(a["opened_window"]),
                "resolved_window": _day(a["resolved_window"]) if a["resolved_window"] else None,
                "value": _fmt(value),
            }
        )
    css = (resources.files("assay.documents") / "templates" / "report.css").read_text("utf-8")
    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(_TEMPLATE).render(
        title=title or f"Monitoring report: {spec.name}",
        css=css,
        spec=spec,
        windows=windows,
        charts=charts,
        metric_names=[m.name for m in spec.metrics],
        alerts=shown_alerts,
        open_alerts=sum(1 for a in alerts if a["status"] == "firing"),
        precision=precision,
        failed_notifications=failed,
        problem_windows=sum(1 for w in rows if (w["result"] or {}).get("problems")),
        notes=notes,
        generated=ws.now().strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )

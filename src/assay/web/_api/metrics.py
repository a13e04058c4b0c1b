"""``/metrics``: monitoring alert states, program KPIs and request latencies for Prometheus.

Scraped with an API token (``Authorization: Bearer TOKEN``; Prometheus's ``authorization``
setting) or a browser session; anything else is answered ``401`` with no metric. Any user's
token may read it: give Prometheus its own ``viewer`` user and token (docs/monitoring.md).

Families (the Prometheus text format, :mod:`assay.web._exposition`):

- ``assay_monitor_alert_firing{system, monitor, metric}``: 1 while an alert on the metric fires,
  else 0, for every metric of every monitor (:func:`assay.governance.monitor_status`,
  :func:`assay.governance.list_alerts`);
- ``assay_monitor_alerts_firing{system, monitor, metric, severity}``: how many fire;
- ``assay_monitor_last_run_timestamp_seconds{system, monitor}``: when the monitor last ran;
- ``assay_kpi_value{key, unit}`` and ``assay_kpi_sample_size{key}``: the program KPIs of the
  reporting period containing today (:func:`assay.governance.compute_kpis`), a KPI with nothing
  measured left out;
- ``assay_http_request_duration_seconds{method, route, status}``: a histogram of request times
  since the process started (:mod:`assay.web._request_timer`).
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from assay.governance import Workspace, compute_kpis, list_alerts, monitor_status
from assay.policy import reporting_period
from assay.web import _auth
from assay.web._context import SESSION_COOKIE
from assay.web._exposition import CONTENT_TYPE, Family, exposition
from assay.web._request_timer import latency_of

__all__ = ["router", "scraper"]

router = APIRouter()


def scraper(request: Request) -> str | None:
    """Who is scraping: the user of a valid bearer token or of a live session, else None."""
    base: Workspace = request.app.state.base
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return _auth.user_for_token(base, auth[7:].strip())
    session = _auth.load_session(base, request.cookies.get(SESSION_COOKIE))
    return None if session is None else session.user


def monitor_families(ws: Workspace) -> list[Family]:
    """Alert states and counts per system, monitor and metric, and each monitor's last run."""
    state = Family("assay_monitor_alert_firing", "gauge",
                   "1 while an alert on the metric fires, else 0.")  # fmt: skip
    firing = Family("assay_monitor_alerts_firing", "gauge", "Alerts firing, by severity.")
    last = Family("assay_monitor_last_run_timestamp_seconds", "gauge",
                  "When the monitor last finished a run (Unix time).")  # fmt: skip
    counts = Counter(
        (str(a["system"]), str(a["monitor"]), str(a["metric"]), str(a["severity"]))
        for a in list_alerts(ws, status="firing")
    )
    for m in monitor_status(ws):
        alerted = {metric for (s, name, metric, _) in counts if (s, name) == (m.system, m.name)}
        for metric in sorted({*m.metrics, *alerted}):
            where = {"system": m.system, "monitor": m.name, "metric": metric}
            state.add(where, 1 if metric in alerted else 0)
        if m.last_run is not None:
            last.add({"system": m.system, "monitor": m.name}, m.last_run.timestamp())
    for (system, monitor, metric, severity), n in sorted(counts.items()):
        labels = {"system": system, "monitor": monitor, "metric": metric, "severity": severity}
        firing.add(labels, n)
    return [state, firing, last]


def kpi_families(ws: Workspace) -> list[Family]:
    """The KPIs of the reporting period containing today."""
    value = Family("assay_kpi_value", "gauge",
                   "Program KPI of the current reporting period (in its unit).")  # fmt: skip
    size = Family("assay_kpi_sample_size", "gauge", "Records the KPI is computed from.")
    for k in compute_kpis(ws, *reporting_period(ws.today())).kpis:
        if k.value is not None:
            value.add({"key": k.key, "unit": k.unit}, k.value)
        size.add({"key": k.key}, k.n)
    return [value, size]


def _scrape(request: Request) -> Response:
    who = scraper(request)
    if who is None:
        refusal = "Send an API token: Authorization: Bearer TOKEN.\n"
        return Response(refusal, 401, {"WWW-Authenticate": "Bearer"}, media_type="text/plain")
    base: Workspace = request.app.state.base
    ws = base.as_user(who)  # the scraper's organisations only
    families = [*monitor_families(ws), *kpi_families(ws), latency_of(request.app).family()]
    return Response(exposition(families), media_type=CONTENT_TYPE)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """The Prometheus text exposition of the workspace's monitoring, KPIs and request times."""
    # the workspace is read off the event loop, like every synchronous handler
    return await run_in_threadpool(_scrape, request)

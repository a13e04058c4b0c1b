"""The program dashboard (``/``): this period's KPIs with their trends, review readiness, reviews
by stage, the heat map of open risks, waivers by age and overdue actions.

KPI trends are the program KPIs of the last periods, one small chart each. Periods are the
policy's reporting periods (:func:`assay.policy.reporting_period`). Each period is computed by
:func:`assay.governance.compute_kpis` for that period. The reports are cached per process, keyed
by the period and the head of the audit chain with today's date
(:func:`assay.web._cache.audit_head`): any write adds an audit event, so a cached quarter is
never stale.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from assay.governance import (
    KpiReport,
    Workspace,
    compute_kpis,
    list_actions,
    list_incidents,
    list_orgs,
    program_status,
)
from assay.policy import RATING_FILL, TREND_PERIODS, period_label, rating, reporting_periods
from assay.render import heat_map
from assay.web._cache import Head, PartCache, audit_head
from assay.web._charts import trend_svg
from assay.web._context import Ctx, resolve
from assay.web._pages.packets import review_readiness
from assay.web._templates import fragment, render

__all__ = ["TrendCache", "dashboard_data", "kpi_trends", "router"]

OVERDUE_SHOWN = 25


class TrendCache:
    """KPI reports by (period, today, audit head); bounded, shared by the app's threads."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: dict[tuple[Any, ...], KpiReport] = {}
        self._lock = threading.Lock()

    def report(
        self, ws: Workspace, head: Head, start: dt.date, end: dt.date, org: str | None = None
    ) -> KpiReport:
        """The KPIs of ``start``–``end`` (of one organisation, or every one the reader sees),
        computed once per state of the records and reader's scope (``head``)."""
        key = (start, end, head, org)
        with self._lock:
            hit = self._items.get(key)
        if hit is not None:
            return hit
        report = compute_kpis(ws, start, end, org=org)
        with self._lock:
            if len(self._items) >= self._size:
                self._items.clear()
            self._items[key] = report
        return report


def kpi_trends(
    ws: Workspace,
    cache: TrendCache,
    head: Head,
    n: int = TREND_PERIODS,
    *,
    org: str | None = None,
) -> tuple[KpiReport, list[dict[str, Any]]]:
    """This period's KPI report, and for each KPI its values by period and their chart."""
    periods = reporting_periods(head.today, n)
    reports = [cache.report(ws, head, start, end, org) for start, end in periods]
    out: list[dict[str, Any]] = []
    for kpi in reports[-1].kpis:
        points = [(period_label(r.start), r.get(kpi.key).value) for r in reports]
        out.append({"kpi": kpi, "svg": trend_svg(kpi.name, kpi.unit, points), "points": points})
    return reports[-1], out


def dashboard_data(
    ctx: Ctx, cache: TrendCache, head: Head, org: str | None = None
) -> dict[str, Any]:
    """Everything the program dashboard shows, computed from records: of one organisation, or
    of every one the user sees."""
    kpis, trends = kpi_trends(ctx.ws, cache, head, org=org)
    ws = ctx.ws if org is None else ctx.ws.in_org(org)
    status = program_status(ws)
    return {
        "org": org,
        "orgs": list_orgs(ctx.ws),
        "kpis": kpis,
        "readiness": review_readiness(ws),
        "trends": trends,
        "stages": list(status.reviews_by_stage),
        "overdue": list_actions(ws, overdue=True)[:OVERDUE_SHOWN],
        "overdue_count": status.overdue_actions,
        "waiver_ages": dict(status.open_waivers_by_age),
        "heat": status.heat_counts(),
        "open_risks": status.open_risks,
        "systems": status.systems,
        "open_incidents": len(list_incidents(ws, open_only=True)),
    }


def _body(request: Request, ctx: Ctx, head: Head, org: str | None) -> Markup:
    """The dashboard's content under ``head``: the same for every user who sees the same
    organisations."""
    data = dashboard_data(ctx, request.app.state.trend_cache, head, org)
    total = sum(data["heat"].values())
    svg = heat_map(
        data["heat"],
        rating=rating,
        fill=RATING_FILL,
        title=f"Open risks: {total}",
        description="Open risks by likelihood (rows) and severity (columns).",
    )
    return fragment(request, "_dashboard_body.html", heat_svg=svg, **data)


router = APIRouter()


@router.get("/", include_in_schema=False)
def dashboard(
    request: Request,
    ctx: Ctx = Depends(resolve),
    org: str | None = Query(default=None, max_length=100),
) -> Response:
    """The program dashboard (of one organisation with ``?org=``), computed once per state of
    the records."""
    head = audit_head(ctx.ws)
    parts: PartCache = request.app.state.parts
    chosen = org or None
    body = parts.get(("dashboard", head, chosen), lambda: _body(request, ctx, head, chosen))
    return render(request, "dashboard.html", ctx, body=body)

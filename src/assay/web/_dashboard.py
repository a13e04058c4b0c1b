"""The dashboard's KPI trends: the program KPIs of the last periods, one small chart each.

Periods are the policy's reporting periods (:func:`assay.policy.reporting_period`). Each period is
computed by :func:`assay.governance.compute_kpis` for that period. The reports
are cached per process, keyed by the period and the head of the audit chain with today's date
(:func:`assay.web._cache.audit_head`): any write adds an audit event, so a cached quarter is
never stale.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from assay.governance import KpiReport, Workspace, compute_kpis
from assay.policy import TREND_PERIODS, period_label, reporting_periods
from assay.web._cache import Head
from assay.web._charts import trend_svg

__all__ = ["TrendCache", "kpi_trends"]


class TrendCache:
    """KPI reports by (period, today, audit head); bounded, shared by the app's threads."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: dict[tuple[Any, ...], KpiReport] = {}
        self._lock = threading.Lock()

    def report(self, ws: Workspace, head: Head, start: dt.date, end: dt.date) -> KpiReport:
        """The KPIs of ``start``–``end``, computed once per state of the records (``head``)."""
        key = (start, end, head)
        with self._lock:
            hit = self._items.get(key)
        if hit is not None:
            return hit
        report = compute_kpis(ws, start, end)
        with self._lock:
            if len(self._items) >= self._size:
                self._items.clear()
            self._items[key] = report
        return report


def kpi_trends(
    ws: Workspace, cache: TrendCache, head: Head, n: int = TREND_PERIODS
) -> tuple[KpiReport, list[dict[str, Any]]]:
    """This period's KPI report, and for each KPI its values by period and their chart."""
    periods = reporting_periods(head.today, n)
    reports = [cache.report(ws, head, start, end) for start, end in periods]
    out: list[dict[str, Any]] = []
    for kpi in reports[-1].kpis:
        points = [(period_label(r.start), r.get(kpi.key).value) for r in reports]
        out.append({"kpi": kpi, "svg": trend_svg(kpi.name, kpi.unit, points), "points": points})
    return reports[-1], out

"""The dashboard's KPI trends: the program KPIs of the last quarters, one small chart each.

Each quarter is computed by :func:`assay.governance.compute_kpis` for that period. The reports
are cached per process, keyed by the period and the head of the audit chain with today's date
(:func:`assay.web._cache.audit_head`): any write adds an audit event, so a cached quarter is
never stale.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from assay.governance import KpiReport, Workspace, compute_kpis
from assay.web._cache import Head
from assay.web._charts import trend_svg

__all__ = ["QUARTERS", "TrendCache", "kpi_trends", "quarter_bounds", "quarters"]

QUARTERS = 4


def quarter_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar quarter containing ``today``.

    Examples
    --------
    >>> quarter_bounds(dt.date(2026, 11, 27))
    (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    """
    q0 = 3 * ((today.month - 1) // 3) + 1
    start = dt.date(today.year, q0, 1)
    end = dt.date(today.year + (q0 + 2) // 12, (q0 + 2) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarters(today: dt.date, n: int = QUARTERS) -> list[tuple[dt.date, dt.date]]:
    """The ``n`` calendar quarters up to the one containing ``today``, oldest first.

    Examples
    --------
    >>> [s.isoformat() for s, _ in quarters(dt.date(2026, 2, 3), 3)]
    ['2025-07-01', '2025-10-01', '2026-01-01']
    """
    out = [quarter_bounds(today)]
    while len(out) < n:
        out.append(quarter_bounds(out[-1][0] - dt.timedelta(days=1)))
    return out[::-1]


def _label(start: dt.date) -> str:
    return f"Q{(start.month - 1) // 3 + 1} {start.year % 100:02d}"


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
    ws: Workspace, cache: TrendCache, head: Head, n: int = QUARTERS
) -> tuple[KpiReport, list[dict[str, Any]]]:
    """This quarter's KPI report, and for each KPI its values by quarter and their chart."""
    periods = quarters(head.today, n)
    reports = [cache.report(ws, head, start, end) for start, end in periods]
    out: list[dict[str, Any]] = []
    for kpi in reports[-1].kpis:
        points = [(_label(r.start), r.get(kpi.key).value) for r in reports]
        out.append({"kpi": kpi, "svg": trend_svg(kpi.name, kpi.unit, points), "points": points})
    return reports[-1], out

"""Reporting periods: the program KPIs are reported by calendar quarter.

``assay kpis``, ``/api/kpis``, the dashboard, its trends and the demo all take their default period
from :func:`reporting_period`.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["TREND_PERIODS", "period_label", "reporting_period", "reporting_periods"]

#: How many periods the dashboard's trends show, the current one included.
TREND_PERIODS = 4


def reporting_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar quarter containing ``today``.

    >>> reporting_period(dt.date(2026, 11, 27))
    (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    """
    q0 = 3 * ((today.month - 1) // 3) + 1
    start = dt.date(today.year, q0, 1)
    end = dt.date(today.year + (q0 + 2) // 12, (q0 + 2) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def reporting_periods(today: dt.date, n: int = TREND_PERIODS) -> list[tuple[dt.date, dt.date]]:
    """The ``n`` periods up to the one containing ``today``, oldest first.

    >>> [s.isoformat() for s, _ in reporting_periods(dt.date(2026, 2, 3), 3)]
    ['2025-07-01', '2025-10-01', '2026-01-01']
    """
    out = [reporting_period(today)]
    while len(out) < n:
        out.append(reporting_period(out[-1][0] - dt.timedelta(days=1)))
    return out[::-1]


def period_label(start: dt.date) -> str:
    """A period's short name.

    >>> period_label(dt.date(2026, 10, 1))
    'Q4 26'
    """
    return f"Q{(start.month - 1) // 3 + 1} {start.year % 100:02d}"

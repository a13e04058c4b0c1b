"""One program KPI and the period it is measured over, with the two summaries (a percentage, a
median) the KPI families share."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from assay.governance._common import Record

__all__ = ["Kpi", "KpiPeriod", "median", "pct"]


@dataclass(frozen=True, slots=True)
class Kpi(Record):
    """One KPI: its value (None when nothing was measured), unit, sample size and target."""

    key: str
    name: str
    value: float | None
    unit: str
    n: int
    target: str
    definition: str


@dataclass(frozen=True)
class KpiPeriod:
    """The period, ``first`` to ``last`` inclusive, as UTC instants ``lo`` ≤ t < ``hi``, and when
    the KPIs are computed (``now``)."""

    first: dt.date
    last: dt.date
    lo: dt.datetime
    hi: dt.datetime
    now: dt.datetime

    @classmethod
    def of(cls, first: dt.date, last: dt.date, now: dt.datetime) -> KpiPeriod:
        """The period of the days ``first`` to ``last``, computed at ``now``."""
        lo = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return cls(first, last, lo, hi, now)

    @property
    def today(self) -> dt.date:
        """The day the KPIs are computed on."""
        return self.now.date()

    def inside(self, at: dt.datetime | None) -> bool:
        """Whether ``at`` falls in the period."""
        return at is not None and self.lo <= at < self.hi


def pct(hits: int, n: int) -> float | None:
    """``hits`` of ``n`` as a percentage (None when ``n`` is 0)."""
    return round(100.0 * hits / n, 2) if n else None


def median(values: Sequence[float]) -> float | None:
    """The median of ``values`` (None when there are none)."""
    return round(float(statistics.median(values)), 3) if values else None

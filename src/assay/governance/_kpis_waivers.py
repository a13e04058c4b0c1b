"""The waiver KPIs: waivers granted in the period, and the number and age of those in force at its
end."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.governance._kpi import Kpi, KpiPeriod, median
from assay.governance._scope import scope_clause
from assay.governance._waivers import ACTIVE_WAIVER_STATUSES
from assay.policy import WAIVER_AGING_DAYS, waiver_age_days, waiver_over_aged
from assay.store import tables

__all__ = ["waiver_kpis"]


def waiver_kpis(conn: Connection, period: KpiPeriod) -> list[Kpi]:
    """The waiver KPIs of the period, in the report's order."""
    w = tables.waivers.c
    granted = conn.execute(
        sa.select(sa.func.count()).where(
            w.granted_at >= period.lo,
            w.granted_at < period.hi,
            scope_clause(conn, tables.waivers),
        )
    ).scalar_one()
    return [
        Kpi(
            "waivers_granted",
            "Waivers granted",
            float(granted),
            "count",
            int(granted),
            "—",
            "Waivers first approved in the period.",
        ),
        *_aging(_active_ages(conn, period)),
    ]


def _active_ages(conn: Connection, period: KpiPeriod) -> list[int]:
    """The age in whole days, since first granted, of each waiver in force at period end."""
    w = tables.waivers.c
    end_of_period = min(period.hi, period.now)
    active = (
        conn.execute(
            sa.select(w.granted_at).where(
                w.status.in_(ACTIVE_WAIVER_STATUSES),
                w.granted_at.is_not(None),
                w.granted_at < end_of_period,
                w.expires_on >= end_of_period.date(),
                scope_clause(conn, tables.waivers),
            )
        )
        .scalars()
        .all()
    )
    # whole days as of the period's last day (or today), as the dashboard counts them
    as_of = min(period.last, period.now.date())
    return [waiver_age_days(g, g, as_of) for g in active]


def _aging(ages: list[int]) -> list[Kpi]:
    """Active waivers at period end: how many, their median age, and how many are over-aged."""
    aged = sum(1 for x in ages if waiver_over_aged(x))
    return [
        Kpi(
            "waivers_active",
            "Active waivers at period end",
            float(len(ages)),
            "count",
            len(ages),
            "—",
            "Waivers in force at the end of the period (not expired or revoked).",
        ),
        Kpi(
            "waiver_age_median",
            "Waiver aging (median)",
            median(ages),
            "days",
            len(ages),
            f"< {WAIVER_AGING_DAYS} days",
            "Median age in whole days, since first granted, of the waivers active at period end.",
        ),
        Kpi(
            "waivers_over_aged",
            f"Waivers {WAIVER_AGING_DAYS} days old or older",
            float(aged),
            "count",
            len(ages),
            "0",
            f"Active waivers at period end granted {WAIVER_AGING_DAYS} or more days before.",
        ),
    ]

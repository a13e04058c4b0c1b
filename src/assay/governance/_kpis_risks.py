"""The risk KPIs: critical risks found late in the lifecycle, and on-time closure of the
remediation actions that treat risks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.governance._kpi import Kpi, KpiPeriod, pct
from assay.governance._scope import scope_clause
from assay.policy import rating
from assay.store import tables

__all__ = ["risk_kpis"]

LATE_STAGES = ("validation", "production")


def risk_kpis(conn: Connection, period: KpiPeriod) -> list[Kpi]:
    """The risk KPIs of the period, in the report's order."""
    return [_late_critical(conn, period), _remediation_on_time(conn, period)]


def _late_critical(conn: Connection, period: KpiPeriod) -> Kpi:
    """Risks rated critical when found in validation or production during the period."""
    r = tables.risks.c
    late = 0
    for row in conn.execute(
        sa.select(r.inherent_likelihood, r.inherent_severity, r.found_stage).where(
            r.created_at >= period.lo,
            r.created_at < period.hi,
            scope_clause(conn, tables.risks),
        )
    ):
        if row[2] in LATE_STAGES and rating(row[0], row[1]) == "critical":
            late += 1
    return Kpi(
        "late_critical_findings",
        "Late critical findings",
        float(late),
        "count",
        late,
        "trending to 0",
        "Risks rated critical when found, found in the period while their system was in "
        "validation (final integration) or production.",
    )


def _remediation_on_time(conn: Connection, period: KpiPeriod) -> Kpi:
    """The share of actions due in the period that were closed by their due date."""
    a = tables.actions.c
    actions = conn.execute(
        sa.select(a.status, a.due_date, a.closed_at).where(
            a.due_date >= period.first,
            a.due_date <= period.last,
            a.status != "cancelled",
            scope_clause(conn, tables.actions),
        )
    ).all()
    counted = [x for x in actions if x[0] == "done" or x[1] < period.today]
    closed_ok = sum(
        1
        for status, due_on, closed in counted
        if status == "done" and closed is not None and closed.date() <= due_on
    )
    return Kpi(
        "remediation_closure_on_time",
        "Remediation closure SLA",
        pct(closed_ok, len(counted)),
        "%",
        len(counted),
        "≥ 80–90%",
        "Of actions due in the period (and past due, or done), the share closed with evidence "
        "on or before the due date. Cancelled actions are left out.",
    )

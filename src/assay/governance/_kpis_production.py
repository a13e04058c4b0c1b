"""The KPIs of systems in production: monitoring coverage, alert precision and incident
responsiveness."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.governance._kpi import Kpi, KpiPeriod, median, pct
from assay.governance._scope import scope_clause
from assay.store import tables

__all__ = ["incident_kpis", "monitoring_kpis"]


def monitoring_kpis(conn: Connection, period: KpiPeriod) -> list[Kpi]:
    """Monitoring coverage at period end and the precision of the alerts opened in the period."""
    return [_coverage(conn, period), _alert_precision(conn, period)]


def _coverage(conn: Connection, period: KpiPeriod) -> Kpi:
    """The share of systems in production with a monitoring specification by period end."""
    s = tables.ai_systems.c
    c = tables.system_components.c
    mon = tables.monitors.c
    production = conn.execute(
        sa.select(s.id, s.name).where(
            s.lifecycle_status == "production", scope_clause(conn, tables.ai_systems)
        )
    ).all()
    monitored = set(
        conn.execute(
            sa.select(c.system_id).where(c.kind == "monitoring", c.created_at < period.hi)
        ).scalars()
    )
    monitored_names = set(
        conn.execute(sa.select(mon.system).where(mon.created_at < period.hi)).scalars()
    )
    covered = sum(1 for sid, name in production if sid in monitored or name in monitored_names)
    return Kpi(
        "monitoring_coverage",
        "Monitoring coverage",
        pct(covered, len(production)),
        "%",
        len(production),
        "≥ 70%, mature ≥ 90%",
        "Of systems in production, the share with a monitoring specification (metrics and "
        "alerts: a monitor run by `assay monitor`, or a monitoring component) recorded by "
        "the end of the period.",
    )


def _alert_precision(conn: Connection, period: KpiPeriod) -> Kpi:
    """The share of acknowledged alerts opened in the period that were meaningful."""
    al = tables.monitor_alerts.c
    verdicts = (
        conn.execute(
            sa.select(al.verdict).where(
                al.opened_at >= period.lo,
                al.opened_at < period.hi,
                al.verdict.is_not(None),
                scope_clause(conn, tables.monitor_alerts),
            )
        )
        .scalars()
        .all()
    )
    meaningful = sum(1 for v in verdicts if v == "meaningful")
    return Kpi(
        "alert_precision",
        "Alert precision",
        pct(meaningful, len(verdicts)),
        "%",
        len(verdicts),
        "≥ 60–80%",
        "Of monitoring alerts opened in the period and acknowledged, the share marked "
        "meaningful (the rest: noise).",
    )


def incident_kpis(conn: Connection, period: KpiPeriod) -> list[Kpi]:
    """How fast incidents detected in the period got their first evidence bundle."""
    i = tables.incidents.c
    incidents = conn.execute(
        sa.select(i.detected_at, i.first_bundle_at).where(
            i.detected_at >= period.lo,
            i.detected_at < period.hi,
            scope_clause(conn, tables.incidents),
        )
    ).all()
    hours = [(b - d).total_seconds() / 3600 for d, b in incidents if b is not None]
    due_incidents = [
        (d, b) for d, b in incidents if b is not None or period.now - d > dt.timedelta(hours=24)
    ]
    same_day = sum(1 for d, b in due_incidents if b is not None and b - d <= dt.timedelta(hours=24))
    return [
        Kpi(
            "incident_first_bundle",
            "Incident responsiveness (median)",
            median(hours),
            "hours",
            len(hours),
            "same day",
            "Median hours from detection to the first evidence bundle, for incidents detected "
            "in the period.",
        ),
        Kpi(
            "incident_bundle_same_day",
            "Incidents bundled within 24 h",
            pct(same_day, len(due_incidents)),
            "%",
            len(due_incidents),
            "100%",
            "Of incidents detected in the period (bundled, or detected more than 24 h ago), the "
            "share with an evidence bundle within 24 hours of detection.",
        ),
    ]

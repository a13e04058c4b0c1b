"""Program KPIs for any period, computed from the records and their transition history.

Counts of events in a period (packets delivered, decisions, triage, waivers granted) come from
timestamps written when the event happened (review transitions, ``granted_at``, ``closed_at``),
so a quarter's numbers do not change when records move on later. Monitoring coverage and waiver
aging describe the state at the end of the period from current statuses.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.errors import InputError
from assay.governance._common import Record, business_days_between, check_date
from assay.governance._reviews import REVIEW_STATUSES
from assay.governance._risks import OPEN_STATUSES, current_scores_sql
from assay.governance._waivers import ACTIVE_WAIVER_STATUSES, open_waiver_filter
from assay.policy import (
    RESERVED_KINDS,
    WAIVER_AGE_BANDS,
    WAIVER_AGING_DAYS,
    minimum_percent,
    rating,
    waiver_age_band,
    waiver_age_days,
    waiver_over_aged,
)
from assay.store import tables, to_jsonable

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = ["Kpi", "KpiReport", "ProgramStatus", "compute_kpis", "program_status"]

LATE_STAGES = ("validation", "production")


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


@dataclass(frozen=True, slots=True)
class KpiReport(Record):
    """The KPIs of one period, ``start`` to ``end`` inclusive."""

    start: dt.date
    end: dt.date
    computed_at: dt.datetime
    kpis: tuple[Kpi, ...]

    def get(self, key: str) -> Kpi:
        """One KPI by key."""
        for k in self.kpis:
            if k.key == key:
                return k
        raise KeyError(key)

    def to_csv(self) -> str:
        """The KPIs as CSV: key, name, value, unit, n, target, period."""
        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(["key", "name", "value", "unit", "n", "target", "start", "end"])
        for k in self.kpis:
            writer.writerow(
                [
                    k.key,
                    k.name,
                    "" if k.value is None else k.value,
                    k.unit,
                    k.n,
                    k.target,
                    self.start.isoformat(),
                    self.end.isoformat(),
                ]
            )
        return sink.getvalue()


def _pct(hits: int, n: int) -> float | None:
    return round(100.0 * hits / n, 2) if n else None


def _median(values: Sequence[float]) -> float | None:
    return round(float(statistics.median(values)), 3) if values else None


def _first_transitions(conn: Connection, to_status: str) -> dict[int, dt.datetime]:
    t = tables.review_transitions.c
    rows = conn.execute(
        sa.select(t.review_id, sa.func.min(t.at))
        .where(t.to_status == to_status)
        .group_by(t.review_id)
    ).all()
    out: dict[int, dt.datetime] = {}
    for review_id, at in rows:
        # min() over a TypeDecorator column comes back untyped on some dialects.
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        out[review_id] = at.astimezone(dt.UTC)
    return out


def _ready_steps(conn: Connection) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """Each step to ready_for_review (review id in the readiness), oldest first, with the packet
    figures kept with it (see :func:`assay.governance.advance_review`)."""
    t = tables.review_transitions.c
    out = []
    rows = conn.execute(
        sa.select(t.review_id, t.at, t.details)
        .where(t.to_status == "ready_for_review")
        .order_by(t.at, t.id)
    ).all()
    for review_id, at, details in rows:
        readiness = details.get("readiness") if isinstance(details, dict) else None
        kept = dict(readiness) if isinstance(readiness, dict) else {}
        out.append((at, {**kept, "review_id": review_id}))
    return out


def _first_complete(steps: list[tuple[dt.datetime, dict[str, Any]]]) -> dict[int, dt.datetime]:
    """When each review first became ready with a packet meeting the completeness minimum."""
    out: dict[int, dt.datetime] = {}
    for at, readiness in steps:
        if readiness.get("passes") is True and not readiness.get("acknowledged"):
            out.setdefault(int(readiness["review_id"]), at)
    return out


def compute_kpis(ws: Workspace, start: dt.date | str, end: dt.date | str) -> KpiReport:
    """Compute the program KPIs for ``start`` to ``end`` (inclusive dates, UTC).

    Parameters
    ----------
    ws
        The workspace.
    start, end
        The period, as dates or ``YYYY-MM-DD``.

    Returns
    -------
    KpiReport
        The KPIs of USERS.md's table that Assay's records support, each with its definition.
    """
    first = check_date(start, what="start date")
    last = check_date(end, what="end date")
    assert first is not None and last is not None
    if last < first:
        raise InputError(f"The period ends ({last}) before it starts ({first}).")
    lo = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    now = ws.now()
    today = now.date()
    kpis: list[Kpi] = []

    def add(
        key: str, name: str, value: float | None, unit: str, n: int, target: str, definition: str
    ) -> None:
        kpis.append(Kpi(key, name, value, unit, n, target, definition))

    def in_period(at: dt.datetime | None) -> bool:
        return at is not None and lo <= at < hi

    with ws.store.read(snapshot=True) as conn:
        t = tables.review_transitions.c
        rv = tables.reviews.c
        # Only the columns used below: the questionnaire answers are large JSON documents.
        reviews = {
            r["id"]: r
            for r in conn.execute(
                sa.select(rv.id, rv.due_date, rv.status, rv.created_at)
            ).mappings()
        }
        opened = _first_transitions(conn, "intake")
        triaged = _first_transitions(conn, "triaged")
        ready = _first_transitions(conn, "ready_for_review")
        readiness = _ready_steps(conn)
        complete_at = _first_complete(readiness)

        delivered = [rid for rid, at in ready.items() if in_period(at)]
        add(
            "reviews_completed",
            "Reviews completed",
            float(len(delivered)),
            "count",
            len(delivered),
            "4–10 per analyst per month",
            "Review packets delivered: reviews that first reached ready_for_review in the period.",
        )

        decided = conn.execute(
            sa.select(sa.func.count()).where(
                t.to_status.in_(("approved", "approved_with_conditions", "rejected")),
                t.at >= lo,
                t.at < hi,
            )
        ).scalar_one()
        add(
            "reviews_decided",
            "Reviews decided",
            float(decided),
            "count",
            int(decided),
            "—",
            "Decisions recorded in the period: approved, approved with conditions or rejected.",
        )

        due = [
            r
            for r in reviews.values()
            if r["due_date"] is not None
            and first <= r["due_date"] <= last
            and r["status"] != "withdrawn"
            and (r["id"] in ready or r["due_date"] < today)
        ]
        on_time = sum(
            1
            for r in due
            if r["id"] in complete_at and complete_at[r["id"]].date() <= r["due_date"]
        )
        add(
            "on_time_readiness",
            "On-time review readiness",
            _pct(on_time, len(due)),
            "%",
            len(due),
            "≥ 90%",
            "Of reviews whose agreed checkpoint date falls in the period (and has passed, or "
            "that are ready), the share ready for review on or before that date with a packet "
            "that meets the policy's completeness minimum. A review moved on below the minimum "
            "(acknowledged as incomplete) is not ready.",
        )

        pcts = [
            float(r["score"])
            for at, r in readiness
            if in_period(at) and isinstance(r.get("score"), int | float)
        ]
        add(
            "evidence_completeness",
            "Evidence completeness",
            round(statistics.fmean(pcts), 2) if pcts else None,
            "%",
            len(pcts),
            f"≥ {minimum_percent(ws.policy.minimum_completeness):g}% (the policy's minimum)",
            "Mean completeness of the packets reviews were submitted for review with in the "
            "period, as frozen in each packet (assay completeness REV-N, against the policy).",
        )

        outcomes = (
            conn.execute(
                sa.select(t.to_status).where(
                    t.from_status == "ready_for_review", t.at >= lo, t.at < hi
                )
            )
            .scalars()
            .all()
        )
        returned = sum(1 for s in outcomes if s == "returned_for_rework")
        add(
            "rework_rate",
            "Rework rate",
            _pct(returned, len(outcomes)),
            "%",
            len(outcomes),
            "≤ 15%",
            "Of packets decided on in the period, the share returned for rework.",
        )

        triage_times = [
            business_days_between(opened.get(rid, reviews[rid]["created_at"]), at)
            for rid, at in triaged.items()
            if in_period(at) and rid in reviews
        ]
        add(
            "time_to_triage",
            "Time to triage (median)",
            _median(triage_times),
            "business days",
            len(triage_times),
            "1–3 business days",
            "Median business days from intake request to triage (tier, owner and due date set), "
            "for reviews triaged in the period.",
        )

        cycles = [
            (ready[rid] - triaged[rid]).total_seconds() / 86400
            for rid in delivered
            if rid in triaged
        ]
        add(
            "cycle_time",
            "Cycle time (median)",
            _median(cycles),
            "days",
            len(cycles),
            "2–4 weeks, trending down",
            "Median days from triage (scoped start) to first ready for review, for packets "
            "delivered in the period.",
        )

        r = tables.risks.c
        late = 0
        for row in conn.execute(
            sa.select(r.inherent_likelihood, r.inherent_severity, r.found_stage).where(
                r.created_at >= lo, r.created_at < hi
            )
        ):
            if row[2] in LATE_STAGES and rating(row[0], row[1]) == "critical":
                late += 1
        add(
            "late_critical_findings",
            "Late critical findings",
            float(late),
            "count",
            late,
            "trending to 0",
            "Risks rated critical when found, found in the period while their system was in "
            "validation (final integration) or production.",
        )

        a = tables.actions.c
        actions = conn.execute(
            sa.select(a.status, a.due_date, a.closed_at).where(
                a.due_date >= first, a.due_date <= last, a.status != "cancelled"
            )
        ).all()
        counted = [x for x in actions if x[0] == "done" or x[1] < today]
        closed_ok = sum(
            1
            for status, due_on, closed in counted
            if status == "done" and closed is not None and closed.date() <= due_on
        )
        add(
            "remediation_closure_on_time",
            "Remediation closure SLA",
            _pct(closed_ok, len(counted)),
            "%",
            len(counted),
            "≥ 80–90%",
            "Of actions due in the period (and past due, or done), the share closed with evidence "
            "on or before the due date. Cancelled actions are left out.",
        )

        w = tables.waivers.c
        granted = conn.execute(
            sa.select(sa.func.count()).where(w.granted_at >= lo, w.granted_at < hi)
        ).scalar_one()
        add(
            "waivers_granted",
            "Waivers granted",
            float(granted),
            "count",
            int(granted),
            "—",
            "Waivers first approved in the period.",
        )
        end_of_period = min(hi, now)
        active = (
            conn.execute(
                sa.select(w.granted_at).where(
                    w.status.in_(ACTIVE_WAIVER_STATUSES),
                    w.granted_at.is_not(None),
                    w.granted_at < end_of_period,
                    w.expires_on >= end_of_period.date(),
                )
            )
            .scalars()
            .all()
        )
        # whole days as of the period's last day (or today), as the dashboard counts them
        as_of = min(last, now.date())
        ages = [waiver_age_days(g, g, as_of) for g in active]
        add(
            "waivers_active",
            "Active waivers at period end",
            float(len(ages)),
            "count",
            len(ages),
            "—",
            "Waivers in force at the end of the period (not expired or revoked).",
        )
        add(
            "waiver_age_median",
            "Waiver aging (median)",
            _median(ages),
            "days",
            len(ages),
            f"< {WAIVER_AGING_DAYS} days",
            "Median age in whole days, since first granted, of the waivers active at period end.",
        )
        aged = sum(1 for x in ages if waiver_over_aged(x))
        add(
            "waivers_over_aged",
            f"Waivers {WAIVER_AGING_DAYS} days old or older",
            float(aged),
            "count",
            len(ages),
            "0",
            f"Active waivers at period end granted {WAIVER_AGING_DAYS} or more days before.",
        )

        s = tables.ai_systems.c
        c = tables.system_components.c
        mon = tables.monitors.c
        production = conn.execute(
            sa.select(s.id, s.name).where(s.lifecycle_status == "production")
        ).all()
        monitored = set(
            conn.execute(
                sa.select(c.system_id).where(c.kind == "monitoring", c.created_at < hi)
            ).scalars()
        )
        monitored_names = set(
            conn.execute(sa.select(mon.system).where(mon.created_at < hi)).scalars()
        )
        covered = sum(1 for sid, name in production if sid in monitored or name in monitored_names)
        add(
            "monitoring_coverage",
            "Monitoring coverage",
            _pct(covered, len(production)),
            "%",
            len(production),
            "≥ 70%, mature ≥ 90%",
            "Of systems in production, the share with a monitoring specification (metrics and "
            "alerts: a monitor run by `assay monitor`, or a monitoring component) recorded by "
            "the end of the period.",
        )

        al = tables.monitor_alerts.c
        verdicts = (
            conn.execute(
                sa.select(al.verdict).where(
                    al.opened_at >= lo, al.opened_at < hi, al.verdict.is_not(None)
                )
            )
            .scalars()
            .all()
        )
        meaningful = sum(1 for v in verdicts if v == "meaningful")
        add(
            "alert_precision",
            "Alert precision",
            _pct(meaningful, len(verdicts)),
            "%",
            len(verdicts),
            "≥ 60–80%",
            "Of monitoring alerts opened in the period and acknowledged, the share marked "
            "meaningful (the rest: noise).",
        )

        i = tables.incidents.c
        incidents = conn.execute(
            sa.select(i.detected_at, i.first_bundle_at).where(
                i.detected_at >= lo, i.detected_at < hi
            )
        ).all()
        hours = [(b - d).total_seconds() / 3600 for d, b in incidents if b is not None]
        due_incidents = [
            (d, b) for d, b in incidents if b is not None or now - d > dt.timedelta(hours=24)
        ]
        same_day = sum(
            1 for d, b in due_incidents if b is not None and b - d <= dt.timedelta(hours=24)
        )
        add(
            "incident_first_bundle",
            "Incident responsiveness (median)",
            _median(hours),
            "hours",
            len(hours),
            "same day",
            "Median hours from detection to the first evidence bundle, for incidents detected "
            "in the period.",
        )
        add(
            "incident_bundle_same_day",
            "Incidents bundled within 24 h",
            _pct(same_day, len(due_incidents)),
            "%",
            len(due_incidents),
            "100%",
            "Of incidents detected in the period (bundled, or detected more than 24 h ago), the "
            "share with an evidence bundle within 24 hours of detection.",
        )

        e = tables.evidence.c
        traced = sa.and_(
            e.model_version_id.is_not(None),
            sa.or_(e.dataset_version_id.is_not(None), e.dataset_digest.is_not(None)),
            e.code_commit.is_not(None),
        )
        total, linked = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((traced, 1), else_=0)), 0),
            ).where(e.created_at >= lo, e.created_at < hi, e.kind.not_in(RESERVED_KINDS))
        ).one()
        add(
            "evidence_traceability",
            "Documentation traceability",
            _pct(int(linked), int(total)),
            "%",
            int(total),
            "≥ 90–95%",
            "Of evidence recorded in the period, the share linked to a model version, a dataset "
            "(version or digest) and a code commit. Records Assay derives from others (review "
            "packets, gate decisions, incident bundles, reports) are left out.",
        )
    return KpiReport(start=first, end=last, computed_at=now, kpis=tuple(kpis))


def kpi_rows(report: KpiReport) -> list[dict[str, Any]]:
    """The KPIs as plain rows (for tables)."""
    return [
        {
            "name": k.name,
            "value": k.value,
            "unit": k.unit,
            "n": k.n,
            "target": k.target,
            "key": k.key,
            "period": f"{to_jsonable(report.start)}..{to_jsonable(report.end)}",
        }
        for k in report.kpis
    ]


@dataclass(frozen=True, slots=True)
class ProgramStatus(Record):
    """The program as it stands today, counted in the database: what the dashboard shows
    besides the KPIs.

    ``reviews_by_stage`` has every review status in pipeline order; ``risk_heat`` holds
    ``(likelihood, severity, count)`` for each cell of the 5×5 matrix with open risks (residual
    scores where set); ``open_waivers_by_age`` counts waivers not rejected, revoked or expired by
    days since they were requested, in :data:`WAIVER_AGE_BANDS`.
    """

    today: dt.date
    systems: int
    reviews_by_stage: tuple[tuple[str, int], ...]
    open_risks: int
    risk_heat: tuple[tuple[int, int, int], ...]
    open_waivers_by_age: tuple[tuple[str, int], ...]
    overdue_actions: int

    def heat_counts(self) -> dict[tuple[int, int], int]:
        """Open risks per (likelihood, severity)."""
        return {(like, sev): n for like, sev, n in self.risk_heat}


def program_status(ws: Workspace) -> ProgramStatus:
    """Count systems, reviews by stage, open risks by cell, open waivers by age and overdue actions.

    Each is one aggregate query, so the cost does not grow with the number of records shown.

    Parameters
    ----------
    ws
        The workspace.

    Returns
    -------
    ProgramStatus
        The counts as of ``ws.today()``.
    """
    today = ws.today()
    r = tables.risks.c
    like, sev = current_scores_sql()
    w = tables.waivers.c
    a = tables.actions.c
    with ws.store.read(snapshot=True) as conn:
        systems = conn.execute(
            sa.select(sa.func.count()).select_from(tables.ai_systems)
        ).scalar_one()
        rv = tables.reviews.c
        stages = {
            str(status): int(n)
            for status, n in conn.execute(sa.select(rv.status, sa.func.count()).group_by(rv.status))
        }
        heat = sorted(
            (int(lk), int(sv), int(n))
            for lk, sv, n in conn.execute(
                sa.select(like, sev, sa.func.count())
                .where(r.status.in_(OPEN_STATUSES))
                .group_by(like, sev)
            )
        )
        opened = conn.execute(
            sa.select(w.created_at, w.granted_at).where(open_waiver_filter(today))
        ).all()
        overdue = conn.execute(
            sa.select(sa.func.count()).where(
                a.status.in_(("open", "in_progress")), a.due_date < today
            )
        ).scalar_one()
    ages = dict.fromkeys((label for _, label in WAIVER_AGE_BANDS), 0)
    for created, granted in opened:
        ages[waiver_age_band(waiver_age_days(created, granted, today))] += 1
    return ProgramStatus(
        today=today,
        systems=int(systems),
        reviews_by_stage=tuple((s, stages.get(s, 0)) for s in REVIEW_STATUSES),
        open_risks=sum(n for _, _, n in heat),
        risk_heat=tuple(heat),
        open_waivers_by_age=tuple(ages.items()),
        overdue_actions=int(overdue),
    )

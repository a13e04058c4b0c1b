"""The review KPIs: packets delivered and decided, on-time readiness, evidence completeness, rework,
time to triage and cycle time, all from the reviews' transition history."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.governance._common import business_days_between
from assay.governance._kpi import Kpi, KpiPeriod, median, pct
from assay.governance._scope import scope_clause
from assay.policy import minimum_percent
from assay.store import tables

__all__ = ["review_kpis"]


def _first_transitions(conn: Connection, to_status: str) -> dict[int, dt.datetime]:
    t = tables.review_transitions.c
    rows = conn.execute(
        sa.select(t.review_id, sa.func.min(t.at))
        .where(t.to_status == to_status, scope_clause(conn, tables.review_transitions))
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
        .where(t.to_status == "ready_for_review", scope_clause(conn, tables.review_transitions))
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


@dataclass(frozen=True)
class _History:
    """The reviews and when each first reached a stage, read once for every review KPI."""

    reviews: dict[int, RowMapping]
    opened: dict[int, dt.datetime]
    triaged: dict[int, dt.datetime]
    ready: dict[int, dt.datetime]
    readiness: list[tuple[dt.datetime, dict[str, Any]]]
    complete_at: dict[int, dt.datetime]

    def delivered(self, period: KpiPeriod) -> list[int]:
        """The reviews that first reached ready_for_review in the period."""
        return [rid for rid, at in self.ready.items() if period.inside(at)]


def _history(conn: Connection) -> _History:
    """Read the reviews' transition history."""
    rv = tables.reviews.c
    # Only the columns used below: the questionnaire answers are large JSON documents.
    reviews = {
        r["id"]: r
        for r in conn.execute(
            sa.select(rv.id, rv.due_date, rv.status, rv.created_at).where(
                scope_clause(conn, tables.reviews)
            )
        ).mappings()
    }
    opened = _first_transitions(conn, "intake")
    triaged = _first_transitions(conn, "triaged")
    ready = _first_transitions(conn, "ready_for_review")
    readiness = _ready_steps(conn)
    return _History(reviews, opened, triaged, ready, readiness, _first_complete(readiness))


def review_kpis(conn: Connection, period: KpiPeriod, minimum_completeness: float) -> list[Kpi]:
    """The review KPIs of the period, in the report's order."""
    history = _history(conn)
    return [
        *_throughput(conn, period, history),
        *_readiness(period, history, minimum_completeness),
        _rework(conn, period),
        *_durations(period, history),
    ]


def _throughput(conn: Connection, period: KpiPeriod, history: _History) -> list[Kpi]:
    """Reviews completed (packets delivered) and reviews decided in the period."""
    t = tables.review_transitions.c
    delivered = history.delivered(period)
    decided = conn.execute(
        sa.select(sa.func.count()).where(
            t.to_status.in_(("approved", "approved_with_conditions", "rejected")),
            t.at >= period.lo,
            t.at < period.hi,
            scope_clause(conn, tables.review_transitions),
        )
    ).scalar_one()
    return [
        Kpi(
            "reviews_completed",
            "Reviews completed",
            float(len(delivered)),
            "count",
            len(delivered),
            "4–10 per analyst per month",
            "Review packets delivered: reviews that first reached ready_for_review in the period.",
        ),
        Kpi(
            "reviews_decided",
            "Reviews decided",
            float(decided),
            "count",
            int(decided),
            "—",
            "Decisions recorded in the period: approved, approved with conditions or rejected.",
        ),
    ]


def _readiness(period: KpiPeriod, history: _History, minimum_completeness: float) -> list[Kpi]:
    """On-time review readiness and the completeness of the packets submitted in the period."""
    due = [
        r
        for r in history.reviews.values()
        if r["due_date"] is not None
        and period.first <= r["due_date"] <= period.last
        and r["status"] != "withdrawn"
        and (r["id"] in history.ready or r["due_date"] < period.today)
    ]
    complete_at = history.complete_at
    on_time = sum(
        1 for r in due if r["id"] in complete_at and complete_at[r["id"]].date() <= r["due_date"]
    )
    pcts = [
        float(r["score"])
        for at, r in history.readiness
        if period.inside(at) and isinstance(r.get("score"), int | float)
    ]
    return [
        Kpi(
            "on_time_readiness",
            "On-time review readiness",
            pct(on_time, len(due)),
            "%",
            len(due),
            "≥ 90%",
            "Of reviews whose agreed checkpoint date falls in the period (and has passed, or "
            "that are ready), the share ready for review on or before that date with a packet "
            "that meets the policy's completeness minimum. A review moved on below the minimum "
            "(acknowledged as incomplete) is not ready.",
        ),
        Kpi(
            "evidence_completeness",
            "Evidence completeness",
            round(statistics.fmean(pcts), 2) if pcts else None,
            "%",
            len(pcts),
            f"≥ {minimum_percent(minimum_completeness):g}% (the policy's minimum)",
            "Mean completeness of the packets reviews were submitted for review with in the "
            "period, as frozen in each packet (assay completeness REV-N, against the policy).",
        ),
    ]


def _rework(conn: Connection, period: KpiPeriod) -> Kpi:
    """The share of packets decided on in the period that were returned for rework."""
    t = tables.review_transitions.c
    outcomes = (
        conn.execute(
            sa.select(t.to_status).where(
                t.from_status == "ready_for_review",
                t.at >= period.lo,
                t.at < period.hi,
                scope_clause(conn, tables.review_transitions),
            )
        )
        .scalars()
        .all()
    )
    returned = sum(1 for s in outcomes if s == "returned_for_rework")
    return Kpi(
        "rework_rate",
        "Rework rate",
        pct(returned, len(outcomes)),
        "%",
        len(outcomes),
        "≤ 15%",
        "Of packets decided on in the period, the share returned for rework.",
    )


def _durations(period: KpiPeriod, history: _History) -> list[Kpi]:
    """Time to triage and cycle time (triage to first ready for review), as medians."""
    reviews, opened, triaged, ready = (
        history.reviews,
        history.opened,
        history.triaged,
        history.ready,
    )
    triage_times = [
        business_days_between(opened.get(rid, reviews[rid]["created_at"]), at)
        for rid, at in triaged.items()
        if period.inside(at) and rid in reviews
    ]
    cycles = [
        (ready[rid] - triaged[rid]).total_seconds() / 86400
        for rid in history.delivered(period)
        if rid in triaged
    ]
    return [
        Kpi(
            "time_to_triage",
            "Time to triage (median)",
            median(triage_times),
            "business days",
            len(triage_times),
            "1–3 business days",
            "Median business days from intake request to triage (tier, owner and due date set), "
            "for reviews triaged in the period.",
        ),
        Kpi(
            "cycle_time",
            "Cycle time (median)",
            median(cycles),
            "days",
            len(cycles),
            "2–4 weeks, trending down",
            "Median days from triage (scoped start) to first ready for review, for packets "
            "delivered in the period.",
        ),
    ]

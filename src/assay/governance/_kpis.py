"""Program KPIs for any period, computed from the records and their transition history.

Counts of events in a period (packets delivered, decisions, triage, waivers granted) come from
timestamps written when the event happened (review transitions, ``granted_at``, ``closed_at``),
so a quarter's numbers do not change when records move on later. Monitoring coverage and waiver
aging describe the state at the end of the period from current statuses. Each family of KPIs is
computed in a module of its own (``_kpis_reviews``, ``_kpis_risks``, ``_kpis_waivers``,
``_kpis_production``, ``_kpis_evidence``); this one puts them in the report's order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from assay.errors import InputError
from assay.governance._common import Record, check_date
from assay.governance._kpi import Kpi, KpiPeriod
from assay.governance._kpis_evidence import traceability_kpi
from assay.governance._kpis_production import incident_kpis, monitoring_kpis
from assay.governance._kpis_reviews import review_kpis
from assay.governance._kpis_risks import risk_kpis
from assay.governance._kpis_waivers import waiver_kpis
from assay.governance._reviews import REVIEW_STATUSES
from assay.governance._risks import OPEN_STATUSES, current_scores_sql
from assay.governance._scope import narrowed, scope_clause
from assay.governance._waivers import open_waiver_filter
from assay.policy import WAIVER_AGE_BANDS, waiver_age_band, waiver_age_days
from assay.store import tables, to_jsonable

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = ["Kpi", "KpiReport", "ProgramStatus", "compute_kpis", "program_status"]


@dataclass(frozen=True, slots=True)
class KpiReport(Record):
    """The KPIs of one period, ``start`` to ``end`` inclusive."""

    start: dt.date
    end: dt.date
    computed_at: dt.datetime
    kpis: tuple[Kpi, ...]
    org: str | None = None
    """The organisation the KPIs are of; None: every one the reader sees (the programme)."""

    def get(self, key: str) -> Kpi:
        """One KPI by key."""
        for k in self.kpis:
            if k.key == key:
                return k
        raise KeyError(key)

    def _repr_html_(self) -> str:
        """The KPIs as the reports' table, for Jupyter."""
        from assay.render import environment, house_css
        from assay.result import notebook_html

        page = environment().from_string(_KPI_PAGE).render(report=self, css=house_css())
        return notebook_html(page, height=f"{8 + 2.2 * len(self.kpis):.0f}em")

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


_KPI_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>KPIs</title>
<style>{{ css }}</style></head><body><div class="page">
<h2>Program KPIs {{ report.start }} to {{ report.end }}</h2>
<table><thead><tr><th>KPI</th><th class="num">value</th><th class="num">n</th><th>target</th>
</tr></thead><tbody>{% for k in report.kpis %}<tr><td title="{{ k.definition }}">{{ k.name }}</td>
<td class="num">{{ "—" if k.value is none else "%g" | format(k.value) }}{{ "" if k.value is none
or k.unit == "count" else (k.unit if k.unit == "%" else " " ~ k.unit) }}</td>
<td class="num">{{ k.n }}</td><td>{{ k.target }}</td></tr>{% endfor %}</tbody></table>
</div></body></html>"""


def compute_kpis(
    ws: Workspace, start: dt.date | str, end: dt.date | str, *, org: str | None = None
) -> KpiReport:
    """Compute the program KPIs for ``start`` to ``end`` (inclusive dates, UTC).

    Parameters
    ----------
    ws
        The workspace.
    start, end
        The period, as dates or ``YYYY-MM-DD``.
    org
        One organisation's KPIs; default: the whole programme (every organisation the user
        sees), computed by the same queries on a wider scope.

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
    period = KpiPeriod.of(first, last, ws.now())
    store = ws.store if org is None else narrowed(ws.store, org)
    with store.read(snapshot=True) as conn:
        kpis = [
            *review_kpis(conn, period, ws.policy.minimum_completeness),
            *risk_kpis(conn, period),
            *waiver_kpis(conn, period),
            *monitoring_kpis(conn, period),
            *incident_kpis(conn, period),
            traceability_kpi(conn, period),
        ]
    return KpiReport(start=first, end=last, computed_at=period.now, kpis=tuple(kpis), org=org)


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


def program_status(ws: Workspace, *, org: str | None = None) -> ProgramStatus:
    """Count systems, reviews by stage, open risks by cell, open waivers by age and overdue actions.

    Each is one aggregate query, so the cost does not grow with the number of records shown.

    Parameters
    ----------
    ws
        The workspace.
    org
        One organisation's counts; default: every organisation the user sees.

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
    store = ws.store if org is None else narrowed(ws.store, org)
    with store.read(snapshot=True) as conn:
        systems = conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.ai_systems)
            .where(scope_clause(conn, tables.ai_systems))
        ).scalar_one()
        rv = tables.reviews.c
        by_stage = sa.select(rv.status, sa.func.count()).where(scope_clause(conn, tables.reviews))
        stages = {str(status): int(n) for status, n in conn.execute(by_stage.group_by(rv.status))}
        heat = sorted(
            (int(lk), int(sv), int(n))
            for lk, sv, n in conn.execute(
                sa.select(like, sev, sa.func.count())
                .where(r.status.in_(OPEN_STATUSES), scope_clause(conn, tables.risks))
                .group_by(like, sev)
            )
        )
        opened = conn.execute(
            sa.select(w.created_at, w.granted_at).where(
                open_waiver_filter(today), scope_clause(conn, tables.waivers)
            )
        ).all()
        overdue = conn.execute(
            sa.select(sa.func.count()).where(
                a.status.in_(("open", "in_progress")),
                a.due_date < today,
                scope_clause(conn, tables.actions),
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

"""The program report for a period (a quarter): the KPIs, recurring risk themes, remediation cycle
times, waivers granted and their aging, and incident trends — all computed from records."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assay import render as rendering
from assay.documents._doc import Badge, Block, Cell, Document, Figure, Para, Section, Table
from assay.documents._gather import short_date
from assay.policy import WAIVER_AGING_DAYS, waiver_over_aged

if TYPE_CHECKING:
    from assay.governance import Action, Incident, KpiReport, Risk, Waiver, Workspace

__all__ = ["build_program_report"]


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f} {unit}"


def _day(value: dt.datetime) -> dt.date:
    return value.astimezone(dt.UTC).date()


def build_program_report(ws: Workspace, start: dt.date | str, end: dt.date | str) -> Document:
    """Build the program report of a period from the workspace's records.

    Parameters
    ----------
    ws
        The workspace.
    start, end
        The period, inclusive, as dates or ``YYYY-MM-DD``.

    Returns
    -------
    Document
        KPIs with targets, risk themes, remediation, waivers, incidents.
    """
    from assay.governance import (
        compute_kpis,
        list_actions,
        list_incidents,
        list_risks,
        list_waivers,
    )

    report = compute_kpis(ws, start, end)
    period = _Period(report.start, report.end)
    new_risks = [r for r in list_risks(ws) if period.inside(r.created_at)]
    themes = Counter(_theme(r) for r in new_risks)
    remediation = _remediation(list_actions(ws), period, ws)
    waivers = _waivers(list_waivers(ws), period, ws)
    incidents = [i for i in list_incidents(ws) if period.inside(i.detected_at)]
    first, last = period.first, period.last
    return Document(
        kind="program_report",
        title=f"Responsible AI program report: {first} to {last}",
        eyebrow="Responsible AI assurance · Program report",
        subtitle="KPIs, risk themes, remediation, waivers and incidents, computed from records",
        meta=(
            ("Period", f"{first} – {last}"),
            ("Computed", short_date(report.computed_at)),
            ("Risks found", str(len(new_risks))),
            ("Incidents", str(len(incidents))),
        ),
        sections=(
            _kpi_section(report),
            Section("risk-themes", "Recurring risk themes", _themes(new_risks, themes)),
            Section("remediation", "Remediation cycle times", remediation),
            Section("waivers", "Waivers granted and aging", waivers),
            Section("incidents", "Incident trends", _incidents(incidents)),
        ),
        data={"kpis": report.to_dict(), "risk_themes": dict(themes)},
        footer=f"Program report {first} – {last}",
    )


@dataclass(frozen=True)
class _Period:
    """The reporting period, both days included."""

    first: dt.date
    last: dt.date

    def inside(self, value: dt.datetime | None) -> bool:
        return value is not None and self.first <= _day(value) <= self.last


def _theme(risk: Risk) -> str:
    return f"{risk.category} {risk.category_name}"


def _kpi_section(report: KpiReport) -> Section:
    kpi_rows: list[tuple[Cell, ...]] = [
        (k.name, _value(k.value, k.unit), k.n, k.target, k.definition) for k in report.kpis
    ]
    return Section(
        "kpis",
        "Program KPIs",
        (
            Table(
                ("KPI", "Value", "n", "Target", "Definition"),
                tuple(kpi_rows),
                numeric=(1, 2),
                source="computed from the workspace's records at "
                f"{report.computed_at:%Y-%m-%d %H:%M} UTC (assay kpis)",
            ),
        ),
        lead="Each value is computed from records and their transition history; n is the number "
        "of records it rests on.",
    )


def _themes(new_risks: list[Risk], themes: Counter[str]) -> tuple[Block, ...]:
    """Risks found in the period by taxonomy category: a chart and a table."""
    if not themes:
        return (Para("No risks were recorded in the period.", muted=True),)
    open_by_theme = Counter(_theme(r) for r in new_risks if r.is_open)
    systems_by_theme: dict[str, set[str]] = {}
    for r in new_risks:
        systems_by_theme.setdefault(_theme(r), set()).add(r.system)
    ordered = themes.most_common()
    return (
        Figure(
            rendering.bar_chart(
                [rendering.Bar(label, float(n), text=str(n)) for label, n in ordered[:12]],
                title="Risks found in the period by category",
                width=720,
            ),
            "Risks recorded in the period, by taxonomy category.",
        ),
        Table(
            ("Category", "Risks found", "Still open", "Systems"),
            tuple(
                (label, n, open_by_theme[label], ", ".join(sorted(systems_by_theme[label])))
                for label, n in ordered
            ),
            numeric=(1, 2),
            caption="A theme recurs when it appears in more than one system",
        ),
    )


def _remediation(actions: list[Action], period: _Period, ws: Workspace) -> tuple[Block, ...]:
    """Actions closed in the period, their cycle time and timeliness, and what is overdue now."""
    closed = [a for a in actions if a.status == "done" and period.inside(a.closed_at)]
    cycle = [(a.closed_at - a.created_at).total_seconds() / 86400 for a in closed if a.closed_at]
    on_time = sum(1 for a in closed if a.closed_on_time)
    overdue = [
        a for a in actions if a.status not in ("done", "cancelled") and a.due_date < ws.today()
    ]
    remediation: list[Block] = [
        Table(
            ("Measure", "Value"),
            (
                ("Actions closed in the period", len(closed)),
                (
                    "Median days from creation to closure",
                    f"{statistics.median(cycle):.1f}" if cycle else "none closed",
                ),
                (
                    "Closed by their due date",
                    f"{100.0 * on_time / len(closed):.1f}%" if closed else "none closed",
                ),
                ("Open actions past their due date today", len(overdue)),
            ),
            numeric=(1,),
        )
    ]
    if overdue:
        remediation.append(
            Table(
                ("Action", "Title", "Owner", "Due", "Status"),
                tuple(
                    (a.ref, a.title, a.owner, str(a.due_date), Badge(a.status, a.status))
                    for a in overdue
                ),
                caption="Overdue actions",
            )
        )
    return tuple(remediation)


def _waivers(waivers: list[Waiver], period: _Period, ws: Workspace) -> tuple[Block, ...]:
    """Waivers granted in the period, and every active waiver with its age."""
    granted = [w for w in waivers if period.inside(w.granted_at)]
    as_of = min(period.last, ws.today())
    active = [w for w in waivers if w.active and w.granted_at is not None]
    waiver_rows: list[tuple[Cell, ...]] = []
    for w in active:
        assert w.granted_at is not None
        age = w.age_days(as_of)
        waiver_rows.append(
            (
                w.ref,
                w.system,
                w.control,
                short_date(w.granted_at),
                str(w.expires_on),
                Badge("fail" if waiver_over_aged(age) else "pass", f"{age} days"),
            )
        )
    return (
        Para(
            f"{len(granted)} waiver(s) granted in the period; {len(active)} active now, "
            f"{sum(1 for r in waiver_rows if isinstance(r[5], Badge) and r[5].key == 'fail')} of "
            f"them aged {WAIVER_AGING_DAYS} days or more."
        ),
        Table(
            ("Waiver", "System", "Control", "Granted", "Expires", "Age"),
            tuple(waiver_rows),
            caption="Active waivers and their age",
        ),
    )


def _incidents(incidents: list[Incident]) -> tuple[Block, ...]:
    """Incidents detected in the period: counts, severities, time to bundle, per month."""
    months = Counter(i.detected_at.strftime("%Y-%m") for i in incidents)
    severities = Counter(i.severity for i in incidents)
    bundle_hours = [
        (i.first_bundle_at - i.detected_at).total_seconds() / 3600
        for i in incidents
        if i.first_bundle_at is not None
    ]
    incident_blocks: list[Block] = [
        Table(
            ("Measure", "Value"),
            (
                ("Incidents detected in the period", len(incidents)),
                (
                    "By severity",
                    ", ".join(f"{k}: {v}" for k, v in sorted(severities.items())) or "none",
                ),
                (
                    "Median hours to the first evidence bundle",
                    f"{statistics.median(bundle_hours):.1f}" if bundle_hours else "none bundled",
                ),
                ("Still open", sum(1 for i in incidents if i.status != "closed")),
            ),
            numeric=(1,),
        )
    ]
    if months:
        incident_blocks.append(
            Figure(
                rendering.bar_chart(
                    [rendering.Bar(m, float(n), text=str(n)) for m, n in sorted(months.items())],
                    title="Incidents detected per month",
                    width=520,
                ),
                "Incidents detected per month in the period.",
            )
        )
    return tuple(incident_blocks)

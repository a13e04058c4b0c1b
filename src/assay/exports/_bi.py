"""Flat tables of the program's records for BI tools (Power BI, Tableau): KPIs, risks, actions,
waivers and reviews.

Each table is a fixed list of typed columns (:data:`BI_COLUMNS`; ``docs/bi.md`` documents them)
filled from the same governance functions the web pages and the CLI show
(:func:`assay.governance.compute_kpis`, :func:`~assay.governance.list_risks`,
:func:`~assay.governance.list_actions`, :func:`~assay.governance.list_waivers`,
:func:`~assay.governance.list_reviews`), so a dashboard and Assay never disagree. Column names
never change meaning; new columns are only ever appended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assay import governance as g
from assay.errors import InputError
from assay.policy import reporting_period, waiver_age_band

if TYPE_CHECKING:
    from assay.governance import Workspace

__all__ = ["BI_COLUMNS", "BI_KINDS", "BiColumn", "BiTable", "BiValue", "bi_table", "check_bi_kind"]

BiValue = str | int | float | bool | dt.date | dt.datetime | None
"""One cell: text, a whole number, a number, a flag, a date, a UTC instant, or empty."""


@dataclass(frozen=True, slots=True)
class BiColumn:
    """One column: its stable name, its type and what it holds."""

    name: str
    type: str
    """``string``, ``integer``, ``number``, ``boolean``, ``date`` or ``datetime`` (UTC)."""
    description: str


def _cols(*specs: tuple[str, str, str]) -> tuple[BiColumn, ...]:
    return tuple(BiColumn(*s) for s in specs)


_STAMPS = (
    ("created_at", "datetime", "When the record was created (UTC)."),
    ("updated_at", "datetime", "When it last changed (UTC)."),
)

BI_COLUMNS: dict[str, tuple[BiColumn, ...]] = {
    "kpis": _cols(
        ("key", "string", "The KPI's stable key (join on this, never on the name)."),
        ("name", "string", "The KPI's name as the dashboard shows it."),
        ("value", "number", "Its value; empty when nothing was measured in the period."),
        ("unit", "string", "%, days, hours or count."),
        ("n", "integer", "How many records the value is computed from."),
        ("target", "string", "The program's target, as text."),
        ("period_start", "date", "First day of the period."),
        ("period_end", "date", "Last day of the period (inclusive)."),
        ("computed_at", "datetime", "When the KPIs were computed (UTC)."),
    ),
    "risks": _cols(
        ("id", "integer", "The risk's number (RISK-id)."),
        ("ref", "string", "Its reference, RISK-n."),
        ("system", "string", "The AI system."),
        ("title", "string", "Short title."),
        ("category", "string", "Category key of the taxonomy."),
        ("category_name", "string", "Category name."),
        ("inherent_likelihood", "integer", "Likelihood before mitigation (1-5)."),
        ("inherent_severity", "integer", "Severity before mitigation (1-5)."),
        ("residual_likelihood", "integer", "Likelihood after mitigation; empty until assessed."),
        ("residual_severity", "integer", "Severity after mitigation; empty until assessed."),
        ("rating", "string", "The policy's rating band of the current scores."),
        ("status", "string", "Workflow status."),
        ("is_open", "boolean", "Open or being mitigated."),
        ("owner", "string", "Who owns it."),
        ("due_date", "date", "When mitigation is due; empty when none."),
        ("found_stage", "string", "The lifecycle stage it was found in."),
        ("evidence_count", "integer", "Evidence records linked to it."),
        ("closed_at", "datetime", "When it was closed (UTC); empty while open."),
        *_STAMPS,
    ),
    "actions": _cols(
        ("id", "integer", "The action's number (ACT-id)."),
        ("ref", "string", "Its reference, ACT-n."),
        ("title", "string", "Short title."),
        ("risk_id", "integer", "The risk it remediates (risks.id); empty when none."),
        ("incident_id", "integer", "The incident it corrects; empty when none."),
        ("owner", "string", "Who owns it."),
        ("due_date", "date", "When it is due."),
        ("status", "string", "open, in_progress, done or cancelled."),
        ("closed_at", "datetime", "When it was closed (UTC)."),
        ("closed_on_time", "boolean", "Done by its due date; empty while open or cancelled."),
        ("remote_system", "string", "The issue tracker it was pushed to."),
        ("remote_id", "string", "Its issue there."),
        ("remote_url", "string", "The issue's address."),
        *_STAMPS,
    ),
    "waivers": _cols(
        ("id", "integer", "The waiver's number (WVR-id)."),
        ("ref", "string", "Its reference, WVR-n."),
        ("system", "string", "The AI system."),
        ("risk_id", "integer", "The risk it accepts (risks.id); empty when none."),
        ("control", "string", "The control it waives."),
        ("status", "string", "Workflow status."),
        ("active", "boolean", "In force today."),
        ("round", "integer", "1 for the request, 2 and more for renewals."),
        ("required_approvals", "integer", "Approvals the policy requires."),
        ("approvals", "integer", "Approvals recorded in the current round."),
        ("requester", "string", "Who requested it."),
        ("expires_on", "date", "When it expires."),
        ("granted_at", "datetime", "When it was granted (UTC)."),
        ("age_days", "integer", "Days since granted (or requested): the policy's aging rule."),
        ("age_band", "string", "The policy's aging band of age_days."),
        *_STAMPS,
    ),
    "reviews": _cols(
        ("id", "integer", "The review's number (REV-id)."),
        ("ref", "string", "Its reference, REV-n."),
        ("system", "string", "The AI system."),
        ("title", "string", "Short title."),
        ("status", "string", "Workflow status."),
        ("checkpoint", "string", "The policy checkpoint the review prepares."),
        ("tier", "string", "Risk tier set at triage; empty before."),
        ("priority", "string", "Priority set at triage; empty before."),
        ("suggested_tier", "string", "Tier the intake screening suggested."),
        ("suggested_priority", "string", "Priority the intake screening suggested."),
        ("owner", "string", "The reviewer who owns it."),
        ("triage_due", "date", "When triage is due."),
        ("due_date", "date", "When the decision is due."),
        ("approvals", "integer", "Approvals recorded."),
        *_STAMPS,
    ),
}
"""The columns of each table, in order. Names are stable: columns are only ever appended."""

BI_KINDS = tuple(BI_COLUMNS)
"""The tables: ``kpis``, ``risks``, ``actions``, ``waivers``, ``reviews``."""


@dataclass(frozen=True, slots=True)
class BiTable:
    """One table: its kind, its columns and its rows (one value per column, in order)."""

    kind: str
    columns: tuple[BiColumn, ...]
    rows: tuple[tuple[BiValue, ...], ...]

    def page(self, limit: int | None, offset: int = 0) -> BiTable:
        """At most ``limit`` rows after skipping ``offset`` (all of them when None)."""
        end = None if limit is None else offset + limit
        return BiTable(self.kind, self.columns, self.rows[offset:end])

    def records(self) -> list[dict[str, BiValue]]:
        """The rows as ``{column: value}``."""
        names = [c.name for c in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def _kpi_rows(
    ws: Workspace, start: dt.date | str | None, end: dt.date | str | None
) -> list[Sequence[BiValue]]:
    q_start, q_end = reporting_period(ws.today())
    report = g.compute_kpis(ws, start or q_start, end or q_end)
    return [
        (k.key, k.name, k.value, k.unit, k.n, k.target, report.start, report.end,
         report.computed_at)
        for k in report.kpis
    ]  # fmt: skip


def _risk_rows(ws: Workspace) -> list[Sequence[BiValue]]:
    return [
        (r.id, r.ref, r.system, r.title, r.category, r.category_name, r.inherent_likelihood,
         r.inherent_severity, r.residual_likelihood, r.residual_severity, r.rating, r.status,
         r.is_open, r.owner, r.due_date, r.found_stage, len(r.evidence), r.closed_at,
         r.created_at, r.updated_at)
        for r in g.list_risks(ws, sort="ref")
    ]  # fmt: skip


def _action_rows(ws: Workspace) -> list[Sequence[BiValue]]:
    return [
        (a.id, a.ref, a.title, a.risk, a.incident, a.owner, a.due_date, a.status, a.closed_at,
         a.closed_on_time, a.remote_system, a.remote_id, a.remote_url, a.created_at, a.updated_at)
        for a in sorted(g.list_actions(ws), key=lambda a: a.id)
    ]  # fmt: skip


def _waiver_rows(ws: Workspace) -> list[Sequence[BiValue]]:
    today = ws.today()
    rows: list[Sequence[BiValue]] = []
    for w in sorted(g.list_waivers(ws), key=lambda w: w.id):
        age = w.age_days(today)
        rows.append(
            (w.id, w.ref, w.system, w.risk, w.control, w.status, w.active, w.round,
             w.required_approvals, len(w.approvals), w.requester, w.expires_on, w.granted_at,
             age, waiver_age_band(age), w.created_at, w.updated_at)
        )  # fmt: skip
    return rows


def _review_rows(ws: Workspace) -> list[Sequence[BiValue]]:
    return [
        (r.id, r.ref, r.system, r.title, r.status, r.checkpoint, r.tier, r.priority,
         r.suggested_tier, r.suggested_priority, r.owner, r.triage_due, r.due_date,
         len(r.approvals), r.created_at, r.updated_at)
        for r in g.list_reviews(ws)
    ]  # fmt: skip


_ROWS: dict[str, Callable[[Workspace], list[Sequence[BiValue]]]] = {
    "risks": _risk_rows,
    "actions": _action_rows,
    "waivers": _waiver_rows,
    "reviews": _review_rows,
}


def check_bi_kind(kind: str) -> str:
    """``kind`` when it names a table; InputError listing the tables otherwise."""
    if kind not in BI_COLUMNS:
        raise InputError(
            f"There is no table {kind!r} to export; choose one of {', '.join(BI_KINDS)}."
        )
    return kind


def bi_table(
    ws: Workspace,
    kind: str,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> BiTable:
    """One table of the program's records, ordered by id (KPIs in the dashboard's order).

    Parameters
    ----------
    ws
        The workspace.
    kind
        One of :data:`BI_KINDS`.
    start, end
        The KPIs' period, as dates or ``YYYY-MM-DD`` (default: the reporting period containing
        today); other tables hold every record.

    Returns
    -------
    BiTable
        The columns of :data:`BI_COLUMNS` and the rows.

    Examples
    --------
    >>> import tempfile
    >>> ws = g.init_workspace(tempfile.mkdtemp(), user="ada")
    >>> table = bi_table(ws, "kpis", start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31))
    >>> table.records()[0]["period_start"]
    datetime.date(2025, 1, 1)
    >>> bi_table(ws, "risks").rows
    ()
    >>> ws.close()
    """
    columns = BI_COLUMNS[check_bi_kind(kind)]
    rows = _kpi_rows(ws, start, end) if kind == "kpis" else _ROWS[kind](ws)
    return BiTable(kind, columns, tuple(tuple(r) for r in rows))

"""Where each monitor stands: its last window, last run and alerts (for the system page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from assay.governance._scope import scope_clause
from assay.governance._workspace import Workspace
from assay.store import tables

monitors, monitor_runs = tables.monitors, tables.monitor_runs
monitor_windows, monitor_alerts = tables.monitor_windows, tables.monitor_alerts

__all__ = ["MonitorStatus", "monitor_status"]


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    """One monitor as it stands: how many windows it stored, the latest one, its last run and
    how many of its alerts are firing."""

    name: str
    system: str
    metrics: tuple[str, ...]
    windows: int
    last_window: dt.datetime | None
    last_window_status: str | None
    last_run: dt.datetime | None
    last_run_status: str | None
    alerts: int
    firing: int


def monitor_status(ws: Workspace, *, system: str | None = None) -> list[MonitorStatus]:
    """The status of every monitor (of ``system`` when given), by name.

    Examples
    --------
    >>> import tempfile
    >>> from assay.governance import init_workspace
    >>> ws = init_workspace(tempfile.mkdtemp(), user="ada")
    >>> monitor_status(ws)
    []
    >>> ws.close()
    """
    m, w, r, a = monitors.c, monitor_windows.c, monitor_runs.c, monitor_alerts.c
    q = sa.select(monitors).order_by(m.name)
    if system is not None:
        q = q.where(m.system == system)
    out: list[MonitorStatus] = []
    with ws.store.read() as conn:
        for row in conn.execute(q.where(scope_clause(conn, monitors))).mappings().all():
            mid = int(row["id"])
            windows = conn.execute(
                sa.select(sa.func.count()).where(w.monitor_id == mid)
            ).scalar_one()
            last = (
                conn.execute(
                    sa.select(w.window_start, w.status)
                    .where(w.monitor_id == mid)
                    .order_by(w.window_start.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            run = (
                conn.execute(
                    sa.select(r.finished_at, r.status)
                    .where(r.monitor_id == mid)
                    .order_by(r.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            counts = {
                str(status): int(n)
                for status, n in conn.execute(
                    sa.select(a.status, sa.func.count())
                    .where(a.monitor_id == mid)
                    .group_by(a.status)
                )
            }
            spec = row["spec"] if isinstance(row["spec"], dict) else {}
            metrics = tuple(
                str(x.get("name")) for x in spec.get("metrics") or [] if isinstance(x, dict)
            )
            out.append(
                MonitorStatus(
                    name=str(row["name"]),
                    system=str(row["system"]),
                    metrics=metrics,
                    windows=int(windows),
                    last_window=last["window_start"] if last else None,
                    last_window_status=str(last["status"]) if last else None,
                    last_run=run["finished_at"] if run else None,
                    last_run_status=str(run["status"]) if run else None,
                    alerts=sum(counts.values()),
                    firing=counts.get("firing", 0),
                )
            )
    return out

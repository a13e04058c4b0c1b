"""The monitor's records: monitors, runs, windows, values, alerts and notifications.

``assay.monitor`` computes; this module is where its records are read and written, so the monitor
holds no SQL. Every write is one audited transaction that checks the acting user's role; each read
opens its own read transaction. Times are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.canonical import canonical_json, sha256_hex
from assay.errors import InputError, NotFoundError
from assay.governance._common import writing
from assay.governance._names import check_record_name
from assay.governance._scope import readable, scope_clause
from assay.governance._workspace import Workspace
from assay.store import tables

monitors = tables.monitors
monitor_runs = tables.monitor_runs
monitor_windows = tables.monitor_windows
monitor_values = tables.monitor_values
monitor_alerts = tables.monitor_alerts
monitor_notifications = tables.monitor_notifications

#: The role permission monitor writes need: analysts (and admins) run monitors and review alerts.
PERMISSION = "add evidence"
VERDICTS = ("meaningful", "noise")


def aware(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime made aware (aware ones are converted to UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def upsert_monitor(ws: Workspace, name: str, system: str, spec: Mapping[str, Any]) -> int:
    """The id of the monitor called ``name``, created or updated with this spec."""
    name = check_record_name(name, what="monitor name")
    sha = sha256_hex(canonical_json(spec))
    with ws.store.read() as conn:
        row = conn.execute(sa.select(monitors).where(monitors.c.name == name)).mappings().first()
    if row is not None and row["spec_sha256"] == sha:
        return int(row["id"])
    now = ws.now()
    with writing(
        ws, PERMISSION, action="monitor.register", entity_type="monitor", entity_id=name
    ) as tx:
        values = {
            "system": system,
            "spec_sha256": sha,
            "spec": dict(spec),
            "updated_at": now,
            "updated_by": ws.user,
        }
        if row is None:
            out = tx.insert(
                monitors, values | {"name": name, "created_at": now, "created_by": ws.user}
            )
        else:
            out = tx.update(monitors, int(row["id"]), values)
        return int(out["id"])


def monitor_row(ws: Workspace, name: str) -> RowMapping:
    """The monitor called ``name``."""
    with ws.store.read() as conn:
        return _monitor_row(conn, name)


def _monitor_row(conn: Connection, name: str) -> RowMapping:
    row = conn.execute(sa.select(monitors).where(monitors.c.name == name)).mappings().first()
    if row is None or not readable(conn, monitors, row):
        seen = scope_clause(conn, monitors)
        names_q = sa.select(monitors.c.name).where(seen).order_by(monitors.c.name)
        names = conn.execute(names_q).scalars().all()
        raise NotFoundError(
            f"There is no monitor '{name}' in this workspace"
            + (f"; monitors are: {', '.join(names)}." if names else "; none has run yet.")
            + " Run `assay monitor run --spec FILE --data ...` first."
        )
    return row


def start_run(ws: Workspace, monitor_id: int, started: dt.datetime) -> int:
    """Record a run as started and return its id."""
    with writing(
        ws, PERMISSION, action="monitor.run", entity_type="monitor", entity_id=monitor_id
    ) as tx:
        row = tx.insert(
            monitor_runs,
            {
                "monitor_id": monitor_id,
                "started_at": started,
                "finished_at": started,
                "status": "running",
                "batches": [],
                "windows": [],
                "problems": [],
                "created_by": ws.user,
            },
        )
        return int(row["id"])


def finish_run(
    ws: Workspace,
    run_id: int,
    *,
    status: str,
    batches: list[dict[str, Any]],
    windows: list[str],
    problems: list[dict[str, Any]],
) -> None:
    """Record what a run read, computed and met."""
    with writing(
        ws, PERMISSION, action="monitor.run", entity_type="monitor_run", entity_id=run_id
    ) as tx:
        tx.update(
            monitor_runs,
            run_id,
            {
                "finished_at": ws.now(),
                "status": status,
                "batches": batches,
                "windows": windows,
                "problems": problems,
            },
        )


@dataclass(frozen=True)
class Saved:
    """Whether a window was stored and, when it was not, why (``problem`` is for the run)."""

    stored: bool
    note: str | None = None
    problem: str | None = None


def save_window(
    ws: Workspace,
    monitor_id: int,
    run_id: int,
    *,
    start: dt.datetime,
    end: dt.datetime,
    rows: int,
    status: str,
    values: Mapping[str, float | None],
    result: Mapping[str, Any],
) -> Saved:
    """Store one window and its values, unless the stored record of that window is more complete.

    A window computed again replaces the stored one only when this run read every batch the
    stored one was computed from (``result["sources"]``, file paths made absolute): a run that
    brings only some of a window's batches — late rows in a file of their own, a batch missing
    or unreadable this time — would otherwise replace a complete window with a partial one. An
    empty window never hides stored data, and a window that failed never replaces one that was
    computed.
    """
    start, end = aware(start), aware(end)
    with writing(
        ws, PERMISSION, action="monitor.window", entity_type="monitor", entity_id=monitor_id
    ) as tx:
        w = monitor_windows.c
        existing = (
            tx.conn.execute(
                sa.select(monitor_windows).where(
                    w.monitor_id == monitor_id, w.window_start == start
                )
            )
            .mappings()
            .first()
        )
        if existing is not None:
            kept = _keep_stored(existing, status, rows, result)
            if kept is not None:
                return kept
        record = {
            "window_end": end,
            "rows": rows,
            "status": status,
            "result": dict(result),
            "run_id": run_id,
            "computed_at": ws.now(),
        }
        if existing is None:
            window = tx.insert(
                monitor_windows, record | {"monitor_id": monitor_id, "window_start": start}
            )
        else:
            window = tx.update(monitor_windows, int(existing["id"]), record)
        for metric, value in values.items():
            key = {"window_id": int(window["id"]), "metric": metric}
            if tx.get(monitor_values, key) is None:
                tx.insert(monitor_values, key | {"value": value})
            else:
                tx.update(monitor_values, key, {"value": value})
    return Saved(True)


def _sources(result: Mapping[str, Any]) -> list[str]:
    # records written before sources were kept name their batches only
    return [str(s) for s in result.get("sources") or result.get("batches") or []]


def _keep_stored(
    existing: RowMapping, status: str, rows: int, result: Mapping[str, Any]
) -> Saved | None:
    """Why the stored window stays, or None when the new computation replaces it."""
    old_status, old_rows = str(existing["status"]), int(existing["rows"])
    if status == "empty" and old_status != "empty":
        return Saved(False, note=f"Not stored: the stored window has {old_rows} row(s).")
    if status == "failed" and old_status in ("ok", "insufficient"):
        return Saved(
            False, note=f"Not stored: the stored window ({old_status}) was computed without error."
        )
    old = _sources(existing["result"] or {})
    new = set(_sources(result))
    missing = [s for s in old if s not in new]
    if not missing:
        return None
    shown = ", ".join(Path(s).name for s in missing[:5]) + (" ..." if len(missing) > 5 else "")
    read = ", ".join(Path(s).name for s in sorted(new)[:5]) or "no batch"
    return Saved(
        False,
        note="Not stored: the stored window is more complete.",
        problem=(
            f"The window starting {aware(existing['window_start']).isoformat()} is stored from "
            f"{len(old)} batch(es) and {old_rows} row(s); this run read {rows} row(s) of it from "
            f"{read} but not from {shown}, so the stored window is kept. To compute it again, run "
            "with every batch it was computed from (and any new one)."
        ),
    )


def series(ws: Workspace, monitor_id: int, metric: str) -> list[tuple[dt.datetime, float | None]]:
    """The stored values of one metric, by window start."""
    with ws.store.read() as conn:
        v, w = monitor_values.c, monitor_windows.c
        rows = conn.execute(
            sa.select(w.window_start, v.value)
            .join(monitor_windows, v.window_id == w.id)
            .where(w.monitor_id == monitor_id, v.metric == metric)
            .order_by(w.window_start)
        ).all()
        return [(aware(start), value) for start, value in rows]


def stored_windows(ws: Workspace, monitor_id: int) -> list[RowMapping]:
    """Every stored window of a monitor, in time order."""
    with ws.store.read() as conn:
        w = monitor_windows.c
        return list(
            conn.execute(
                sa.select(monitor_windows)
                .where(w.monitor_id == monitor_id)
                .order_by(w.window_start)
            ).mappings()
        )


def stored_alerts(ws: Workspace, monitor_id: int) -> list[RowMapping]:
    """Every alert of a monitor, oldest first."""
    with ws.store.read() as conn:
        a = monitor_alerts.c
        return list(
            conn.execute(
                sa.select(monitor_alerts).where(a.monitor_id == monitor_id).order_by(a.id)
            ).mappings()
        )


def insert_alert(ws: Workspace, values: Mapping[str, Any]) -> RowMapping:
    """Record a new alert."""
    with writing(ws, PERMISSION, action="alert.open", entity_type="alert") as tx:
        row = tx.insert(monitor_alerts, dict(values))
        tx.set_entity("alert", row["id"])
        return row


def update_alert(
    ws: Workspace, alert_id: int, values: Mapping[str, Any], action: str
) -> RowMapping:
    """Change an alert (its last window and value, its status, links)."""
    with writing(ws, PERMISSION, action=action, entity_type="alert", entity_id=alert_id) as tx:
        return tx.update(monitor_alerts, alert_id, dict(values))


def record_notification(
    ws: Workspace,
    alert_id: int,
    *,
    event: str,
    route: str,
    kind: str,
    delivered: bool,
    attempts: int,
    error: str | None,
    payload: Mapping[str, Any],
    notification_id: int | None = None,
) -> RowMapping:
    """Record a delivery (or its failure); ``notification_id`` updates an earlier failed one."""
    now = ws.now()
    values = {
        "status": "delivered" if delivered else "failed",
        "last_error": error,
        "updated_at": now,
        "delivered_at": now if delivered else None,
    }
    with writing(
        ws, PERMISSION, action="alert.notify", entity_type="alert", entity_id=alert_id
    ) as tx:
        if notification_id is not None:
            old = tx.get(monitor_notifications, notification_id)
            assert old is not None
            return tx.update(
                monitor_notifications,
                notification_id,
                values | {"attempts": int(old["attempts"]) + attempts},
            )
        return tx.insert(
            monitor_notifications,
            values
            | {
                "alert_id": alert_id,
                "event": event,
                "route": route,
                "kind": kind,
                "attempts": attempts,
                "payload": dict(payload),
                "created_at": now,
            },
        )


def failed_notifications(ws: Workspace, monitor_id: int) -> list[RowMapping]:
    """Notifications of a monitor's alerts that have not been delivered yet."""
    with ws.store.read() as conn:
        n, a = monitor_notifications.c, monitor_alerts.c
        return list(
            conn.execute(
                sa.select(monitor_notifications)
                .join(monitor_alerts, n.alert_id == a.id)
                .where(a.monitor_id == monitor_id, n.status == "failed")
                .order_by(n.id)
            ).mappings()
        )


def notifications_of(ws: Workspace, alert_ids: list[int]) -> list[RowMapping]:
    """Notifications of these alerts."""
    with ws.store.read() as conn:
        n = monitor_notifications.c
        if not alert_ids:
            return []
        return list(
            conn.execute(
                sa.select(monitor_notifications).where(n.alert_id.in_(alert_ids)).order_by(n.id)
            ).mappings()
        )


def acknowledge(ws: Workspace, alert_id: int, verdict: str, note: str | None = None) -> RowMapping:
    """Mark an alert as ``meaningful`` or ``noise`` (alert precision counts these)."""
    if verdict not in VERDICTS:
        raise InputError(f"An alert is acknowledged as meaningful or noise, not '{verdict}'.")
    with writing(
        ws, PERMISSION, action="alert.acknowledge", entity_type="alert", entity_id=alert_id
    ) as tx:
        row = tx.get(monitor_alerts, alert_id)
        if row is None or not readable(tx.conn, monitor_alerts, row):  # another org's: the same
            raise NotFoundError(
                f"There is no alert #{alert_id}. List them with `assay monitor alerts`."
            )
        return tx.update(
            monitor_alerts,
            alert_id,
            {
                "verdict": verdict,
                "verdict_by": ws.user,
                "verdict_at": ws.now(),
                "verdict_note": note,
            },
        )


def list_alerts(
    ws: Workspace,
    *,
    monitor: str | None = None,
    status: str | None = None,
    system: str | None = None,
) -> list[dict[str, Any]]:
    """Alerts with their monitor's name and system, newest first (of one monitor, status or system
    when given)."""
    a, m = monitor_alerts.c, monitors.c
    q = sa.select(monitor_alerts, m.name.label("monitor"), m.system).join(
        monitors, a.monitor_id == m.id
    )
    if monitor is not None:
        q = q.where(m.name == monitor)
    if status is not None:
        q = q.where(a.status == status)
    if system is not None:
        q = q.where(m.system == system)
    with ws.store.read() as conn:
        q = q.where(scope_clause(conn, monitor_alerts))
        return [dict(r) for r in conn.execute(q.order_by(a.id.desc())).mappings()]


def alert_precision(
    ws: Workspace,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    monitor: str | None = None,
) -> dict[str, Any]:
    """Alert precision: of the alerts opened in ``[start, end)`` that were acknowledged, the share
    marked meaningful; with the counts behind it."""
    with ws.store.read() as conn:
        a, m = monitor_alerts.c, monitors.c
        q = sa.select(a.verdict, sa.func.count()).join(monitors, a.monitor_id == m.id)
        if start is not None:
            q = q.where(a.opened_at >= aware(start))
        if end is not None:
            q = q.where(a.opened_at < aware(end))
        if monitor is not None:
            q = q.where(m.name == monitor)
        q = q.where(scope_clause(conn, monitor_alerts))
        counts = {verdict: int(n) for verdict, n in conn.execute(q.group_by(a.verdict)).all()}
        meaningful, noise = counts.get("meaningful", 0), counts.get("noise", 0)
        judged = meaningful + noise
        return {
            "precision": meaningful / judged if judged else None,
            "meaningful": meaningful,
            "noise": noise,
            "unacknowledged": counts.get(None, 0),
            "alerts": sum(counts.values()),
        }

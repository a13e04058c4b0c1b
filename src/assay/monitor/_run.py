"""``run_monitor``: batches → windows → values in the store → alerts → notifications.

Faults never stop a run: a batch that cannot be read, a column missing from a batch, a window that
cannot be evaluated are recorded (in the window's result and in the run) and the run goes on; each
window is stored in its own transaction, so nothing already stored is lost; a notification that
fails after its retries is recorded as failed and retried on the next run.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from assay import __version__
from assay.errors import AssayError, InputError
from assay.evaluate import ReferenceProfile, reference_profile
from assay.governance import Workspace
from assay.governance import monitor_records as db
from assay.monitor._metrics import compute
from assay.monitor._notify import Delivery, deliver
from assay.monitor._rules import Episode, episodes
from assay.monitor._spec import AlertRule, MonitorSpec, load_spec
from assay.monitor._windows import STEP, Batch, Window, read_batch, windows
from assay.result import Result

RUN_SCHEMA = "assay.monitor-run/v1"
_INCIDENT_SEVERITY = {"critical": "sev1", "high": "sev2", "medium": "sev3", "low": "sev4"}


class MonitorAlerts(TypedDict):
    """The alerts a run opened and resolved."""

    opened: list[dict[str, Any]]
    resolved: list[dict[str, Any]]


class MonitorReference(TypedDict):
    """The reference profile a run compared the windows with."""

    n: int
    profile_digest: str


class MonitorRunPayload(TypedDict):
    """The ``assay.monitor-run/v1`` payload."""

    schema: str
    monitor: str
    system: str
    run_id: int
    status: str
    started_at: str
    batches: list[dict[str, Any]]
    windows: list[dict[str, Any]]
    alerts: MonitorAlerts
    notifications: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    reference: MonitorReference
    assay_version: str


class MonitorRun(Result[MonitorRunPayload]):
    """What one run of a monitor did, in the ``assay.monitor-run/v1`` schema."""

    SCHEMA = RUN_SCHEMA
    Payload = MonitorRunPayload
    JSON_DEFAULT = str

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"MonitorRun(monitor={p['monitor']!r}, windows={len(p['windows'])}, "
            f"opened={len(p['alerts']['opened'])}, resolved={len(p['alerts']['resolved'])}, "
            f"status={p['status']!r})"
        )

    @property
    def status(self) -> str:
        """``ok``, or ``problems`` when a batch, window or notification failed."""
        return str(self._payload["status"])

    @property
    def windows(self) -> list[dict[str, Any]]:
        """Each window computed: start, end, rows, status, values, notes and problems."""
        return copy.deepcopy(self._payload["windows"])

    @property
    def opened(self) -> list[dict[str, Any]]:
        """Alerts opened by this run."""
        return copy.deepcopy(self._payload["alerts"]["opened"])

    @property
    def resolved(self) -> list[dict[str, Any]]:
        """Alerts resolved by this run."""
        return copy.deepcopy(self._payload["alerts"]["resolved"])


def load_reference(spec: MonitorSpec, base: Path, ws: Workspace) -> ReferenceProfile:
    """The spec's reference profile: the saved one, or one built from the reference data (and
    cached in the workspace, keyed by the data file's digest)."""
    if spec.reference.profile is not None:
        return ReferenceProfile.load(_resolve(spec.reference.profile, base))
    assert spec.reference.data is not None
    data = _resolve(spec.reference.data, base)
    from assay.evaluate import file_digest

    digest = file_digest(data) if data.exists() else "missing"
    cache = ws.dir / "monitor" / f"{spec.name}-profile-{digest.split(':')[-1][:16]}.json"
    if cache.exists():
        return ReferenceProfile.load(cache)
    profile = reference_profile(
        data,
        sensitive_features=spec.data.sensitive_features or None,
        prediction=spec.data.prediction,
        label=spec.data.label,
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    profile.save(cache)
    return profile


def _resolve(path: str, base: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else base / p


def run_monitor(
    spec: MonitorSpec | str | Path,
    batches: Sequence[Any],
    *,
    workspace: Workspace,
    base: Path | None = None,
    notify: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> MonitorRun:
    """Process production log batches into windows, store them, evaluate alerts and notify.

    Parameters
    ----------
    spec
        A :class:`MonitorSpec` or the path of its YAML file.
    batches
        Files (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``) or frames, in any order; rows are
        assigned to windows by the spec's timestamp column.
    workspace
        Where the time series, alerts and notifications are stored.
    base
        Folder that relative paths in the spec are resolved against (default: the spec file's
        folder, or the working directory).
    notify
        Send notifications (and retry earlier failed ones); when False they are not sent.
    sleep
        How to wait between retries (tests pass a no-op).

    Returns
    -------
    MonitorRun
    """
    if isinstance(spec, str | Path):
        base = base or Path(spec).resolve().parent
    spec = load_spec(spec)
    ctx = _start(spec, base or Path.cwd(), workspace)
    read = _read_batches(ctx, batches)
    found = windows(read, spec.window.size, clock=ctx.started)
    window_out = _store_windows(ctx, found)
    opened, resolved, events = _reconcile_alerts(ctx.ws, spec, ctx.monitor_id, ctx.problems)
    deliveries = _deliver(ctx, events, sleep) if notify else []
    problems = ctx.problems
    status = "problems" if problems else "ok"
    db.finish_run(
        ctx.ws,
        ctx.run_id,
        status=status,
        batches=[b.to_dict() for b in read],
        windows=[e["start"] for e in window_out],
        problems=problems,
    )
    payload: MonitorRunPayload = {
        "schema": RUN_SCHEMA,
        "monitor": spec.name,
        "system": spec.system,
        "run_id": ctx.run_id,
        "status": status,
        "started_at": ctx.started.isoformat(timespec="seconds"),
        "batches": [b.to_dict() for b in read],
        "windows": window_out,
        "alerts": {"opened": opened, "resolved": resolved},
        "notifications": deliveries,
        "problems": problems,
        "reference": {"n": ctx.profile.n, "profile_digest": ctx.profile.digest},
        "assay_version": __version__,
    }
    return MonitorRun(payload)


@dataclass(frozen=True)
class _Context:
    """One run under way: its monitor and run records, the reference, and the problems so far."""

    ws: Workspace
    spec: MonitorSpec
    base: Path
    started: dt.datetime
    profile: ReferenceProfile
    monitor_id: int
    run_id: int
    problems: list[dict[str, Any]]


def _start(spec: MonitorSpec, base: Path, ws: Workspace) -> _Context:
    """Load the reference, record the monitor and the start of the run."""
    started = ws.now()
    profile = load_reference(spec, base, ws)
    monitor_id = db.upsert_monitor(ws, spec.name, spec.system, spec.as_json())
    run_id = db.start_run(ws, monitor_id, started)
    problems: list[dict[str, Any]] = []
    ungrouped = [f for f in spec.data.sensitive_features if f not in profile.sensitive_features]
    if ungrouped:
        problems.append(
            {
                "problem": "profile_without_groups",
                "message": f"The reference profile has no groups for {ungrouped}, so drift "
                "within those groups is not computed; rebuild it with `assay check profile DATA "
                "-o FILE.json --sensitive COLUMN`.",
            }
        )
    return _Context(ws, spec, base, started, profile, monitor_id, run_id, problems)


def _read_batches(ctx: _Context, batches: Sequence[Any]) -> list[Batch]:
    """Read every batch; one that cannot be read is recorded as a problem, not raised."""
    spec = ctx.spec
    extra = [c for c in (spec.data.label, spec.data.prediction) if c is not None]
    read = []
    for i, item in enumerate(batches):
        name = str(item) if isinstance(item, str | Path) else f"frame {i + 1}"
        b = read_batch(
            item,
            name,
            profile=ctx.profile,
            timestamp=spec.data.timestamp,
            size=spec.window.size,
            extra_columns=extra,
        )
        read.append(b)
        if b.error is not None:
            ctx.problems.append(
                {"batch": name, "problem": "unreadable", "message": f"{name} {b.error}"}
            )
    return read


def _store_windows(ctx: _Context, found: Sequence[Window]) -> list[dict[str, Any]]:
    """Evaluate each window and store it in its own transaction; failures become problems."""
    batch_errors = [p for p in ctx.problems if p["problem"] == "unreadable"]
    window_out: list[dict[str, Any]] = []
    for w in found:
        entry = _evaluate_window(ctx.spec, ctx.profile, w, ctx.base, batch_errors)
        saved = db.save_window(
            ctx.ws,
            ctx.monitor_id,
            ctx.run_id,
            start=w.start,
            end=w.end,
            rows=w.rows,
            status=entry["status"],
            values=entry["values"],
            result=entry,
        )
        entry["stored"] = saved.stored
        if saved.note is not None:
            entry["notes"].append(saved.note)
        if saved.problem is not None:
            ctx.problems.append(
                {"window": entry["start"], "problem": "partial_window", "message": saved.problem}
            )
        window_out.append(entry)
        if entry["status"] == "failed":
            ctx.problems.append(
                {"window": entry["start"], "problem": "window_failed", "message": entry["error"]}
            )
    return window_out


def _deliver(
    ctx: _Context, events: list[tuple[Any, dict[str, Any]]], sleep: Callable[[float], None]
) -> list[dict[str, Any]]:
    """Retry earlier failed notifications, then send this run's; failures become problems."""
    deliveries = _retry_failed(ctx.ws, ctx.spec, ctx.monitor_id, sleep)
    for alert_row, event in events:
        deliveries += _notify(ctx.ws, ctx.spec, alert_row, event, sleep)
    for d in deliveries:
        if not d["ok"]:
            ctx.problems.append(
                {
                    "problem": "notification_failed",
                    "message": f"Notification over '{d['route']}' failed after {d['attempts']} "
                    f"attempt(s): {d['error']}. It is recorded and will be retried on the next "
                    "run.",
                }
            )
    return deliveries


def _iso(value: dt.datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="seconds")


def _evaluate_window(
    spec: MonitorSpec,
    profile: ReferenceProfile,
    w: Any,
    base: Path,
    batch_errors: list[dict[str, Any]],
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "start": _iso(w.start),
        "end": _iso(w.end),
        "rows": w.rows,
        "batches": w.batches,
        "sources": w.sources,
        "problems": list(w.problems) + [dict(p) for p in batch_errors],
        "notes": [],
        "values": {m.name: None for m in spec.metrics},
        "summary": {},
        "error": None,
    }
    rows_metrics = [m.name for m in spec.metrics if m.kind == "quality" and m.statistic == "rows"]
    for name in rows_metrics:
        entry["values"][name] = float(w.rows)
    if w.rows == 0 or w.frame is None:
        entry["status"] = "empty"
        entry["notes"].append("No rows fall in this window.")
        return entry
    if w.rows < spec.window.min_rows:
        entry["status"] = "insufficient"
        entry["notes"].append(
            f"{w.rows} row(s), fewer than window.min_rows ({spec.window.min_rows}): only 'rows' "
            "is computed."
        )
        return entry
    try:
        result = compute(spec, profile, w.frame, w.rows, base=base)
    except Exception as exc:  # a batch can still fail to parse here (lazy reading): go on
        entry["status"] = "failed"
        entry["error"] = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
        return entry
    entry["values"] |= result.values
    entry["notes"] += result.notes
    entry["summary"] = result.summary
    entry["status"] = "ok"
    return entry


def _message(spec: MonitorSpec, rule: AlertRule, ep: Episode, window: dict[str, Any]) -> str:
    size = spec.window.size
    text = (
        f"{rule.metric} = {ep.opened_value:.4g} ({rule.condition}) in {rule.consecutive} "
        f"consecutive {size} window(s), first breached in the window starting "
        f"{_iso(ep.first_breach)}."
    )
    drift = (window.get("summary") or {}).get("drift") if window else None
    if drift and drift.get("drifted"):
        text += f" Drifted columns: {', '.join(drift['drifted'])}."
        groups = drift.get("groups_with_drift") or []
        if groups:
            text += (
                " Drift within groups: "
                + "; ".join(
                    f"{g['by']}={g['group']} ({', '.join(g['columns'])})" for g in groups[:5]
                )
                + "."
            )
    return text


def _alert_payload(spec: MonitorSpec, row: Any, event: str) -> dict[str, Any]:
    end = row["opened_window"] + STEP.get(spec.window.size, dt.timedelta(0))
    value = row["last_value"] if event == "alert.resolved" else row["opened_value"]
    return {
        "event": event,
        "alert": {
            "id": row["id"],
            "monitor": spec.name,
            "system": spec.system,
            "model_version": spec.model_version,
            "rule": row["rule"],
            "metric": row["metric"],
            "condition": row["condition"],
            "severity": row["severity"],
            "status": row["status"],
            "value": value,
            "window_start": _iso(row["opened_window"]),
            "window_end": _iso(end),
            "first_breach_window": _iso(row["first_breach_window"]),
            "resolved_window": _iso(row["resolved_window"]) if row["resolved_window"] else None,
            "owner": row["owner"],
            "runbook": row["runbook"],
            "message": row["message"],
            "incident_id": row["incident_id"],
        },
        "assay_version": __version__,
    }


def _reconcile_alerts(
    ws: Workspace, spec: MonitorSpec, monitor_id: int, problems: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[Any, dict[str, Any]]]]:
    """Bring the stored alerts in line with the episodes of every rule (idempotent)."""
    opened: list[dict[str, Any]] = []
    resolved: list[dict[str, Any]] = []
    events: list[tuple[Any, dict[str, Any]]] = []
    stored = db.stored_alerts(ws, monitor_id)
    by_start = {
        db.aware(r["window_start"]).isoformat(): r["result"]
        for r in db.stored_windows(ws, monitor_id)
    }
    all_series = {rule.name: db.series(ws, monitor_id, rule.metric) for rule in spec.alerts}
    known = {(r["rule"], db.aware(r["opened_window"])): r for r in stored}
    now = ws.now()
    for rule in spec.alerts:
        for ep in episodes(rule, all_series[rule.name]):
            key = (rule.name, db.aware(ep.opened))
            row = known.get(key)
            if row is None:
                window = by_start.get(db.aware(ep.opened).isoformat(), {})
                values = {
                    "monitor_id": monitor_id,
                    "rule": rule.name,
                    "metric": rule.metric,
                    "condition": rule.condition,
                    "severity": rule.severity,
                    "status": "resolved" if ep.resolved else "firing",
                    "first_breach_window": db.aware(ep.first_breach),
                    "opened_window": db.aware(ep.opened),
                    "last_window": db.aware(ep.last_breach),
                    "resolved_window": db.aware(ep.resolved) if ep.resolved else None,
                    "opened_value": ep.opened_value,
                    "last_value": ep.last_value,
                    "owner": rule.owner or spec.owner,
                    "runbook": rule.runbook or spec.runbook,
                    "message": _message(spec, rule, ep, window),
                    "opened_at": now,
                    "resolved_at": now if ep.resolved else None,
                }
                row = db.insert_alert(ws, values)
                row = _escalate(ws, spec, rule, row, problems)
                opened.append(_public(row))
                events.append((row, _alert_payload(spec, row, "alert.opened")))
                if ep.resolved and rule.notify_on_resolve:
                    events.append((row, _alert_payload(spec, row, "alert.resolved")))
                if ep.resolved:
                    resolved.append(_public(row))
                continue
            if row["status"] == "firing" and ep.resolved is not None:
                row = db.update_alert(
                    ws,
                    int(row["id"]),
                    {
                        "status": "resolved",
                        "resolved_window": db.aware(ep.resolved),
                        "resolved_at": now,
                        "last_window": db.aware(ep.last_breach),
                        "last_value": ep.last_value,
                    },
                    "alert.resolve",
                )
                resolved.append(_public(row))
                if rule.notify_on_resolve:
                    events.append((row, _alert_payload(spec, row, "alert.resolved")))
            elif row["status"] == "firing" and (
                db.aware(row["last_window"]) != db.aware(ep.last_breach)
                or row["last_value"] != ep.last_value
            ):
                db.update_alert(
                    ws,
                    int(row["id"]),
                    {"last_window": db.aware(ep.last_breach), "last_value": ep.last_value},
                    "alert.update",
                )
    return opened, resolved, events


def _public(row: Any) -> dict[str, Any]:
    out = {}
    for k, v in dict(row).items():
        out[k] = _iso(v) if isinstance(v, dt.datetime) else v
    return out


def _escalate(
    ws: Workspace, spec: MonitorSpec, rule: AlertRule, row: Any, problems: list[dict[str, Any]]
) -> Any:
    """Open the incident (and its corrective action) a rule asks for; failures are problems."""
    if not rule.open_incident:
        return row
    from assay.governance import add_action, open_incident

    try:
        incident = open_incident(
            ws,
            title=f"{spec.system}: monitoring alert '{rule.name}'",
            severity=_INCIDENT_SEVERITY[rule.severity],
            occurred_at=db.aware(row["first_breach_window"]),
            detected_at=ws.now(),
            systems=[spec.system],
            summary=row["message"] + f" Runbook: {row['runbook']}",
        )
        changes: dict[str, Any] = {"incident_id": incident.id}
        if rule.open_action:
            try:
                action = add_action(
                    ws,
                    title=f"Investigate monitoring alert #{row['id']} ({rule.name})",
                    owner=rule.owner or spec.owner,
                    due_date=(ws.today() + dt.timedelta(days=7)).isoformat(),
                    incident=incident.id,
                    description=row["message"],
                )
                changes["action_id"] = action.id
            except AssayError as exc:  # the incident stays linked even when the action fails
                problems.append(
                    {
                        "problem": "escalation_failed",
                        "message": f"Alert #{row['id']}: opened {incident.ref} but could not "
                        f"open its corrective action: {exc}",
                    }
                )
        return db.update_alert(ws, int(row["id"]), changes, "alert.escalate")
    except AssayError as exc:
        problems.append(
            {
                "problem": "escalation_failed",
                "message": f"Alert #{row['id']}: could not open the incident or action: {exc}",
            }
        )
        return row


def _notify(
    ws: Workspace,
    spec: MonitorSpec,
    row: Any,
    event: dict[str, Any],
    sleep: Callable[[float], None],
) -> list[dict[str, Any]]:
    rule = next(r for r in spec.alerts if r.name == row["rule"])
    out = []
    for name in rule.routes:
        route = spec.route(name)
        d: Delivery = deliver(route, event, spec.notifications.retry, sleep=sleep)
        db.record_notification(
            ws,
            int(row["id"]),
            event=event["event"],
            route=name,
            kind=route.type,
            delivered=d.ok,
            attempts=d.attempts,
            error=d.error,
            payload=event,
        )
        out.append(d.to_dict() | {"alert_id": row["id"], "event": event["event"]})
    return out


def _retry_failed(
    ws: Workspace, spec: MonitorSpec, monitor_id: int, sleep: Callable[[float], None]
) -> list[dict[str, Any]]:
    """Send again the notifications earlier runs could not deliver."""
    pending = db.failed_notifications(ws, monitor_id)
    out = []
    for n in pending:
        try:
            route = spec.route(n["route"])
        except InputError:
            continue  # the route was removed from the spec; the failure stays recorded
        d = deliver(route, n["payload"], spec.notifications.retry, sleep=sleep)
        db.record_notification(
            ws,
            int(n["alert_id"]),
            event=n["event"],
            route=n["route"],
            kind=n["kind"],
            delivered=d.ok,
            attempts=d.attempts,
            error=d.error,
            payload=n["payload"],
            notification_id=int(n["id"]),
        )
        out.append(d.to_dict() | {"alert_id": n["alert_id"], "event": n["event"], "retry": True})
    return out

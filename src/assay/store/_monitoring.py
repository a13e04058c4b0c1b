"""Tables of post-launch monitoring, on the store's metadata (migration ``0002``).

- ``monitors``: one row per monitoring specification (by name), with the spec as last run;
- ``monitor_runs``: every run — the batches it read (and which failed, and why), the windows it
  computed and the problems it met;
- ``monitor_windows`` and ``monitor_values``: the time series — one row per window with its
  result, and one row per window and metric with the value;
- ``monitor_alerts``: one row per alert episode (rule, first firing window), with its status
  (``firing`` or ``resolved``) and its acknowledgement (``meaningful`` or ``noise``), from which
  the alert-precision KPI is computed;
- ``monitor_notifications``: every notification of an alert over a route, delivered or failed,
  with the attempts and the last error; failed ones are retried by later runs.

Every row is written through :meth:`assay.store.Store.write`, so it is covered by the audit chain.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from assay.store._schema import JSON, metadata
from assay.store._types import UTCDateTime

__all__ = [
    "MONITOR_TABLES",
    "monitor_alerts",
    "monitor_notifications",
    "monitor_runs",
    "monitor_values",
    "monitor_windows",
    "monitors",
]


class Real(sa.TypeDecorator[float]):
    """A float column that always reads back as a Python float.

    SQLite's RETURNING hands back a whole-number REAL as an int (``400`` for ``400.0``) while a
    later SELECT gives a float, so the audit image written and the row read would differ.
    """

    impl = sa.Float()
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> float | None:
        return None if value is None else float(value)


monitors = sa.Table(
    "monitors",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("system", sa.String(200), nullable=False),
    sa.Column("spec_sha256", sa.String(64), nullable=False),
    sa.Column("spec", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

monitor_runs = sa.Table(
    "monitor_runs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("monitor_id", sa.Integer(), sa.ForeignKey("monitors.id"), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("batches", JSON, nullable=False),
    sa.Column("windows", JSON, nullable=False),
    sa.Column("problems", JSON, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Index("ix_monitor_runs_monitor_id", "monitor_id"),
)

monitor_windows = sa.Table(
    "monitor_windows",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("monitor_id", sa.Integer(), sa.ForeignKey("monitors.id"), nullable=False),
    sa.Column("window_start", UTCDateTime(), nullable=False),
    sa.Column("window_end", UTCDateTime(), nullable=False),
    sa.Column("rows", sa.BigInteger(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("result", JSON, nullable=False),
    sa.Column("run_id", sa.Integer(), sa.ForeignKey("monitor_runs.id"), nullable=False),
    sa.Column("computed_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("monitor_id", "window_start"),
)

monitor_values = sa.Table(
    "monitor_values",
    metadata,
    sa.Column("window_id", sa.Integer(), sa.ForeignKey("monitor_windows.id"), primary_key=True),
    sa.Column("metric", sa.String(80), primary_key=True),
    sa.Column("value", Real(), nullable=True),
)

monitor_alerts = sa.Table(
    "monitor_alerts",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("monitor_id", sa.Integer(), sa.ForeignKey("monitors.id"), nullable=False),
    sa.Column("rule", sa.String(80), nullable=False),
    sa.Column("metric", sa.String(80), nullable=False),
    sa.Column("condition", sa.String(60), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("first_breach_window", UTCDateTime(), nullable=False),
    sa.Column("opened_window", UTCDateTime(), nullable=False),
    sa.Column("last_window", UTCDateTime(), nullable=False),
    sa.Column("resolved_window", UTCDateTime(), nullable=True),
    sa.Column("opened_value", Real(), nullable=False),
    sa.Column("last_value", Real(), nullable=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("runbook", sa.Text(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("opened_at", UTCDateTime(), nullable=False),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("verdict", sa.String(20), nullable=True),
    sa.Column("verdict_by", sa.String(100), nullable=True),
    sa.Column("verdict_at", UTCDateTime(), nullable=True),
    sa.Column("verdict_note", sa.Text(), nullable=True),
    sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=True),
    sa.Column("action_id", sa.Integer(), sa.ForeignKey("remediation_actions.id"), nullable=True),
    sa.UniqueConstraint("monitor_id", "rule", "opened_window"),
    sa.Index("ix_monitor_alerts_opened_at", "opened_at"),
)

monitor_notifications = sa.Table(
    "monitor_notifications",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer(), sa.ForeignKey("monitor_alerts.id"), nullable=False),
    sa.Column("event", sa.String(30), nullable=False),
    sa.Column("route", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.Index("ix_monitor_notifications_alert_id", "alert_id"),
    sa.Index("ix_monitor_notifications_status", "status"),
)

MONITOR_TABLES: tuple[sa.Table, ...] = (
    monitors,
    monitor_runs,
    monitor_windows,
    monitor_values,
    monitor_alerts,
    monitor_notifications,
)
"""The monitoring tables, in an order that satisfies foreign keys."""

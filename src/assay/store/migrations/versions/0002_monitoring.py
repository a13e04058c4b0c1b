"""Post-launch monitoring: monitors, runs, windows and values (the time series), alerts and
their notifications.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: One JSON type for every JSON column (a JSON null is stored as SQL NULL).
JSON = sa.JSON(none_as_null=True)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    _monitors_and_runs()
    _windows_and_values()
    _alerts_and_notifications()


def _monitors_and_runs() -> None:
    """Monitors (one spec each) and the record of every run."""
    op.create_table(
        "monitors",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("system", sa.String(200), nullable=False),
        sa.Column("spec_sha256", sa.String(64), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitors"),
        sa.UniqueConstraint("name", name="uq_monitors_name"),
    )
    op.create_table(
        "monitor_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("batches", JSON, nullable=False),
        sa.Column("windows", JSON, nullable=False),
        sa.Column("problems", JSON, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_runs"),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name="fk_monitor_runs_monitor_id_monitors"
        ),
    )
    op.create_index("ix_monitor_runs_monitor_id", "monitor_runs", ["monitor_id"])


def _windows_and_values() -> None:
    """Windows of each monitor and their metric values: the time series."""
    op.create_table(
        "monitor_windows",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("window_start", _ts(), nullable=False),
        sa.Column("window_end", _ts(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_windows"),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name="fk_monitor_windows_monitor_id_monitors"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["monitor_runs.id"], name="fk_monitor_windows_run_id_monitor_runs"
        ),
        sa.UniqueConstraint(
            "monitor_id", "window_start", name="uq_monitor_windows_monitor_id_window_start"
        ),
    )
    op.create_table(
        "monitor_values",
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(80), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("window_id", "metric", name="pk_monitor_values"),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["monitor_windows.id"],
            name="fk_monitor_values_window_id_monitor_windows",
        ),
    )


def _alerts_and_notifications() -> None:
    """Alerts opened by the rules and the notifications sent about them."""
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(80), nullable=False),
        sa.Column("metric", sa.String(80), nullable=False),
        sa.Column("condition", sa.String(60), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("first_breach_window", _ts(), nullable=False),
        sa.Column("opened_window", _ts(), nullable=False),
        sa.Column("last_window", _ts(), nullable=False),
        sa.Column("resolved_window", _ts(), nullable=True),
        sa.Column("opened_value", sa.Float(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("runbook", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("opened_at", _ts(), nullable=False),
        sa.Column("resolved_at", _ts(), nullable=True),
        sa.Column("verdict", sa.String(20), nullable=True),
        sa.Column("verdict_by", sa.String(100), nullable=True),
        sa.Column("verdict_at", _ts(), nullable=True),
        sa.Column("verdict_note", sa.Text(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_alerts"),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name="fk_monitor_alerts_monitor_id_monitors"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_monitor_alerts_incident_id_incidents"
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["remediation_actions.id"],
            name="fk_monitor_alerts_action_id_remediation_actions",
        ),
        sa.UniqueConstraint(
            "monitor_id",
            "rule",
            "opened_window",
            name="uq_monitor_alerts_monitor_id_rule_opened_window",
        ),
    )
    op.create_index("ix_monitor_alerts_opened_at", "monitor_alerts", ["opened_at"])
    op.create_table(
        "monitor_notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("route", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("delivered_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_notifications"),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["monitor_alerts.id"],
            name="fk_monitor_notifications_alert_id_monitor_alerts",
        ),
    )
    op.create_index("ix_monitor_notifications_alert_id", "monitor_notifications", ["alert_id"])
    op.create_index("ix_monitor_notifications_status", "monitor_notifications", ["status"])


def downgrade() -> None:
    op.drop_index("ix_monitor_notifications_status", table_name="monitor_notifications")
    op.drop_index("ix_monitor_notifications_alert_id", table_name="monitor_notifications")
    op.drop_table("monitor_notifications")
    op.drop_index("ix_monitor_alerts_opened_at", table_name="monitor_alerts")
    op.drop_table("monitor_alerts")
    op.drop_table("monitor_values")
    op.drop_table("monitor_windows")
    op.drop_index("ix_monitor_runs_monitor_id", table_name="monitor_runs")
    op.drop_table("monitor_runs")
    op.drop_table("monitors")

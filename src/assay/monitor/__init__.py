"""Post-launch monitoring: specifications, windows, alert rules, notifiers, reports.

A monitoring specification (YAML, :func:`load_spec`) names what to watch in production log
batches — drift against a frozen reference profile, data quality, fairness and performance by
group once labels arrive — per window (hourly, daily, weekly), and when to alert whom.
:func:`run_monitor` stores each window's values as a time series in the workspace, evaluates the
alert rules (consecutive windows, de-duplication, auto-resolve) and notifies over webhooks, Slack
and e-mail; :func:`acknowledge_alert` marks an alert meaningful or noise (alert precision);
:func:`render_monitor_report` draws the series as a self-contained HTML report.
"""

from __future__ import annotations

from assay.governance import (
    MonitorStatus,
    acknowledge_alert,
    alert_precision,
    list_alerts,
    monitor_status,
)
from assay.monitor._notify import Delivery, deliver
from assay.monitor._report import render_monitor_report
from assay.monitor._run import (
    RUN_SCHEMA,
    MonitorAlerts,
    MonitorReference,
    MonitorRun,
    MonitorRunPayload,
    run_monitor,
)
from assay.monitor._spec import (
    AlertRule,
    MetricSpec,
    MonitorSpec,
    load_spec,
    spec_json_schema,
    spec_json_schema_text,
)

__all__ = [
    "RUN_SCHEMA",
    "AlertRule",
    "Delivery",
    "MetricSpec",
    "MonitorAlerts",
    "MonitorReference",
    "MonitorRun",
    "MonitorRunPayload",
    "MonitorSpec",
    "MonitorStatus",
    "acknowledge_alert",
    "alert_precision",
    "deliver",
    "list_alerts",
    "load_spec",
    "monitor_status",
    "render_monitor_report",
    "run_monitor",
    "spec_json_schema",
    "spec_json_schema_text",
]

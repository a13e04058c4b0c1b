"""``assay monitor ...``: run a monitoring spec over production batches, review its alerts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text, format_for
from assay.cli._source import open_for_command, with_source
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.sources import SourceSpec

monitor_app = typer.Typer(
    help="Post-launch monitoring: windows, time series, alerts, notifications, reports.",
    no_args_is_help=True,
)

WORKSPACE = typer.Option(
    None, "--workspace", "-w", help="A folder inside the workspace (default: the current one)."
)


def _open(workspace: Path | None) -> Any:
    from assay.governance import open_workspace

    return open_workspace(workspace)


def _value(x: Any) -> str:
    return "—" if x is None else (f"{x:.4g}" if isinstance(x, float) else str(x))


@monitor_app.command("run")
@with_source(None)
def run_command(
    spec: Path = typer.Option(..., "--spec", help="The monitoring spec (YAML)."),
    data: list[Path] = typer.Option(
        [],
        "--data",
        help="Production log batch(es): .parquet, .csv, .tsv, .jsonl; repeatable. A batch in a "
        "database or on Spark: --source-db with --table/--query, or --engine spark --table.",
    ),
    no_notify: bool = typer.Option(False, "--no-notify", help="Do not send notifications."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON here."),
    workspace: Path | None = WORKSPACE,
    source: SourceSpec | None = None,
) -> None:
    """Process batches into windows, store the values, evaluate alert rules and notify.

    Exit code 0 when the run went through (even with alerts), 1 when a batch, a window or a
    notification failed (each is recorded and reported).
    """
    from assay.monitor import run_monitor

    fmt = format_for(fmt, output, ("table", "json"), default="table")
    if fmt not in ("table", "json"):
        raise InputError(f"--format must be table or json; got '{fmt}'.")
    if not data and not (source and source.names_data):
        raise InputError(
            "Give the batch to process: --data FILE (repeatable), or --source-db URL with "
            "--table/--query, or --engine spark --table db.name."
        )
    with _open(workspace) as ws:
        if not (source and source.names_data):
            result = run_monitor(spec, data, workspace=ws, notify=not no_notify)
        else:
            with open_for_command(source) as opened, opened.reading():
                batches = [*data, opened.data]
                result = run_monitor(spec, batches, workspace=ws, notify=not no_notify)
    console = make_console(stderr=fmt == "json" and output is None)
    if fmt == "json":
        emit_text(result.to_json(), output, console)
    else:
        _print_run(result.to_dict(), console)
    if result.status != "ok":
        raise typer.Exit(1)


def _print_run(p: dict[str, Any], console: Console) -> None:
    console.print(
        f"[bold]{p['monitor']}[/] ({p['system']}): run {p['run_id']}, "
        f"{len(p['batches'])} batch(es), {len(p['windows'])} window(s)"
    )
    table = Table(show_edge=False, header_style="bold")
    table.add_column("window")
    table.add_column("rows", justify="right")
    table.add_column("status")
    names = list(p["windows"][0]["values"]) if p["windows"] else []
    for name in names:
        table.add_column(name, justify="right")
    for w in p["windows"]:
        table.add_row(
            w["start"][:16].replace("T00:00", ""),
            str(w["rows"]),
            w["status"],
            *[_value(w["values"][n]) for n in names],
        )
    console.print(table)
    for a in p["alerts"]["opened"]:
        console.print(
            f"[red]alert #{a['id']} opened[/] {a['rule']} ({a['severity']}): {a['message']}"
        )
    for a in p["alerts"]["resolved"]:
        console.print(f"[green]alert #{a['id']} resolved[/] {a['rule']}")
    for d in p["notifications"]:
        state = "[green]delivered[/]" if d["ok"] else f"[red]failed[/] ({d['error']})"
        console.print(f"notification {d['event']} #{d['alert_id']} → {d['route']}: {state}")
    for problem in p["problems"]:
        console.print(f"[yellow]problem[/] {problem['problem']}: {problem['message']}")


@monitor_app.command("alerts")
def alerts_command(
    monitor: str | None = typer.Option(None, "--monitor", help="Only this monitor."),
    status: str | None = typer.Option(None, "--status", help="firing or resolved."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    workspace: Path | None = WORKSPACE,
) -> None:
    """List alerts, newest first."""
    from assay.monitor import list_alerts

    if status not in (None, "firing", "resolved"):
        raise InputError(f"--status must be firing or resolved; got '{status}'.")
    with _open(workspace) as ws:
        alerts = list_alerts(ws, monitor=monitor, status=status)
    if fmt == "json":
        typer.echo(json.dumps(alerts, default=str, indent=2))
        return
    table = Table(show_edge=False, header_style="bold")
    for name in ("#", "monitor", "rule", "severity", "status", "opened", "verdict"):
        table.add_column(name)
    for a in alerts:
        table.add_row(
            str(a["id"]),
            a["monitor"],
            a["rule"],
            a["severity"],
            a["status"],
            a["opened_window"].strftime("%Y-%m-%d %H:%M"),
            a["verdict"] or "—",
        )
    make_console().print(table)


@monitor_app.command("ack")
def ack_command(
    alert: int = typer.Argument(..., help="The alert number."),
    meaningful: bool = typer.Option(False, "--meaningful", help="The alert was worth raising."),
    noise: bool = typer.Option(False, "--noise", help="The alert was noise."),
    note: str | None = typer.Option(None, "--note", help="Why."),
    workspace: Path | None = WORKSPACE,
) -> None:
    """Acknowledge an alert as meaningful or noise (this is what alert precision counts)."""
    from assay.monitor import acknowledge_alert

    if meaningful == noise:
        raise InputError("Say whether the alert was --meaningful or --noise (one of the two).")
    with _open(workspace) as ws:
        row = acknowledge_alert(ws, alert, "meaningful" if meaningful else "noise", note)
    make_console().print(f"alert #{row['id']} acknowledged as {row['verdict']}")


@monitor_app.command("precision")
def precision_command(
    monitor: str | None = typer.Option(None, "--monitor", help="Only this monitor."),
    since: str | None = typer.Option(None, "--since", help="Alerts opened from YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Alerts opened before YYYY-MM-DD."),
    workspace: Path | None = WORKSPACE,
) -> None:
    """Alert precision: the share of acknowledged alerts marked meaningful."""
    from assay.monitor import alert_precision

    def day(text: str | None, flag: str) -> dt.datetime | None:
        if text is None:
            return None
        try:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
        except ValueError:
            raise InputError(f"{flag} takes a date YYYY-MM-DD; got '{text}'.") from None

    with _open(workspace) as ws:
        p = alert_precision(ws, day(since, "--since"), day(until, "--until"), monitor=monitor)
    shown = "—" if p["precision"] is None else f"{p['precision']:.0%}"
    make_console().print(
        f"alert precision {shown}: {p['meaningful']} meaningful, {p['noise']} noise, "
        f"{p['unacknowledged']} not acknowledged, {p['alerts']} alerts"
    )


@monitor_app.command("report")
def report_command(
    monitor: str = typer.Option(..., "--monitor", help="The monitor's name (from its spec)."),
    output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write."),
    workspace: Path | None = WORKSPACE,
) -> None:
    """The monitor's time series, alerts and problems as one self-contained HTML file."""
    from assay.monitor import render_monitor_report

    with _open(workspace) as ws:
        html = render_monitor_report(ws, monitor)
    emit_text(html, output, make_console(stderr=True))


@monitor_app.command("register")
def register_command(
    spec: Path = typer.Option(..., "--spec", help="The monitoring spec (YAML)."),
    workspace: Path | None = WORKSPACE,
) -> None:
    """Record the spec as the system's monitoring component (it counts for monitoring coverage)."""
    from assay.canonical import hex_of
    from assay.governance import add_component
    from assay.monitor import load_spec

    parsed = load_spec(spec)
    version = hex_of(parsed.digest())[:12]
    details = {
        "metrics": [m.model_dump(mode="json") for m in parsed.metrics],
        "alerts": [a.model_dump(mode="json") for a in parsed.alerts],
        "window": parsed.window.size,
        "owner": parsed.owner,
        "runbook": parsed.runbook,
    }
    with _open(workspace) as ws:
        component = add_component(
            ws, parsed.system, "monitoring", parsed.name, version, path=spec, details=details
        )
    make_console().print(
        f"registered monitoring spec {parsed.name} (version {version}) for {parsed.system}"
        f" as component {getattr(component, 'id', '')}"
    )


@monitor_app.command("validate")
def validate_command(
    spec: Path = typer.Option(..., "--spec", help="The monitoring spec (YAML)."),
) -> None:
    """Check a spec against its schema and say what it watches."""
    from assay.monitor import load_spec

    parsed = load_spec(spec)
    make_console().print(
        f"{spec}: valid. {len(parsed.metrics)} metric(s), {len(parsed.alerts)} alert rule(s), "
        f"{len(parsed.notifications.routes)} route(s), {parsed.window.size} windows."
    )


@monitor_app.command("schema")
def schema_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the schema here."),
) -> None:
    """Print the JSON Schema of monitoring specs."""
    from assay.monitor import spec_json_schema_text

    emit_text(spec_json_schema_text(), output, make_console(stderr=True))

"""``assay kpis``: program KPIs for a period, as a table, JSON or CSV."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assay import governance as g
from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened, print_json
from assay.errors import InputError
from assay.policy import reporting_period

__all__ = ["kpis_command"]


def kpis_command(
    start: Annotated[
        str | None,
        typer.Option(
            "--from", help="First day YYYY-MM-DD (default: the first day of this quarter)."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last day, inclusive (default: the last day of this quarter)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv")] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    org: Annotated[
        str | None,
        typer.Option("--org", help="One organisation's KPIs (default: every one you see)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Compute the program KPIs from the records for a period."""
    if as_json:
        fmt = "json"
    if fmt not in ("table", "json", "csv"):
        raise InputError(f"--format must be table, json or csv, not {fmt!r}.")
    with opened(workspace, db) as ws:
        q_start, q_end = reporting_period(ws.today())
        report = g.compute_kpis(ws, start or q_start, end or q_end, org=org)
    if fmt == "json":
        print_json(report)
    elif fmt == "csv":
        typer.echo(report.to_csv(), nl=False)
    else:
        whose = "Program" if report.org is None else f"{report.org}:"
        table = Table(title=f"{whose} KPIs {report.start} to {report.end}", title_justify="left")
        for col in ("KPI", "value", "n", "target"):
            table.add_column(col, justify="right" if col in ("value", "n") else "left")
        for k in report.kpis:
            value = "—" if k.value is None else f"{k.value:g}"
            unit = (
                ""
                if k.unit == "count" or k.value is None
                else ("%" if k.unit == "%" else f" {k.unit}")
            )
            table.add_row(k.name, value + unit, str(k.n), k.target)
        console.print(table)

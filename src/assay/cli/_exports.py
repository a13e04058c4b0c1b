"""``assay bom ...`` and ``assay oscal ...``: a system's records in CycloneDX and OSCAL;
``assay export kpis|risks|actions|waivers|reviews``: the program's records as CSV or Parquet
tables for BI tools.

``assay export DIR`` (and ``assay export workspace DIR``) is still the whole workspace as a
git-diffable folder: a first argument that names no table is that folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from assay.cli._exchange import export_command
from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened
from assay.errors import InputError
from assay.exports import (
    BI_FORMATS,
    bi_bytes,
    bi_table,
    cyclonedx_bom,
    oscal_assessment_results,
    oscal_poam,
    write_json,
)
from assay.policy import load_policy

__all__ = ["bom_app", "export_app", "oscal_app"]


class ExportGroup(TyperGroup):
    """``assay export``: a table name runs that table's export; anything else is the folder of
    the workspace export (``assay export records/`` as before the tables existed)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["workspace", *args]
        return list(super().parse_args(ctx, args))


export_app = typer.Typer(
    cls=ExportGroup,
    help="Export the program's records: a table for BI tools (CSV, Parquet), or the workspace.",
    no_args_is_help=True,
)
export_app.command("workspace")(export_command)

bom_app = typer.Typer(help="Bills of materials of an AI system (CycloneDX 1.6 ML-BOM).",
                      no_args_is_help=True)  # fmt: skip
oscal_app = typer.Typer(
    help="OSCAL documents of an AI system: assessment results and POA&M.", no_args_is_help=True
)

SystemArg = Annotated[str, typer.Argument(help="The AI system.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (default: print).")
]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model-version", help="NAME@VERSION or VERSION (default: the latest)."),
]


def _emit(document: dict[str, Any], output: Path | None, what: str) -> None:
    if output is None:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    write_json(document, output)
    console.print(f"wrote {what} to {output}")


@bom_app.command("cyclonedx")
def cyclonedx_command(
    system: SystemArg,
    output: OutputOpt = None,
    model_version: ModelOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The CycloneDX 1.6 ML-BOM: the system, its model with a model card, its datasets."""
    with opened(workspace, db) as ws:
        bom = cyclonedx_bom(ws, system, model_version=model_version)
    _emit(bom, output, "the CycloneDX 1.6 ML-BOM")


@oscal_app.command("assessment-results")
def assessment_results_command(
    system: SystemArg,
    output: OutputOpt = None,
    model_version: ModelOpt = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy file (default: the shipped one).")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """OSCAL assessment results: evidence as observations, evaluation verdicts as findings."""
    pol = load_policy(policy)
    with opened(workspace, db) as ws:
        doc = oscal_assessment_results(ws, system, model_version=model_version, policy=pol)
    _emit(doc, output, "the OSCAL assessment results")


@oscal_app.command("poam")
def poam_command(
    system: SystemArg,
    output: OutputOpt = None,
    model_version: ModelOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """OSCAL plan of action and milestones: open risks and their remediation actions."""
    with opened(workspace, db) as ws:
        doc = oscal_poam(ws, system, model_version=model_version)
    _emit(doc, output, "the OSCAL POA&M")


FormatOpt = Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(BI_FORMATS)}.")]
TableOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to this file (default: print CSV; Parquet needs a file)."
    ),
]


def _export_table(
    kind: str,
    fmt: str,
    output: Path | None,
    workspace: Path | None,
    db: str | None,
    period: tuple[str | None, str | None] = (None, None),
) -> None:
    if fmt not in BI_FORMATS:
        raise InputError(f"--format must be one of {', '.join(BI_FORMATS)}, not {fmt!r}.")
    if fmt == "parquet" and output is None:
        raise InputError("Parquet is a binary format; name the file to write with --output FILE.")
    with opened(workspace, db) as ws:
        table = bi_table(ws, kind, start=period[0], end=period[1])
    data = bi_bytes(table, fmt)
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    output.write_bytes(data)
    console.print(f"wrote {len(table.rows)} {kind} rows to {output}")


@export_app.command("kpis")
def export_kpis_command(
    fmt: FormatOpt = "csv",
    output: TableOutputOpt = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day YYYY-MM-DD (default: this reporting period's)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, inclusive (default: this period's).")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The program KPIs of a period, one row per KPI (the dashboard's numbers)."""
    _export_table("kpis", fmt, output, workspace, db, (start, end))


@export_app.command("risks")
def export_risks_command(
    fmt: FormatOpt = "csv",
    output: TableOutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The risk register, one row per risk."""
    _export_table("risks", fmt, output, workspace, db)


@export_app.command("actions")
def export_actions_command(
    fmt: FormatOpt = "csv",
    output: TableOutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Remediation and corrective actions, one row per action."""
    _export_table("actions", fmt, output, workspace, db)


@export_app.command("waivers")
def export_waivers_command(
    fmt: FormatOpt = "csv",
    output: TableOutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Waivers with their age, one row per waiver."""
    _export_table("waivers", fmt, output, workspace, db)


@export_app.command("reviews")
def export_reviews_command(
    fmt: FormatOpt = "csv",
    output: TableOutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Reviews, one row per review."""
    _export_table("reviews", fmt, output, workspace, db)

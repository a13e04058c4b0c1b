"""``assay bom ...`` and ``assay oscal ...``: a system's records in CycloneDX and OSCAL.

(``assay export`` is the workspace export of the governance CLI; these are standard formats.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened
from assay.exports import cyclonedx_bom, oscal_assessment_results, oscal_poam, write_json
from assay.policy import load_policy

__all__ = ["bom_app", "oscal_app"]

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

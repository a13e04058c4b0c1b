"""The root ``assay`` command and the error boundary every command shares.

Each command group lives in its own module and registers itself here. Errors that Assay raises on
purpose (:class:`assay.errors.AssayError`) are printed as one clear message with exit code 2;
anything else is a bug and is shown with a short request to report it, still without a traceback
unless ``ASSAY_DEBUG=1`` is set.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from assay._version import __version__
from assay.cli._audit import audit_app
from assay.cli._check import check_app
from assay.cli._demo import demo_command
from assay.cli._documents import (
    card_app,
    checklist_command,
    completeness_command,
    datasheet_command,
    packet_app,
    report_app,
)
from assay.cli._evaluate import evaluate_app
from assay.cli._evidence import evidence_app
from assay.cli._exchange import backup_command, export_command, import_command, restore_command
from assay.cli._exports import bom_app, oscal_app
from assay.cli._frameworks import frameworks_app
from assay.cli._gate import gate_command
from assay.cli._incident import incident_app
from assay.cli._kpis import kpis_command
from assay.cli._monitor import monitor_app
from assay.cli._pii import pii_app
from assay.cli._policy import policy_app
from assay.cli._redteam import redteam_app
from assay.cli._review import approval_app, review_app
from assay.cli._risk import action_app, risk_app
from assay.cli._robustness import explain_command, robustness_app
from assay.cli._serve import passwd_command, serve_command, token_command
from assay.cli._system import dataset_version_app, model_version_app, system_app
from assay.cli._waiver import waiver_app
from assay.cli._workspace import db_app, init_command, user_app
from assay.errors import AssayError

app = typer.Typer(
    name="assay",
    help="Responsible AI assurance: evaluate, record evidence, document, govern, gate, monitor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(check_app, name="check")
app.add_typer(monitor_app, name="monitor")
app.add_typer(policy_app, name="policy")
app.add_typer(pii_app, name="pii")
app.add_typer(redteam_app, name="redteam")
app.add_typer(robustness_app, name="robustness")
app.command("explain")(explain_command)
app.command("demo")(demo_command)
# Workspace, evidence store and governance (issue 3).
app.command("init")(init_command)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
user_app.command("passwd")(passwd_command)
user_app.command("token")(token_command)
app.command("serve")(serve_command)
app.add_typer(system_app, name="system")
app.add_typer(model_version_app, name="model-version")
app.add_typer(dataset_version_app, name="dataset-version")
app.add_typer(evidence_app, name="evidence")
app.add_typer(review_app, name="review")
app.add_typer(approval_app, name="approval")
app.add_typer(risk_app, name="risk")
app.add_typer(action_app, name="action")
app.add_typer(waiver_app, name="waiver")
app.add_typer(incident_app, name="incident")
app.add_typer(audit_app, name="audit")
app.command("kpis")(kpis_command)
app.command("export")(export_command)
app.command("import")(import_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
# Documents from evidence (issue 4).
app.add_typer(card_app, name="card")
app.command("datasheet")(datasheet_command)
app.add_typer(report_app, name="report")
app.add_typer(packet_app, name="packet")
app.command("completeness")(completeness_command)
app.command("checklist")(checklist_command)
# Frameworks, crosswalk and standard exports (issue 4, parts 6 and 7).
app.add_typer(frameworks_app, name="frameworks")
app.add_typer(bom_app, name="bom")
app.add_typer(oscal_app, name="oscal")
# The policy gate for CI/CD and model registries (issue 7).
app.command("gate")(gate_command)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"assay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Assay: evaluate → record evidence → document → govern → gate in CI → monitor."""


def main() -> None:
    """Entry point of the ``assay`` script."""
    err = Console(stderr=True, highlight=False)
    try:
        # Typer's standalone mode prints usage errors itself and exits with code 2.
        app()
    except AssayError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("ASSAY_DEBUG") == "1":
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in Assay. Run again with ASSAY_DEBUG=1 to see the traceback, "
            "and report it with that output.",
            markup=True,
            soft_wrap=True,
        )
        sys.exit(3)

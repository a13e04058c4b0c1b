"""``assay incident``: open, update, timeline, bundle, close."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    emit,
    list_table,
    opened,
    record_table,
)

__all__ = ["incident_app"]

incident_app = typer.Typer(
    help="Incidents and their first-hours evidence bundle.", no_args_is_help=True
)
Text = Annotated[str | None, typer.Option(show_default=False)]
Many = Annotated[list[str] | None, typer.Option(show_default=False)]


def _show(inc: g.Incident, as_json: bool, message: str | None = None) -> None:
    emit(
        inc,
        as_json,
        record_table(f"Incident {inc.ref}", inc, skip=("timeline",)),
        *(
            [list_table("Timeline", inc.timeline, ["at", "entry", "created_by"])]
            if inc.timeline
            else []
        ),
        message=message,
    )


@incident_app.command("open")
def incident_open(
    title: str,
    severity: Annotated[str, typer.Option(help="sev1 (most severe) to sev4")],
    occurred: Annotated[str, typer.Option("--occurred", help="When it started (ISO; UTC).")],
    detected: Annotated[str | None, typer.Option("--detected", help="Default: now.")] = None,
    system: Many = None,
    model_version: Annotated[
        list[str] | None, typer.Option(help="SYSTEM:VERSION; repeatable.", show_default=False)
    ] = None,
    dataset_version: Many = None,
    cohort: Many = None,
    summary: Text = None,
    commander: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open an incident on the affected systems, versions and cohorts."""
    with opened(workspace, db) as ws:
        inc = g.open_incident(
            ws,
            title=title,
            severity=severity,
            occurred_at=occurred,
            detected_at=detected,
            systems=system or (),
            model_versions=model_version or (),
            dataset_versions=dataset_version or (),
            cohorts=cohort or (),
            summary=summary,
            commander=commander,
        )
    _show(
        inc, as_json, f"Opened {inc.ref}. Gather the evidence: `assay incident bundle {inc.ref}`."
    )


@incident_app.command("update")
def incident_update(
    ref: str,
    status: Annotated[str | None, typer.Option(help="open or mitigated")] = None,
    severity: Text = None,
    summary: Text = None,
    mitigations: Annotated[str | None, typer.Option(help="Immediate mitigations.")] = None,
    root_cause: Text = None,
    postmortem: Text = None,
    commander: Text = None,
    cohort: Many = None,
    system: Many = None,
    model_version: Many = None,
    dataset_version: Many = None,
    risk: Many = None,
    note: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Update an incident; list options add to what is recorded."""
    with opened(workspace, db) as ws:
        inc = g.update_incident(
            ws,
            ref,
            status=status,
            severity=severity,
            summary=summary,
            immediate_mitigations=mitigations,
            root_cause=root_cause,
            postmortem=postmortem,
            commander=commander,
            add_cohorts=cohort or (),
            add_systems=system or (),
            add_model_versions=model_version or (),
            add_dataset_versions=dataset_version or (),
            add_risks=risk or (),
            note=note,
        )
    _show(inc, as_json)


@incident_app.command("timeline")
def incident_timeline(
    ref: str,
    entry: str,
    at: Annotated[str | None, typer.Option("--at", help="When (ISO); default now.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a timeline entry."""
    with opened(workspace, db) as ws:
        inc = g.add_timeline_entry(ws, ref, entry, at=at)
    _show(inc, as_json)


@incident_app.command("close")
def incident_close(
    ref: str,
    root_cause: Text = None,
    postmortem: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close an incident (needs a root cause, a postmortem, and for sev1/sev2 an action)."""
    with opened(workspace, db) as ws:
        inc = g.close_incident(ws, ref, root_cause=root_cause, postmortem=postmortem)
    _show(inc, as_json, f"Closed {inc.ref}.")


@incident_app.command("bundle")
def incident_bundle(
    ref: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="The zip to write.")] = None,
    window_hours: Annotated[
        float, typer.Option(min=0, help="Monitoring window around the incident.")
    ] = 72.0,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gather everything linked to the affected versions into one archive with a manifest."""
    with opened(workspace, db) as ws:
        bundle = g.bundle_incident(ws, ref, out=output, window_hours=window_hours)
    emit(
        bundle,
        as_json,
        message=(
            f"Wrote {bundle.path} ({bundle.files} files, sha256 {bundle.sha256}); recorded as "
            f"{bundle.evidence.ref}."
        ),
    )


@incident_app.command("show")
def incident_show(
    ref: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Show an incident."""
    with opened(workspace, db) as ws:
        inc = g.get_incident(ws, ref)
    _show(inc, as_json)


@incident_app.command("list")
def incident_list(
    open_only: Annotated[bool, typer.Option("--open")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List incidents, newest first."""
    with opened(workspace, db) as ws:
        rows = g.list_incidents(ws, open_only=open_only)
    emit(
        rows,
        as_json,
        list_table(
            "Incidents",
            rows,
            [
                "ref",
                "title",
                "severity",
                "status",
                "detected_at",
                "systems",
                "first_bundle_at",
            ],
        ),
    )

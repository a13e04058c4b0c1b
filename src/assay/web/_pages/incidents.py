"""Incident pages: the list, opening one, and one incident's timeline, corrective actions,
postmortem, closing and evidence bundles."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from assay.governance import (
    INCIDENT_SEVERITIES,
    Bundle,
    EvidenceRecord,
    Incident,
    Workspace,
    add_action,
    add_timeline_entry,
    audit_log,
    bundle_incident,
    close_incident,
    get_incident,
    list_actions,
    list_evidence,
    list_incidents,
    list_systems,
    open_incident,
    update_incident,
)
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_list, form_text
from assay.web._templates import render

__all__ = [
    "incident_bundles",
    "make_bundle",
    "open_incident_from_form",
    "router",
    "timeline_of",
]


def incident_bundles(ws: Workspace, incident: Incident) -> list[EvidenceRecord]:
    """The evidence bundles made for ``incident``, newest first."""
    return [
        e
        for e in list_evidence(ws, kind="incident_bundle", include_superseded=True)
        if isinstance(e.parameters, dict) and e.parameters.get("incident") == incident.ref
    ]


def make_bundle(ws: Workspace, ref: str) -> tuple[Bundle, bytes]:
    """Bundle an incident's evidence; the archive is kept in the blob store, not on disk."""
    with tempfile.TemporaryDirectory(prefix="assay-bundle-") as tmp:
        bundle = bundle_incident(ws, ref, out=Path(tmp) / "bundle.zip")
        data = bundle.path.read_bytes()
    return bundle, data


def timeline_of(incident: Incident) -> list[tuple[dt.datetime, str, str | None]]:
    """The incident's timeline in time order: occurred, detected, entries, closed, as
    (when, what, who); milestones have no author."""
    rows: list[tuple[dt.datetime, str, str | None]] = [
        (incident.occurred_at, "occurred", None),
        (incident.detected_at, "detected", None),
        *((t.at, t.entry, t.created_by) for t in incident.timeline),
    ]
    if incident.closed_at is not None:
        rows.append((incident.closed_at, "closed", None))
    return sorted(rows, key=lambda r: r[0])


def open_incident_from_form(ctx: Ctx, form: FormData) -> Incident:
    """Open an incident from the web form's fields."""
    return open_incident(
        ctx.ws,
        title=form_text(form, "title") or "",
        severity=form_text(form, "severity") or "",
        occurred_at=form_text(form, "occurred_at") or "",
        detected_at=form_text(form, "detected_at", required=False),
        systems=form_list(form, "systems"),
        cohorts=form_list(form, "cohorts"),
        summary=form_text(form, "summary", required=False),
        commander=form_text(form, "commander", required=False),
    )


router = APIRouter()


@router.get("/incidents", include_in_schema=False)
def incidents(request: Request, ctx: Ctx = Depends(resolve), show: str = "all") -> Response:
    """The incident list, every incident or the open ones, with the form to open one."""
    rows = list_incidents(ctx.ws, open_only=show == "open")
    return render(
        request,
        "incidents.html",
        ctx,
        incidents=rows,
        show="open" if show == "open" else "all",
        systems=list_systems(ctx.ws),
        severities=INCIDENT_SEVERITIES,
        now=ctx.ws.now(),
    )


@router.post("/incidents", include_in_schema=False)
def open_incident_page(
    request: Request, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Open an incident and go to its page."""
    ctx, form = posted
    incident = open_incident_from_form(ctx, form)
    return flash_redirect(
        request, ctx, f"/incidents/{incident.ref}", f"Opened {incident.ref} ({incident.severity})."
    )


@router.get("/incidents/{ref}", include_in_schema=False)
def incident_page(
    request: Request, ref: str, ctx: Ctx = Depends(resolve), bundled: str | None = None
) -> Response:
    """One incident: timeline, corrective actions, bundles (``bundled`` is the one just made)."""
    incident = get_incident(ctx.ws, ref)
    bundles = incident_bundles(ctx.ws, incident)
    return render(
        request,
        "incident.html",
        ctx,
        i=incident,
        timeline=timeline_of(incident),
        actions=list_actions(ctx.ws, incident=incident.ref),
        bundles=bundles,
        fresh=next((b for b in bundles if b.ref == bundled), None),
        history=audit_log(ctx.ws, entity=incident.ref, newest_first=True, limit=50),
        severities=INCIDENT_SEVERITIES,
        today=ctx.ws.today(),
    )


@router.post("/incidents/{ref}/timeline", include_in_schema=False)
def timeline(
    request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Add an entry to the incident's timeline."""
    ctx, form = posted
    incident = add_timeline_entry(
        ctx.ws,
        ref,
        form_text(form, "entry") or "",
        at=form_text(form, "at", required=False),
    )
    return flash_redirect(
        request,
        ctx,
        f"/incidents/{incident.ref}#timeline",
        f"Added an entry to the timeline of {incident.ref}.",
    )


@router.post("/incidents/{ref}/update", include_in_schema=False)
def update(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Change the fields the form changed (the others are left as they are)."""
    ctx, form = posted
    current = get_incident(ctx.ws, ref)
    incident = update_incident(
        ctx.ws,
        ref,
        status=_changed(form, "status", current.status),
        severity=_changed(form, "severity", current.severity),
        summary=_changed(form, "summary", current.summary),
        immediate_mitigations=_changed(
            form, "immediate_mitigations", current.immediate_mitigations
        ),
        root_cause=_changed(form, "root_cause", current.root_cause),
        postmortem=_changed(form, "postmortem", current.postmortem),
        commander=_changed(form, "commander", current.commander),
        add_cohorts=form_list(form, "add_cohorts"),
        add_risks=form_list(form, "add_risks"),
        note=form_text(form, "note", required=False),
    )
    return flash_redirect(
        request, ctx, f"/incidents/{incident.ref}", f"Saved the changes to {incident.ref}."
    )


def _changed(form: FormData, key: str, old: str | None) -> str | None:
    """The form's value for ``key`` when it differs from ``old``; None when unchanged or absent."""
    value = form_text(form, key, required=False)
    return value if value is not None and value != old else None


@router.post("/incidents/{ref}/actions", include_in_schema=False)
def corrective_action(
    request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Add a corrective action owned by someone, due by a date, linked to the incident."""
    ctx, form = posted
    incident = get_incident(ctx.ws, ref)
    action = add_action(
        ctx.ws,
        title=form_text(form, "title") or "",
        owner=form_text(form, "owner") or "",
        due_date=form_text(form, "due_date") or "",
        incident=incident.ref,
        description=form_text(form, "description", required=False),
    )
    return flash_redirect(
        request,
        ctx,
        f"/incidents/{incident.ref}#actions",
        f"Added {action.ref}, due {action.due_date}, owned by {action.owner}.",
    )


@router.post("/incidents/{ref}/close", include_in_schema=False)
def close(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Close the incident with its root cause and postmortem."""
    ctx, form = posted
    incident = close_incident(
        ctx.ws,
        ref,
        root_cause=form_text(form, "root_cause", required=False),
        postmortem=form_text(form, "postmortem", required=False),
    )
    return flash_redirect(request, ctx, f"/incidents/{incident.ref}", f"Closed {incident.ref}.")


@router.post("/incidents/{ref}/bundle", include_in_schema=False)
def bundle(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Bundle the incident's evidence and show the bundle just made."""
    ctx, _ = posted
    made, _data = make_bundle(ctx.ws, ref)
    incident = get_incident(ctx.ws, ref)
    target = f"/incidents/{incident.ref}?bundled={made.evidence.ref}#bundles"
    return flash_redirect(request, ctx, target, f"Made the evidence bundle {made.evidence.ref}.")

"""Incident pages: the list, opening one, and one incident's timeline, corrective actions,
postmortem, closing and evidence bundles."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
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
from assay.web._app import Ctx, render
from assay.web._forms import form_list, form_text

__all__ = [
    "incident_bundles",
    "make_bundle",
    "open_incident_from_form",
    "register_incident_pages",
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


def register_incident_pages(app: FastAPI) -> None:
    """Add the incident pages to ``app``."""
    resolve = app.state.resolve
    writer = app.state.writer

    @app.get("/incidents", include_in_schema=False)
    def incidents(request: Request, ctx: Ctx = Depends(resolve), show: str = "all") -> Response:
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

    @app.post("/incidents", include_in_schema=False)
    def open_incident_page(posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        incident = open_incident_from_form(ctx, form)
        return RedirectResponse(f"/incidents/{incident.ref}", 303)

    @app.get("/incidents/{ref}", include_in_schema=False)
    def incident_page(
        request: Request, ref: str, ctx: Ctx = Depends(resolve), bundled: str | None = None
    ) -> Response:
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

    @app.post("/incidents/{ref}/timeline", include_in_schema=False)
    def timeline(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        incident = add_timeline_entry(
            ctx.ws,
            ref,
            form_text(form, "entry") or "",
            at=form_text(form, "at", required=False),
        )
        return RedirectResponse(f"/incidents/{incident.ref}#timeline", 303)

    @app.post("/incidents/{ref}/update", include_in_schema=False)
    def update(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        current = get_incident(ctx.ws, ref)

        def changed(key: str, old: str | None) -> str | None:
            value = form_text(form, key, required=False)
            return value if value is not None and value != old else None

        incident = update_incident(
            ctx.ws,
            ref,
            status=changed("status", current.status),
            severity=changed("severity", current.severity),
            summary=changed("summary", current.summary),
            immediate_mitigations=changed("immediate_mitigations", current.immediate_mitigations),
            root_cause=changed("root_cause", current.root_cause),
            postmortem=changed("postmortem", current.postmortem),
            commander=changed("commander", current.commander),
            add_cohorts=form_list(form, "add_cohorts"),
            add_risks=form_list(form, "add_risks"),
            note=form_text(form, "note", required=False),
        )
        return RedirectResponse(f"/incidents/{incident.ref}", 303)

    @app.post("/incidents/{ref}/actions", include_in_schema=False)
    def corrective_action(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        incident = get_incident(ctx.ws, ref)
        add_action(
            ctx.ws,
            title=form_text(form, "title") or "",
            owner=form_text(form, "owner") or "",
            due_date=form_text(form, "due_date") or "",
            incident=incident.ref,
            description=form_text(form, "description", required=False),
        )
        return RedirectResponse(f"/incidents/{incident.ref}#actions", 303)

    @app.post("/incidents/{ref}/close", include_in_schema=False)
    def close(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        incident = close_incident(
            ctx.ws,
            ref,
            root_cause=form_text(form, "root_cause", required=False),
            postmortem=form_text(form, "postmortem", required=False),
        )
        return RedirectResponse(f"/incidents/{incident.ref}", 303)

    @app.post("/incidents/{ref}/bundle", include_in_schema=False)
    def bundle(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, _ = posted
        made, _data = make_bundle(ctx.ws, ref)
        incident = get_incident(ctx.ws, ref)
        target = f"/incidents/{incident.ref}?bundled={made.evidence.ref}#bundles"
        return RedirectResponse(target, 303)

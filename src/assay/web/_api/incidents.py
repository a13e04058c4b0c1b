"""``/api/incidents``: opening, updating and closing incidents, their timeline and evidence
bundles."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from assay.governance import (
    add_timeline_entry,
    close_incident,
    get_incident,
    list_incidents,
    open_incident,
    update_incident,
)
from assay.web._api.schemas import CloseIn, IncidentIn, IncidentPatch, Json, TimelineIn
from assay.web._context import Ctx, api_writer, resolve
from assay.web._pages.incidents import make_bundle

__all__ = ["router"]

router = APIRouter()


@router.get("/api/incidents", tags=["incidents"])
def incidents(ctx: Ctx = Depends(resolve), open_only: bool = False) -> list[Json]:
    """Incidents, newest first."""
    return [i.to_dict() for i in list_incidents(ctx.ws, open_only=open_only)]


@router.post("/api/incidents", tags=["incidents"], status_code=201)
def create_incident(body: IncidentIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Open an incident (any role but viewer)."""
    return open_incident(ctx.ws, **body.model_dump()).to_dict()


@router.get("/api/incidents/{ref}", tags=["incidents"])
def incident(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
    """One incident with its timeline and links."""
    return get_incident(ctx.ws, ref).to_dict()


@router.patch("/api/incidents/{ref}", tags=["incidents"])
def patch_incident(ref: str, body: IncidentPatch, ctx: Ctx = Depends(api_writer)) -> Json:
    """Update an incident's fields, links or status (open, mitigated)."""
    return update_incident(ctx.ws, ref, **body.model_dump()).to_dict()


@router.post("/api/incidents/{ref}/timeline", tags=["incidents"])
def timeline(ref: str, body: TimelineIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Add a timeline entry."""
    return add_timeline_entry(ctx.ws, ref, body.entry, at=body.at).to_dict()


@router.post("/api/incidents/{ref}/close", tags=["incidents"])
def close(ref: str, body: CloseIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Close an incident (needs a root cause, a postmortem, and for sev1/sev2 an action)."""
    return close_incident(ctx.ws, ref, **body.model_dump()).to_dict()


@router.post(
    "/api/incidents/{ref}/bundle",
    tags=["incidents"],
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The zip archive."}},
)
def bundle(ref: str, ctx: Ctx = Depends(api_writer)) -> Response:
    """Make the incident's evidence bundle and return the zip; ``X-Assay-Evidence`` names the
    evidence record it was filed as and ``X-Assay-Sha256`` its hash."""
    made, data = make_bundle(ctx.ws, ref)
    name = f"{made.evidence.parameters['incident']}-bundle.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Assay-Evidence": made.evidence.ref,
            "X-Assay-Sha256": made.sha256,
        },
    )

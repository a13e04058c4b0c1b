"""The audit log page, newest first, filterable by record."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from assay.governance import audit_log
from assay.web._context import Ctx, resolve
from assay.web._templates import render

__all__ = ["router"]

router = APIRouter()


@router.get("/audit", include_in_schema=False)
def audit(request: Request, ctx: Ctx = Depends(resolve), entity: str | None = None) -> Response:
    """The newest 200 audit events, of one record when ``entity`` is given."""
    events = audit_log(ctx.ws, entity=entity or None, newest_first=True, limit=200)
    return render(request, "audit.html", ctx, events=events, entity=entity or "")

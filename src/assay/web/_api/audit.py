"""``/api/audit``: audit events, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from assay.governance import audit_log
from assay.web._api.schemas import Json
from assay.web._context import Ctx, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/audit", tags=["audit"])
def audit(
    ctx: Ctx = Depends(resolve),
    entity: str | None = Query(default=None, max_length=120),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[Json]:
    """Audit events, newest first."""
    return [e.to_dict() for e in audit_log(ctx.ws, entity=entity, limit=limit, newest_first=True)]

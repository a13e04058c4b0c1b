"""``/api/me``: who the request acts as."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from assay.web._api.schemas import Json
from assay.web._context import Ctx, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/me", tags=["session"])
def me(ctx: Ctx = Depends(resolve)) -> Json:
    """Who the request acts as."""
    return {"user": ctx.user, "role": ctx.role, "csrf_token": ctx.csrf or None}

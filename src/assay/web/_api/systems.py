"""``/api/systems``: the inventory."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from assay.governance import add_system, list_systems, show_system
from assay.web._api.schemas import Json, SystemIn
from assay.web._context import Ctx, api_writer, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/systems", tags=["inventory"])
def systems(ctx: Ctx = Depends(resolve)) -> list[Json]:
    """Every system in the inventory."""
    return [s.to_dict() for s in list_systems(ctx.ws)]


@router.post("/api/systems", tags=["inventory"], status_code=201)
def create_system(body: SystemIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Register a system (analyst, admin)."""
    return add_system(ctx.ws, **body.model_dump()).to_dict()


@router.get("/api/systems/{name}", tags=["inventory"])
def system(name: str, ctx: Ctx = Depends(resolve)) -> Json:
    """One system with its versions, components and record counts."""
    return show_system(ctx.ws, name).to_dict()

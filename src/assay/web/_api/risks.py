"""``/api/risks``: the risk register."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from assay.governance import add_risk, get_risk, list_risks, update_risk
from assay.web._api.schemas import Json, RiskIn, RiskPatch
from assay.web._context import Ctx, api_writer, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/risks", tags=["risks"])
def risks(
    ctx: Ctx = Depends(resolve),
    system: str | None = Query(default=None, max_length=100),
    status: str | None = Query(default=None, max_length=40),
    owner: str | None = Query(default=None, max_length=100),
    open_only: bool = False,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=2**31 - 1),
) -> list[Json]:
    """The risk register, filtered, by id."""
    rows = list_risks(
        ctx.ws,
        system=system,
        status=status,
        owner=owner,
        open_only=open_only,
        sort="ref",
        limit=limit,
        offset=offset,
    )
    return [r.to_dict() for r in rows]


@router.post("/api/risks", tags=["risks"], status_code=201)
def create_risk(body: RiskIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """File a risk."""
    return add_risk(ctx.ws, **body.model_dump()).to_dict()


@router.get("/api/risks/{ref}", tags=["risks"])
def risk(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
    """One risk by reference (``RISK-3`` or ``3``)."""
    return get_risk(ctx.ws, ref).to_dict()


@router.patch("/api/risks/{ref}", tags=["risks"])
def patch_risk(ref: str, body: RiskPatch, ctx: Ctx = Depends(api_writer)) -> Json:
    """Edit a risk or move it along its workflow."""
    return update_risk(ctx.ws, ref, **body.model_dump()).to_dict()

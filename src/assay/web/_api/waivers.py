"""``/api/waivers``: requesting waivers and deciding on them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from assay.gate import check_control
from assay.governance import (
    approve_waiver,
    get_waiver,
    list_waivers,
    reject_waiver,
    renew_waiver,
    request_waiver,
    revoke_waiver,
)
from assay.web._api.schemas import Decision, Json, RenewIn, WaiverIn
from assay.web._context import Ctx, api_writer, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/waivers", tags=["waivers"])
def waivers(ctx: Ctx = Depends(resolve), active_only: bool = False) -> list[Json]:
    """Waivers by expiry date."""
    return [w.to_dict() for w in list_waivers(ctx.ws, active_only=active_only)]


@router.post("/api/waivers", tags=["waivers"], status_code=201)
def create_waiver(body: WaiverIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Request a waiver."""
    fields = body.model_dump()
    fields["control"] = check_control(fields["control"])
    return request_waiver(ctx.ws, **fields).to_dict()


@router.get("/api/waivers/{ref}", tags=["waivers"])
def waiver(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
    """One waiver."""
    return get_waiver(ctx.ws, ref).to_dict()


@router.post("/api/waivers/{ref}/approve", tags=["waivers"])
def approve(ref: str, body: Decision, ctx: Ctx = Depends(api_writer)) -> Json:
    """Approve a waiver (approver, admin; never the requester)."""
    return approve_waiver(ctx.ws, ref, rationale=body.rationale).to_dict()


@router.post("/api/waivers/{ref}/reject", tags=["waivers"])
def reject(ref: str, body: Decision, ctx: Ctx = Depends(api_writer)) -> Json:
    """Reject a waiver."""
    return reject_waiver(ctx.ws, ref, rationale=body.rationale).to_dict()


@router.post("/api/waivers/{ref}/renew", tags=["waivers"])
def renew(ref: str, body: RenewIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Ask to extend an approved waiver: a new round that needs fresh approvals."""
    return renew_waiver(ctx.ws, ref, **body.model_dump()).to_dict()


@router.post("/api/waivers/{ref}/revoke", tags=["waivers"])
def revoke(ref: str, body: Decision, ctx: Ctx = Depends(api_writer)) -> Json:
    """Withdraw a waiver before it expires (approver, admin)."""
    return revoke_waiver(ctx.ws, ref, rationale=body.rationale).to_dict()

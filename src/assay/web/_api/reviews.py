"""``/api/reviews``: reviews and their state now."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from assay.governance import get_review, list_reviews
from assay.web._api.schemas import Json
from assay.web._context import Ctx, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/reviews", tags=["reviews"])
def reviews(ctx: Ctx = Depends(resolve), open_only: bool = False) -> list[Json]:
    """Reviews, oldest first."""
    return [r.to_dict() for r in list_reviews(ctx.ws, open_only=open_only)]


@router.get("/api/reviews/{ref}", tags=["reviews"])
def review(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
    """One review with its transitions and approvals, and its state now (``state``:
    completeness, gaps with owners, open and blocking risks, waivers, approvals), as
    ``assay completeness REF --json`` prints it."""
    from assay.documents import review_state

    rv = get_review(ctx.ws, ref)
    return {**rv.to_dict(), "state": review_state(ctx.ws, rv.ref).to_dict()}

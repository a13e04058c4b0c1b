"""API token routes: list, make and revoke tokens (``/api/tokens``).

Governance decides who may (yourself, or anyone as admin) and audits each change. A token is
made only from a logged-in browser session, never with another token, so a leaked token cannot
renew itself past its expiry.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from assay.errors import PermissionDeniedError
from assay.governance import list_tokens, mint_token, revoke_token
from assay.web._api.schemas import Json, RevokeIn, TokenIn
from assay.web._context import Ctx, api_writer, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/tokens", tags=["session"])
def tokens(
    ctx: Ctx = Depends(resolve), user: str | None = None, include_inactive: bool = False
) -> list[Json]:
    """API tokens: yours, or (admins) anyone's; never the token itself."""
    found = list_tokens(ctx.ws, user=user, include_inactive=include_inactive)
    return [t.to_dict() for t in found]


@router.post("/api/tokens", tags=["session"], status_code=201)
def create(body: TokenIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Make a token (shown once in ``token``); from a browser session only."""
    if ctx.via_token:
        raise PermissionDeniedError(
            "A token cannot make another token; log in and make it from your session."
        )
    token, record = mint_token(ctx.ws, body.user or ctx.user, label=body.label, days=body.days)
    return {"token": token, **record.to_dict()}


@router.post("/api/tokens/{ref}/revoke", tags=["session"])
def revoke(ref: str, body: RevokeIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Revoke a token (yours, or anyone's as admin); it stops working at once."""
    return revoke_token(ctx.ws, ref, reason=body.reason).to_dict()

"""``/api/kpis``: the program KPIs of a period."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query

from assay.governance import compute_kpis
from assay.policy import reporting_period
from assay.web._api.schemas import Json
from assay.web._context import Ctx, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/kpis", tags=["program"])
def kpis(
    ctx: Ctx = Depends(resolve),
    start: dt.date | None = None,
    end: dt.date | None = None,
    org: str | None = Query(default=None, max_length=100),
) -> Json:
    """The program KPIs of a period (default: the reporting period containing today), of one
    organisation (``org``) or of every one the caller sees."""
    q_start, q_end = reporting_period(ctx.ws.today())
    return compute_kpis(ctx.ws, start or q_start, end or q_end, org=org or None).to_dict()

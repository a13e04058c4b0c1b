"""``/api/kpis``: the program KPIs of a period."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends

from assay.governance import compute_kpis
from assay.policy import reporting_period
from assay.web._api.schemas import Json
from assay.web._context import Ctx, resolve

__all__ = ["router"]

router = APIRouter()


@router.get("/api/kpis", tags=["program"])
def kpis(
    ctx: Ctx = Depends(resolve), start: dt.date | None = None, end: dt.date | None = None
) -> Json:
    """The program KPIs of a period (default: the reporting period containing today)."""
    q_start, q_end = reporting_period(ctx.ws.today())
    return compute_kpis(ctx.ws, start or q_start, end or q_end).to_dict()

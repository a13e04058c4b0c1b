"""A monitor's report page, served as a stored report (sandboxed, framed by the system page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from assay.web._context import Ctx, resolve
from assay.web._security import REPORT_CSP

__all__ = ["router"]

router = APIRouter()


@router.get("/monitors/{name}/view", include_in_schema=False)
def monitor_view(name: str, ctx: Ctx = Depends(resolve)) -> Response:
    """The monitoring report of the monitor ``name``."""
    from assay.monitor import render_monitor_report

    html = render_monitor_report(ctx.ws, name)
    return Response(html, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP})

"""``/api/soa``: the ISO/IEC 42001 statement of applicability of the systems in scope, as JSON,
CSV, Markdown or a self-contained HTML page (:func:`assay.exports.build_soa`, the same statement
as ``assay report soa``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from assay.documents import render_document
from assay.exports import build_soa, soa_csv, soa_document
from assay.web._context import Ctx, resolve
from assay.web._security import REPORT_CSP

__all__ = ["router"]

router = APIRouter()

_CONTENT: dict[str, Any] = {"application/json": {}, "text/csv": {}, "text/markdown": {},
                            "text/html": {}}  # fmt: skip


@router.get(
    "/api/soa",
    tags=["program"],
    response_model=None,
    responses={200: {"description": "The statement of applicability.", "content": _CONTENT}},
)
def statement_of_applicability(
    ctx: Ctx = Depends(resolve),
    system: list[str] | None = Query(default=None, max_length=50),
    format: str = Query(default="json", pattern="^(json|csv|md|html)$"),
) -> Response:
    """The ISO/IEC 42001 statement of applicability of ``system`` (repeat; default: every
    system): each Annex A control, included or excluded with its justification, the records
    that implement it and its gaps."""
    soa = build_soa(ctx.ws, systems=system)
    if format == "json":
        return JSONResponse(soa.to_dict())
    if format == "csv":
        return Response(soa_csv(soa), media_type="text/csv; charset=utf-8")
    body = render_document(soa_document(soa), format)
    if format == "md":
        return Response(body, media_type="text/markdown; charset=utf-8")
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": REPORT_CSP})  # fmt: skip

"""``/api/export/{table}``: the BI tables (KPIs, risks, actions, waivers, reviews), paged.

The rows are :func:`assay.exports.bi_table`'s, the same as ``assay export TABLE``. Pages are
``limit`` rows after ``offset``; every answer carries the whole table's row count in
``X-Total-Count`` and, when more rows follow, the next page's address in a ``Link: <...>;
rel="next"`` header (and in ``next`` of the JSON). Each CSV page has the header row, so a page
is a complete CSV file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from assay.errors import NotFoundError
from assay.exports import BI_KINDS, BiTable, bi_csv, bi_json_rows, bi_parquet, bi_table
from assay.web._context import Ctx, resolve

__all__ = ["router"]

router = APIRouter()

#: At most this many rows a page.
MAX_PAGE = 10_000

_MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _next_url(request: Request, total: int, limit: int, offset: int) -> str | None:
    if offset + limit >= total:
        return None
    return str(request.url.include_query_params(offset=offset + limit, limit=limit))


def _json_body(table: BiTable, page: BiTable, limit: int, offset: int, nxt: str | None) -> Any:
    return {
        "table": table.kind,
        "columns": [{"name": c.name, "type": c.type, "description": c.description}
                    for c in table.columns],
        "rows": bi_json_rows(page),
        "total": len(table.rows),
        "limit": limit,
        "offset": offset,
        "next": nxt,
    }  # fmt: skip


_PAGE_CONTENT: dict[str, Any] = {
    "text/csv": {},
    "application/json": {},
    "application/vnd.apache.parquet": {},
}


@router.get(
    "/api/export/{table}",
    tags=["program"],
    response_model=None,
    responses={200: {"description": "One page of the table.", "content": _PAGE_CONTENT}},
)
def export_table(
    table: str,
    request: Request,
    ctx: Ctx = Depends(resolve),
    format: str = Query(default="csv", pattern="^(csv|json|parquet)$"),
    limit: int = Query(default=1000, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=2**31 - 1),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Response:
    """One page of a BI table (kpis, risks, actions, waivers, reviews) as CSV (the default),
    JSON or Parquet.

    ``start`` and ``end`` set the KPIs' period (default: the reporting period containing today).
    """
    if table not in BI_KINDS:
        raise NotFoundError(f"There is no table {table!r}; the tables are {', '.join(BI_KINDS)}.")
    whole = bi_table(ctx.ws, table, start=start, end=end)
    page = whole.page(limit, offset)
    nxt = _next_url(request, len(whole.rows), limit, offset)
    headers = {"X-Total-Count": str(len(whole.rows))}
    if nxt is not None:
        headers["Link"] = f'<{nxt}>; rel="next"'
    if format == "json":
        return JSONResponse(_json_body(whole, page, limit, offset, nxt), headers=headers)
    data = bi_csv(page).encode("utf-8") if format == "csv" else bi_parquet(page)
    return Response(data, media_type=_MEDIA[format], headers=headers)

"""Search: systems, risks, waivers and reviews containing the words."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from assay.governance import list_reviews, list_risks, list_systems, list_waivers
from assay.web._context import Ctx, resolve
from assay.web._templates import render

__all__ = ["router", "search_hits"]

router = APIRouter()


def search_hits(ctx: Ctx, needle: str) -> list[tuple[str, str, str]]:
    """The records containing ``needle`` (lower case), as (kind, label, link)."""
    hits: list[tuple[str, str, str]] = []
    for s in list_systems(ctx.ws):
        if needle in f"{s.name} {s.purpose} {s.owner}".lower():
            hits.append(("System", s.name, f"/systems/{quote(s.name)}"))
    for r in list_risks(ctx.ws):
        if needle in f"{r.ref} {r.title} {r.description or ''} {r.owner}".lower():
            hits.append(("Risk", f"{r.ref} {r.title}", f"/risks/{r.ref}"))
    for w in list_waivers(ctx.ws):
        if needle in f"{w.ref} {w.control} {w.rationale}".lower():
            hits.append(("Waiver", f"{w.ref} {w.control}", f"/waivers/{w.ref}"))
    for rv in list_reviews(ctx.ws):
        if needle in f"{rv.ref} {rv.title} {rv.system}".lower():
            hits.append(("Review", f"{rv.ref} {rv.title}", f"/reviews/{rv.ref}"))
    return hits


@router.get("/search", include_in_schema=False)
def search(request: Request, ctx: Ctx = Depends(resolve), q: str = "") -> Response:
    """The first 200 hits of ``q``."""
    needle = q.strip().lower()
    hits = search_hits(ctx, needle) if needle else []
    return render(request, "search.html", ctx, q=q, hits=hits[:200])

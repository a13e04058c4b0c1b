"""The inventory: the list of systems, registering one, a system's page and its framework
coverage."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from assay.governance import (
    add_system,
    list_evidence,
    list_incidents,
    list_orgs,
    list_reviews,
    list_risks,
    list_systems,
    list_waivers,
    show_system,
)
from assay.policy import RISK_TIERS
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_text
from assay.web._pages.documents import system_documents
from assay.web._reports import has_html_view
from assay.web._templates import render

__all__ = ["router"]

router = APIRouter()


@router.get("/systems", include_in_schema=False)
def systems(request: Request, ctx: Ctx = Depends(resolve)) -> Response:
    """The inventory, with the form to register a system."""
    return render(
        request,
        "systems.html",
        ctx,
        systems=list_systems(ctx.ws),
        tiers=RISK_TIERS,
        orgs=list_orgs(ctx.ws),
    )


@router.post("/systems", include_in_schema=False)
def register_system(request: Request, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Register a system and go to its page."""
    ctx, form = posted
    system = add_system(
        ctx.ws,
        form_text(form, "name") or "",
        purpose=form_text(form, "purpose") or "",
        owner=form_text(form, "owner") or "",
        risk_tier=form_text(form, "risk_tier", required=False) or "unassessed",
        intended_use=form_text(form, "intended_use", required=False),
        org=form_text(form, "org", required=False),
    )
    return flash_redirect(
        request, ctx, f"/systems/{quote(system.name)}", f"Registered the system {system.name}."
    )


@router.get("/systems/{name}", include_in_schema=False)
def system_page(request: Request, name: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One system: facts, versions, documents, monitoring, evidence and its records."""
    from assay.monitor import list_alerts, monitor_status

    overview = show_system(ctx.ws, name)
    name = overview.system.name
    evidence = list_evidence(ctx.ws, system=name, limit=50)
    alerts = list_alerts(ctx.ws, status="firing", system=name)
    return render(
        request,
        "system.html",
        ctx,
        o=overview,
        risks=list_risks(ctx.ws, system=name),
        waivers=list_waivers(ctx.ws, system=name),
        reviews=list_reviews(ctx.ws, system=name),
        incidents=[i for i in list_incidents(ctx.ws) if name in i.systems],
        evidence=[e for e in evidence if e.kind != "review_packet"],
        packets=[e for e in evidence if e.kind == "review_packet"],
        viewable={e.ref for e in evidence if has_html_view(e)},
        monitors=monitor_status(ctx.ws, system=name),
        alerts=alerts,
        documents=system_documents(ctx.ws, name),
    )


@router.get("/systems/{name}/coverage", include_in_schema=False)
def coverage(request: Request, name: str, ctx: Ctx = Depends(resolve)) -> Response:
    """The system's framework coverage: the page, or its part when htmx loads it."""
    from assay.frameworks import framework_coverage

    report = framework_coverage(ctx.ws, show_system(ctx.ws, name).system.name)
    fragment = request.headers.get("hx-request") == "true"
    return render(request, "_coverage.html" if fragment else "coverage.html", ctx, report=report)

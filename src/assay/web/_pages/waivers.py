"""Waivers: the list by expiry or age, requesting one, and deciding on one (approve, reject,
renew, revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from assay.errors import NotFoundError
from assay.gate import check_control, gate_controls
from assay.governance import (
    Waiver,
    approve_waiver,
    list_systems,
    list_waivers,
    program_status,
    reject_waiver,
    renew_waiver,
    request_waiver,
    revoke_waiver,
)
from assay.web._context import Ctx, resolve, writer
from assay.web._forms import form_text
from assay.web._templates import render

__all__ = ["router"]

router = APIRouter()


@router.get("/waivers", include_in_schema=False)
def waivers(request: Request, ctx: Ctx = Depends(resolve), sort: str = "expiry") -> Response:
    """Waivers by expiry date (or by age, oldest first), with open waivers by age."""
    today = ctx.ws.today()
    rows = list_waivers(ctx.ws)
    if sort == "age":
        rows.sort(key=lambda w: -w.age_days(today))
    return render(
        request,
        "waivers.html",
        ctx,
        waivers=rows,
        ages=dict(program_status(ctx.ws).open_waivers_by_age),
        sort="age" if sort == "age" else "expiry",
        systems=list_systems(ctx.ws),
        controls=gate_controls(),
        today=today,
    )


@router.post("/waivers", include_in_schema=False)
def request_waiver_page(posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Request a waiver."""
    ctx, form = posted
    risk = form_text(form, "risk", required=False)
    waiver = request_waiver(
        ctx.ws,
        system=form_text(form, "system") or "",
        control=check_control(form_text(form, "control") or ""),
        rationale=form_text(form, "rationale") or "",
        compensating_controls=form_text(form, "compensating_controls") or "",
        residual_risk=form_text(form, "residual_risk") or "",
        expires_on=form_text(form, "expires_on") or "",
        risk=risk,
    )
    return RedirectResponse(f"/waivers#{waiver.ref}", 303)


def _decide(ctx: Ctx, ref: str, decision: str, form: FormData) -> Waiver:
    """Approve, reject, renew or revoke the waiver ``ref``."""
    if decision == "approve":
        return approve_waiver(ctx.ws, ref, rationale=form_text(form, "rationale") or "")
    if decision == "reject":
        return reject_waiver(ctx.ws, ref, rationale=form_text(form, "rationale") or "")
    if decision == "revoke":
        return revoke_waiver(ctx.ws, ref, rationale=form_text(form, "rationale") or "")
    if decision == "renew":
        return renew_waiver(
            ctx.ws,
            ref,
            expires_on=form_text(form, "expires_on") or "",
            rationale=form_text(form, "rationale", required=False),
        )
    raise NotFoundError(f"No waiver action {decision!r}; use approve, reject, renew or revoke.")


@router.post("/waivers/{ref}/{decision}", include_in_schema=False)
def decide_waiver(
    ref: str, decision: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Decide on a waiver and show it in the list."""
    ctx, form = posted
    waiver = _decide(ctx, ref, decision, form)
    return RedirectResponse(f"/waivers#{waiver.ref}", 303)

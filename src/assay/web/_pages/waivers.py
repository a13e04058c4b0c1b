"""Waivers: the list by expiry or age, one waiver's page with every field, its rounds and
history, requesting one, and deciding on one (approve, reject, renew, revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from assay.errors import NotFoundError, TransitionError
from assay.gate import check_control, gate_controls
from assay.governance import (
    Waiver,
    approve_waiver,
    audit_log,
    get_waiver,
    list_systems,
    list_waivers,
    program_status,
    reject_waiver,
    renew_waiver,
    request_waiver,
    revoke_waiver,
)
from assay.policy import check_round_decision
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
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
        refusals={w.ref: decision_refusal(ctx, w) for w in rows},
        ages=dict(program_status(ctx.ws).open_waivers_by_age),
        sort="age" if sort == "age" else "expiry",
        systems=list_systems(ctx.ws),
        controls=gate_controls(),
        today=today,
    )


def decision_refusal(ctx: Ctx, waiver: Waiver) -> str | None:
    """Why the user may not decide on the waiver's current round (the policy's separation of
    duties, asked exactly as governance asks it), or None when they may."""
    if not ctx.can("decide on a waiver"):
        return f"Deciding on a waiver needs an approver; {ctx.user} is {ctx.role}."
    round_ = waiver.round
    try:
        check_round_decision(
            ctx.user,
            subject=f"round {round_} of {waiver.ref}",
            requester=waiver.rounds[-1].requester,
            earlier_requesters=[r.requester for r in waiver.rounds[:-1]],
            earlier_signers=[a.signer for a in waiver.approvals if a.round == round_],
        )
    except TransitionError as exc:
        return str(exc)
    return None


@router.get("/waivers/{ref}", include_in_schema=False)
def waiver_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One waiver: its terms, its rounds with their approvals, its history, and its forms."""
    waiver = get_waiver(ctx.ws, ref)
    today = ctx.ws.today()
    return render(
        request,
        "waiver.html",
        ctx,
        w=waiver,
        age=waiver.age_days(today),
        refusal=decision_refusal(ctx, waiver),
        history=audit_log(ctx.ws, entity=waiver.ref, newest_first=True, limit=50),
        today=today,
    )


@router.post("/waivers", include_in_schema=False)
def request_waiver_page(
    request: Request, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
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
    return flash_redirect(
        request,
        ctx,
        f"/waivers/{waiver.ref}",
        f"Requested {waiver.ref}; it is awaiting an approver.",
    )


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
    request: Request, ref: str, decision: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Decide on a waiver and show it in the list."""
    ctx, form = posted
    waiver = _decide(ctx, ref, decision, form)
    return flash_redirect(
        request,
        ctx,
        f"/waivers/{waiver.ref}",
        f"{waiver.ref} is now {waiver.status.replace('_', ' ')}.",
    )

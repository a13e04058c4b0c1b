"""The review pipeline: one column per stage, intake from the workspace's questionnaire, one
review's state with its packet, triage and advancing it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from assay.errors import TransitionError
from assay.governance import (
    DECISIONS,
    PRIORITIES,
    REVIEW_STATUSES,
    REVIEW_TRANSITIONS,
    Questionnaire,
    Review,
    advance_review,
    get_review,
    list_reviews,
    list_systems,
    open_review,
    triage_review,
    workspace_questionnaire,
)
from assay.policy import ASSESSED_TIERS, check_packet_signer, check_round_decision
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_text
from assay.web._pages.packets import latest_packet, packet_differs, packet_summary
from assay.web._templates import render

__all__ = ["intake_answers", "router"]

router = APIRouter()


def intake_answers(questionnaire: Questionnaire, form: FormData) -> dict[str, Any]:
    """The answers the intake form gives, by question id (unanswered questions left out)."""
    answers: dict[str, Any] = {}
    for q in questionnaire.questions:
        key = f"q_{q.id}"
        if q.type == "multi":
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            if values:
                answers[q.id] = values
        elif q.type == "boolean":
            value = form.get(key)
            if value in ("yes", "no"):
                answers[q.id] = value == "yes"
        else:
            text = form_text(form, key, required=False)
            if text is not None:
                answers[q.id] = text
    return answers


@router.get("/reviews", include_in_schema=False)
def reviews(request: Request, ctx: Ctx = Depends(resolve)) -> Response:
    """The pipeline, with the intake form."""
    all_reviews = list_reviews(ctx.ws)
    columns = [(s, [r for r in all_reviews if r.status == s]) for s in REVIEW_STATUSES]
    return render(
        request,
        "reviews.html",
        ctx,
        columns=columns,
        systems=list_systems(ctx.ws),
        questionnaire=workspace_questionnaire(ctx.ws),
        today=ctx.ws.today(),
    )


@router.post("/reviews", include_in_schema=False)
def intake(request: Request, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Open a review from the intake form and go to it."""
    ctx, form = posted
    answers = intake_answers(workspace_questionnaire(ctx.ws), form)
    review = open_review(
        ctx.ws,
        form_text(form, "system") or "",
        answers=answers,
        title=form_text(form, "title", required=False),
    )
    return flash_redirect(
        request,
        ctx,
        f"/reviews/{review.ref}",
        f"Opened {review.ref} at intake; triage is due {review.triage_due}.",
    )


def sign_refusal(ctx: Ctx, review: Review, packet: dict[str, Any] | None) -> str | None:
    """Why the user may not sign the review's packet (the policy's separation of duties, asked
    as governance asks it), or None when they may."""
    try:
        check_round_decision(ctx.user, subject=review.ref, requester=review.created_by)
        if packet is not None:
            check_packet_signer(ctx.user, packet=packet["record"].ref, built_by=packet["built_by"])
    except TransitionError as exc:
        return str(exc)
    return None


@router.get("/reviews/{ref}", include_in_schema=False)
def review_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One review: its state now, its next steps and decisions, and its newest packet."""
    from assay.documents import review_state

    review = get_review(ctx.ws, ref)
    nexts = [to for (frm, to) in REVIEW_TRANSITIONS if frm == review.status]
    record = latest_packet(ctx.ws, review.ref)
    packet = packet_summary(ctx.ws, record) if record is not None else None
    state = review_state(ctx.ws, review.ref)
    return render(
        request,
        "review.html",
        ctx,
        rv=review,
        st=state,
        steps=[n for n in nexts if n not in DECISIONS],
        decisions=[n for n in nexts if n in DECISIONS],
        packet=packet,
        changed=packet_differs(packet["state"], state) if packet is not None else [],
        refusal=sign_refusal(ctx, review, packet),
        tiers=ASSESSED_TIERS,
        priorities=PRIORITIES,
    )


@router.post("/reviews/{ref}/triage", include_in_schema=False)
def triage(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Triage a review: its owner and due date."""
    ctx, form = posted
    review = triage_review(
        ctx.ws,
        ref,
        owner=form_text(form, "owner") or "",
        tier=form_text(form, "tier", required=False),
        priority=form_text(form, "priority", required=False),
        due_date=form_text(form, "due_date", required=False),
        note=form_text(form, "note", required=False),
    )
    return flash_redirect(
        request,
        ctx,
        f"/reviews/{review.ref}",
        f"Triaged {review.ref}: tier {review.tier}, priority {review.priority}, "
        f"owner {review.owner}, checkpoint {review.due_date or 'not set'}.",
    )


@router.post("/reviews/{ref}/advance", include_in_schema=False)
def advance(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Move a review to its next stage, or decide on it."""
    ctx, form = posted
    review = advance_review(
        ctx.ws,
        ref,
        form_text(form, "to") or "",
        note=form_text(form, "note", required=False),
        rationale=form_text(form, "rationale", required=False),
        conditions=form_text(form, "conditions", required=False),
        acknowledge_incomplete=form_text(form, "acknowledge_incomplete", required=False)
        is not None,
    )
    return flash_redirect(
        request,
        ctx,
        f"/reviews/{review.ref}",
        f"{review.ref} is now {review.status.replace('_', ' ')}.",
    )

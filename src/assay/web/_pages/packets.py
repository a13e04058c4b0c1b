"""Review packets in the browser: building one, viewing and downloading it, signing a decision
on its sha256; and what the review page and the dashboard show about packets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from assay.errors import InputError, NotFoundError
from assay.governance import DECISIONS, EvidenceRecord, Workspace, get_evidence, get_review
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_text
from assay.web._pages.documents import check_format, download, report

if TYPE_CHECKING:
    from assay.documents import ReviewState

__all__ = [
    "latest_packet",
    "packet_differs",
    "packet_summary",
    "review_readiness",
    "router",
]


def latest_packet(ws: Workspace, review: str) -> EvidenceRecord | None:
    """The newest packet built for ``review``, or None."""
    from assay.documents import find_packet

    try:
        return find_packet(ws, review)
    except NotFoundError:
        return None


def packet_summary(ws: Workspace, record: EvidenceRecord) -> dict[str, Any]:
    """What the review page shows about a built packet: its frozen review state, verification
    and the approvals that sign it."""
    from assay.documents import load_packet, packet_approvals, packet_state, verify_packet

    packet = load_packet(ws, record.ref)
    state = packet_state(packet.content)
    return {
        "record": record,
        "review": packet.review,
        "sha256": packet.sha256,
        "check": verify_packet(ws, record.ref),
        "approvals": packet_approvals(ws, packet),
        "state": state,
        # who recorded it (authenticated), never what the packet's content claims
        "built_by": record.created_by,
    }


def review_readiness(ws: Workspace) -> list[dict[str, Any]]:
    """For each review not yet decided or withdrawn: its newest packet and the review state frozen
    in it (None before a packet is built). The dashboard shows these, never its own figures."""
    from assay.documents import load_packet, packet_state
    from assay.governance import list_reviews

    rows = []
    for review in list_reviews(ws, open_only=True):
        record = latest_packet(ws, review.ref)
        state = packet_state(load_packet(ws, record.ref).content) if record is not None else None
        rows.append({"review": review, "packet": record, "state": state})
    return rows


def packet_differs(frozen: ReviewState, live: ReviewState) -> list[str]:
    """The figures of the review that changed since its packet was built, as readable lines."""
    out = []
    if frozen.score != live.score:
        out.append(f"completeness {frozen.score}% → {live.score}%")
    then = [(g.document, g.requirement, g.owner) for g in frozen.gaps]
    now = [(g.document, g.requirement, g.owner) for g in live.gaps]
    if then != now:
        out.append(f"gaps {len(then)} → {len(now)}")
    if frozen.blocking_risks != live.blocking_risks:
        then_b = ", ".join(frozen.blocking_risks) or "none"
        out.append(f"blocking risks {then_b} → {', '.join(live.blocking_risks) or 'none'}")
    return out


router = APIRouter()


@router.post("/reviews/{ref}/packet", include_in_schema=False)
def build(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Build and freeze the review's packet."""
    from assay.documents import build_packet

    ctx, _ = posted
    review = get_review(ctx.ws, ref)
    build_packet(ctx.ws, review.ref)
    return flash_redirect(
        request,
        ctx,
        f"/reviews/{review.ref}#packet",
        f"Built a new review packet for {review.ref}.",
    )


@router.get("/packets/{ref}/view", include_in_schema=False)
def packet_view(ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """The rendered packet, inline."""
    from assay.documents import packet_document, render_document

    record = get_evidence(ctx.ws, ref)
    return report(render_document(packet_document(ctx.ws, record.ref), "html").decode())


def _packet_json(ctx: Ctx, record: EvidenceRecord) -> Response:
    """The packet's canonical JSON, as stored, as an attachment."""
    from assay.documents import load_packet

    packet = load_packet(ctx.ws, record.ref)
    data = ctx.ws.blobs.read_bytes(packet.sha256)
    return Response(
        data,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{packet.review}-packet.json"'},
    )


@router.get("/packets/{ref}/download/{fmt}", include_in_schema=False)
def packet_download(ref: str, fmt: str, ctx: Ctx = Depends(resolve)) -> Response:
    """The packet as canonical JSON, or rendered as Markdown, HTML or PDF."""
    from assay.documents import packet_document, render_document

    record = get_evidence(ctx.ws, ref)
    if fmt == "json":
        return _packet_json(ctx, record)
    check_format(fmt)
    doc = packet_document(ctx.ws, record.ref)
    review = str(doc.data.get("packet", {}).get("review", {}).get("ref", record.ref))
    return download(render_document(doc, fmt), fmt, f"{review}-packet-{record.ref}")


def _typed_confirmation(form: FormData, review: str) -> bool:
    """Whether the signer typed the review's reference to sign a packet below the minimum."""
    typed = form_text(form, "confirm_incomplete", required=False)
    if typed is None:
        return False
    if typed.upper() != review.upper():
        raise InputError(
            f"To sign a packet below the policy's completeness minimum, type the review's "
            f"reference {review} in the confirmation box (you typed {typed!r})."
        )
    return True


@router.post("/packets/{ref}/sign", include_in_schema=False)
def sign(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Decide on the packet's review, signing the packet's sha256.

    The decision is chosen explicitly (no default); a packet below the policy's completeness
    minimum is signed only when the signer typed the review's reference to confirm it.
    """
    from assay.documents import load_packet, sign_packet

    ctx, form = posted
    record = get_evidence(ctx.ws, ref)
    decision = form_text(form, "decision", required=False) or ""
    if decision not in DECISIONS:
        raise InputError(
            f"Choose a decision ({', '.join(d.replace('_', ' ') for d in DECISIONS)}); "
            f"got {decision or 'none'}."
        )
    packet = load_packet(ctx.ws, record.ref)
    sign_packet(
        ctx.ws,
        record.ref,
        decision=decision,
        rationale=form_text(form, "rationale") or "",
        conditions=form_text(form, "conditions", required=False),
        acknowledge_incomplete=_typed_confirmation(form, packet.review),
    )
    words = decision.replace("_", " ")
    return flash_redirect(
        request,
        ctx,
        f"/reviews/{packet.review}#packet",
        f"Signed: {packet.review} {words}. Your signature covers packet {record.ref} "
        f"(sha256 {packet.sha256[:12]}…).",
    )

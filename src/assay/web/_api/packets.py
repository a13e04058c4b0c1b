"""``/api/reviews/REF/packet`` and ``/api/packets``: building review packets, reading them with
their verification and approvals, and signing a decision on a packet's sha256."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from assay.errors import InputError, NotFoundError
from assay.governance import DECISIONS, Workspace, get_evidence, get_review
from assay.web._api.schemas import Json, SignIn
from assay.web._context import Ctx, api_writer, resolve
from assay.web._pages.packets import latest_packet, packet_summary

__all__ = ["packet_json", "router"]


def packet_json(ws: Workspace, ref: str) -> Json:
    """A built packet (evidence record ``ref``) as the API shows it."""
    s = packet_summary(ws, get_evidence(ws, ref))
    state = s["state"]
    return {
        "record": s["record"].ref,
        "review": s["review"],
        "sha256": s["sha256"],
        "built_at": s["record"].created_at.isoformat(),
        "built_by": s["built_by"],
        "completeness": state.score,
        "passes": state.passes,
        "state": state.to_dict(),
        "verification": s["check"].to_dict(),
        "approvals": [a.to_dict() for a in s["approvals"]],
    }


router = APIRouter()


@router.get("/api/reviews/{ref}/packet", tags=["reviews"])
def review_packet(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
    """The newest packet built for a review: sha256, verification and the approvals on it."""
    review = get_review(ctx.ws, ref)
    record = latest_packet(ctx.ws, review.ref)
    if record is None:
        raise NotFoundError(f"No packet was built for {review.ref}.")
    return packet_json(ctx.ws, record.ref)


@router.post("/api/reviews/{ref}/packet", tags=["reviews"], status_code=201)
def build(ref: str, ctx: Ctx = Depends(api_writer)) -> Json:
    """Build and freeze the review's packet (analyst, admin)."""
    from assay.documents import build_packet

    packet = build_packet(ctx.ws, get_review(ctx.ws, ref).ref)
    return packet_json(ctx.ws, packet.record.ref)


@router.get("/api/packets/{ref}", tags=["reviews"])
def packet(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
    """A built packet by its evidence record (``EV-12``)."""
    return packet_json(ctx.ws, ref)


@router.post("/api/packets/{ref}/sign", tags=["reviews"])
def sign(ref: str, body: SignIn, ctx: Ctx = Depends(api_writer)) -> Json:
    """Decide on the packet's review, signing its sha256 (reviewer, approver, admin; never
    the review's requester)."""
    from assay.documents import sign_packet

    if body.decision not in DECISIONS:
        raise InputError(f"No decision {body.decision!r}; choose one of {', '.join(DECISIONS)}.")
    record = get_evidence(ctx.ws, ref)
    return sign_packet(ctx.ws, record.ref, **body.model_dump()).to_dict()

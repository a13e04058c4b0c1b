"""Documents in the web app: review packets (build, view, sign, download), a system's cards and
risk assessment in MD, HTML and PDF, and the evidence page with its HTML report inline."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from assay.errors import InputError, NotFoundError
from assay.governance import (
    DECISIONS,
    EvidenceRecord,
    Workspace,
    get_evidence,
    get_review,
    show_system,
)
from assay.web._context import Ctx
from assay.web._forms import form_text
from assay.web._reports import evidence_html, has_html_view
from assay.web._security import REPORT_CSP
from assay.web._templates import render

if TYPE_CHECKING:
    from assay.documents import ReviewState

__all__ = [
    "latest_packet",
    "packet_differs",
    "packet_summary",
    "register_document_pages",
    "review_readiness",
    "system_documents",
]

FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:100] or "document"


def _report(html: str) -> Response:
    return Response(html, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP})


def _download(data: bytes, fmt: str, name: str) -> Response:
    media, ext = FORMATS[fmt]
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{_safe_name(name)}.{ext}"',
            "Content-Security-Policy": REPORT_CSP,
        },
    )


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise NotFoundError(f"No format {fmt!r}; choose md, html or pdf.")


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


def system_documents(ws: Workspace, name: str) -> list[tuple[str, str]]:
    """The documents a system has, as (slug, label): cards, datasheets, risk assessment."""
    overview = show_system(ws, name)
    docs = [("model-card", "Model card")]
    if overview.system.generative:
        docs.append(("system-card", "System card"))
    docs.extend(
        (f"datasheet-{d.name}@{d.version}", f"Datasheet {d.name}@{d.version}")
        for d in overview.dataset_versions
    )
    docs.append(("risk-assessment", "Risk assessment"))
    return docs


def _system_document(ws: Workspace, name: str, doc: str) -> Any:
    from assay.documents import (
        build_datasheet,
        build_model_card,
        build_risk_assessment,
        build_system_card,
    )

    if doc not in dict(system_documents(ws, name)):
        raise NotFoundError(f"{name} has no document {doc!r}.")
    if doc == "model-card":
        return build_model_card(ws, name)
    if doc == "system-card":
        return build_system_card(ws, name)
    if doc == "risk-assessment":
        return build_risk_assessment(ws, name)
    return build_datasheet(ws, doc.removeprefix("datasheet-"))


def register_document_pages(app: FastAPI) -> None:
    """Add packet, document and evidence routes to ``app``."""
    from assay.documents import (
        build_packet,
        load_packet,
        packet_document,
        render_document,
        sign_packet,
    )

    resolve = app.state.resolve
    writer = app.state.writer

    @app.post("/reviews/{ref}/packet", include_in_schema=False)
    def build(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, _ = posted
        review = get_review(ctx.ws, ref)
        build_packet(ctx.ws, review.ref)
        return RedirectResponse(f"/reviews/{review.ref}#packet", 303)

    @app.get("/packets/{ref}/view", include_in_schema=False)
    def packet_view(ref: str, ctx: Ctx = Depends(resolve)) -> Response:
        record = get_evidence(ctx.ws, ref)
        return _report(render_document(packet_document(ctx.ws, record.ref), "html").decode())

    @app.get("/packets/{ref}/download/{fmt}", include_in_schema=False)
    def packet_download(ref: str, fmt: str, ctx: Ctx = Depends(resolve)) -> Response:
        record = get_evidence(ctx.ws, ref)
        if fmt == "json":
            packet = load_packet(ctx.ws, record.ref)
            data = ctx.ws.blobs.read_bytes(packet.sha256)
            return Response(
                data,
                media_type="application/json",
                headers={
                    "Content-Disposition": f'attachment; filename="{packet.review}-packet.json"'
                },
            )
        _check_format(fmt)
        doc = packet_document(ctx.ws, record.ref)
        review = str(doc.data.get("packet", {}).get("review", {}).get("ref", record.ref))
        return _download(render_document(doc, fmt), fmt, f"{review}-packet-{record.ref}")

    @app.post("/packets/{ref}/sign", include_in_schema=False)
    def sign(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        record = get_evidence(ctx.ws, ref)
        decision = form_text(form, "decision") or ""
        if decision not in DECISIONS:
            raise InputError(f"No decision {decision!r}; choose one of {', '.join(DECISIONS)}.")
        packet = load_packet(ctx.ws, record.ref)
        sign_packet(
            ctx.ws,
            record.ref,
            decision=decision,
            rationale=form_text(form, "rationale") or "",
            conditions=form_text(form, "conditions", required=False),
            acknowledge_incomplete=form_text(form, "acknowledge_incomplete", required=False)
            is not None,
        )
        return RedirectResponse(f"/reviews/{packet.review}#packet", 303)

    @app.get("/systems/{name}/documents/{doc}/{fmt}", include_in_schema=False)
    def system_document(name: str, doc: str, fmt: str, ctx: Ctx = Depends(resolve)) -> Response:
        if fmt == "view":
            return _report(render_document(_system_document(ctx.ws, name, doc), "html").decode())
        _check_format(fmt)
        document = _system_document(ctx.ws, name, doc)
        return _download(render_document(document, fmt), fmt, f"{name}-{doc}")

    @app.get("/evidence/{ref}", include_in_schema=False)
    def evidence_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
        record = get_evidence(ctx.ws, ref)
        return render(request, "evidence.html", ctx, e=record, viewable=has_html_view(record))

    @app.get("/evidence/{ref}/view", include_in_schema=False)
    def evidence_view(ref: str, ctx: Ctx = Depends(resolve)) -> Response:
        record = get_evidence(ctx.ws, ref)
        html = evidence_html(ctx.ws, record)
        if html is None:
            raise NotFoundError(f"{record.ref} ({record.kind}) has no HTML view; download it.")
        return _report(html)

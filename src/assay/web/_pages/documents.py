"""A system's documents in the browser: model and system cards, datasheets and the risk
assessment, viewed inline or downloaded as Markdown, HTML or PDF; and how stored reports and
downloads are served (sandboxed, attachments)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from assay.errors import NotFoundError
from assay.governance import Workspace, show_system
from assay.web._context import Ctx, resolve
from assay.web._security import REPORT_CSP

__all__ = [
    "FORMATS",
    "check_format",
    "download",
    "report",
    "router",
    "system_documents",
]

FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:100] or "document"


def report(html: str) -> Response:
    """A stored or rendered HTML report, under the reports' sandboxing policy."""
    return Response(html, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP})


def download(data: bytes, fmt: str, name: str) -> Response:
    """A document in ``fmt`` as an attachment named after ``name``."""
    media, ext = FORMATS[fmt]
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{_safe_name(name)}.{ext}"',
            "Content-Security-Policy": REPORT_CSP,
        },
    )


def check_format(fmt: str) -> None:
    """Refuse a format other than md, html or pdf (404)."""
    if fmt not in FORMATS:
        raise NotFoundError(f"No format {fmt!r}; choose md, html or pdf.")


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


router = APIRouter()


@router.get("/systems/{name}/documents/{doc}/{fmt}", include_in_schema=False)
def system_document(name: str, doc: str, fmt: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One of the system's documents, inline (``view``) or as a download in ``fmt``."""
    from assay.documents import render_document

    if fmt == "view":
        return report(render_document(_system_document(ctx.ws, name, doc), "html").decode())
    check_format(fmt)
    document = _system_document(ctx.ws, name, doc)
    return download(render_document(document, fmt), fmt, f"{name}-{doc}")

"""Evidence in the browser: one record's page, its HTML report inline and its download; and
recording an evaluation: upload the result JSON an Assay evaluation wrote.

The file is read, its schema named, validated by the result class and rendered once, all before
anything is written; then the model version (when new) and the evidence record are stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from assay.errors import InputError, NotFoundError, PermissionDeniedError
from assay.governance import (
    SystemOverview,
    Workspace,
    add_model_version,
    get_dataset_version,
    get_evidence,
    parse_json,
    record_evaluation,
    show_system,
)
from assay.policy import kind_for_schema
from assay.web._body_limit import MAX_BODY_BYTES, MIB
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_text
from assay.web._pages.documents import report
from assay.web._reports import evidence_html, has_html_view, report_renderer
from assay.web._security import REPORT_CSP
from assay.web._templates import render

__all__ = ["MAX_UPLOAD_BYTES", "UPLOAD_BODY_BYTES", "VALIDATORS", "result_kind", "router"]

#: The largest result file the upload records (larger ones: ``assay evidence add``).
MAX_UPLOAD_BYTES = 50 * MIB
#: The upload route's body limit: the file, and a form's worth of other fields around it.
UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + MAX_BODY_BYTES


def _fairness(payload: dict[str, Any]) -> object:
    from assay.evaluate import FairnessResult

    return FairnessResult.from_dict(payload)


def _quality(payload: dict[str, Any]) -> object:
    from assay.evaluate import QualityResult

    return QualityResult.from_dict(payload)


def _robustness(payload: dict[str, Any]) -> object:
    from assay.robustness import RobustnessResult

    return RobustnessResult.from_dict(payload)


def _pii(payload: dict[str, Any]) -> object:
    from assay.evaluate.pii import PiiScanResult

    return PiiScanResult.from_dict(payload)


def _drift(payload: dict[str, Any]) -> object:
    from assay.evaluate import DriftResult

    return DriftResult.from_dict(payload)


#: Result schema → validator that rebuilds the result or raises SchemaError; the evidence kind is
#: the one the policy's registry gives the schema.
VALIDATORS: dict[str, Callable[[dict[str, Any]], object]] = {
    "assay.fairness/v1": _fairness,
    "assay.quality/v1": _quality,
    "assay.robustness/v1": _robustness,
    "assay.pii/v1": _pii,
    "assay.drift/v1": _drift,
}


def result_kind(ws: Workspace, data: bytes, filename: str) -> tuple[str, dict[str, Any]]:
    """The evidence kind and the payload of an uploaded result file, validated."""
    if not data:
        raise InputError(f"The file {filename!r} is empty; choose the result JSON to record.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"The file {filename!r} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; record "
            "it with `assay evidence add FILE --kind KIND --system SYSTEM` instead."
        )
    try:
        payload = parse_json(data, what=f"The file {filename!r}")
    except InputError as exc:
        raise InputError(
            f"{exc} Upload the .json an Assay evaluation wrote, for example "
            "`assay evaluate fairness ... -f json -o result.json`."
        ) from None
    schema = payload.get("schema") if isinstance(payload, dict) else None
    found = kind_for_schema(schema) if isinstance(schema, str) else None
    if not isinstance(payload, dict) or found is None or schema not in VALIDATORS:
        accepted = ", ".join(VALIDATORS)
        raise InputError(
            f"The file {filename!r} is not an Assay evaluation result (schema {schema!r}); "
            f"accepted: {accepted}."
        )
    kind = found.name
    VALIDATORS[schema](payload)
    render = report_renderer(kind)
    if render is not None:
        try:
            render(ws, payload, "check")
        except InputError:
            raise
        except Exception as exc:  # a result the report cannot show is not filed
            raise InputError(
                f"The file {filename!r} has schema {schema} but its content is incomplete "
                f"({type(exc).__name__}: {exc}); record the file the evaluation wrote, unedited."
            ) from None
    return kind, payload


def _model_version(system: SystemOverview, form: FormData) -> tuple[str, str | None]:
    """The model version the upload is about, and the new version to add first (or None)."""
    new_version = form_text(form, "new_model_version", required=False)
    version = new_version or form_text(form, "model_version", required=False)
    if version is None:
        raise InputError("Choose the model version this evaluation is about, or name a new one.")
    known = {v.version for v in system.model_versions}
    if new_version is not None and new_version in known:
        raise InputError(
            f"The model version {new_version!r} of {system.system.name} already exists; "
            "choose it from the list instead."
        )
    if new_version is None and version not in known:
        raise InputError(f"{system.system.name} has no model version {version!r}.")
    return version, new_version


def _commit(form: FormData) -> str | None:
    """The code commit the form names (7 to 40 hexadecimal characters), or None."""
    commit = form_text(form, "code_commit", required=False)
    if commit is not None and not re.fullmatch(r"[0-9a-fA-F]{7,40}", commit):
        raise InputError(
            f"The code commit must be a git commit id, 7 to 40 hexadecimal characters "
            f"(git rev-parse HEAD prints it); got {commit!r}."
        )
    return commit.lower() if commit else None


router = APIRouter()


@router.post("/systems/{name}/evidence", include_in_schema=False)
def upload_evidence(
    request: Request, name: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Record the uploaded result file as evidence of the system, and show it."""
    ctx, form = posted
    if not ctx.can("add evidence"):
        raise PermissionDeniedError(
            f"Recording evidence needs the analyst or admin role; {ctx.user} is {ctx.role}."
        )
    system = show_system(ctx.ws, name)
    upload = form.get("result")
    if not isinstance(upload, UploadFile):
        raise InputError("Choose the result file (JSON) to record.")
    filename = upload.filename or "the upload"
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    kind, payload = result_kind(ctx.ws, data, filename)
    version, new_version = _model_version(system, form)
    title = form_text(form, "title", required=False)
    dataset = form_text(form, "dataset_version", required=False)
    if dataset is not None:
        get_dataset_version(ctx.ws, dataset)  # a clear 404 before anything is written
    if new_version is not None:
        add_model_version(ctx.ws, system.system.name, new_version)
    record = record_evaluation(
        ctx.ws,
        payload,
        kind=kind,
        system=system.system.name,
        model_version=version,
        dataset_version=dataset,
        code_commit=_commit(form),
        title=title,
    )
    return flash_redirect(
        request,
        ctx,
        f"/evidence/{quote(record.ref)}",
        f"Recorded {record.ref} ({kind}) for {system.system.name} {version}.",
    )


@router.get("/evidence/{ref}/download", include_in_schema=False)
def evidence_download(ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """The stored file of an evidence record, as an attachment."""
    record = get_evidence(ctx.ws, ref)
    data = ctx.ws.blobs.read_bytes(record.blob_sha256)
    safe = "".join(c for c in record.title if c.isalnum() or c in "-_. ")[:80] or record.ref
    ext = {"application/json": ".json", "text/html": ".html", "application/zip": ".zip"}.get(
        record.media_type, ""
    )
    headers = {
        "Content-Security-Policy": REPORT_CSP,
        "Content-Disposition": f'attachment; filename="{safe}{ext}"',
    }
    return Response(data, media_type=record.media_type, headers=headers)


@router.get("/evidence/{ref}", include_in_schema=False)
def evidence_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One evidence record: provenance, hashes, download, and its report inline."""
    record = get_evidence(ctx.ws, ref)
    return render(request, "evidence.html", ctx, e=record, viewable=has_html_view(record))


@router.get("/evidence/{ref}/view", include_in_schema=False)
def evidence_view(ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """The record's HTML report (stored, or rendered from its JSON)."""
    record = get_evidence(ctx.ws, ref)
    html = evidence_html(ctx.ws, record)
    if html is None:
        raise NotFoundError(f"{record.ref} ({record.kind}) has no HTML view; download it.")
    return report(html)

"""Recording an evaluation from the browser: upload the result JSON an Assay evaluation wrote.

The file is read, its schema named, validated by the result class and rendered once, all before
anything is written; then the model version (when new) and the evidence record are stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from assay.errors import InputError, PermissionDeniedError
from assay.governance import (
    add_model_version,
    get_dataset_version,
    record_evaluation,
    show_system,
)
from assay.policy import kind_for_schema
from assay.web._context import Ctx
from assay.web._forms import form_text
from assay.web._reports import report_renderer

__all__ = ["MAX_UPLOAD_BYTES", "VALIDATORS", "register_evidence_upload", "result_kind"]

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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


def result_kind(data: bytes, filename: str) -> tuple[str, dict[str, Any]]:
    """The evidence kind and the payload of an uploaded result file, validated."""
    if not data:
        raise InputError(f"The file {filename!r} is empty; choose the result JSON to record.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"The file {filename!r} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; record "
            "it with `assay evidence add FILE --kind KIND --system SYSTEM` instead."
        )
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"The file {filename!r} is not JSON ({exc}); upload the .json an Assay evaluation "
            "wrote, for example `assay evaluate fairness ... -f json -o result.json`."
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
            render(payload, "check")
        except InputError:
            raise
        except Exception as exc:  # a result the report cannot show is not filed
            raise InputError(
                f"The file {filename!r} has schema {schema} but its content is incomplete "
                f"({type(exc).__name__}: {exc}); record the file the evaluation wrote, unedited."
            ) from None
    return kind, payload


def register_evidence_upload(app: FastAPI) -> None:
    """Add ``POST /systems/{name}/evidence`` to ``app``."""
    writer = app.state.writer

    @app.post("/systems/{name}/evidence", include_in_schema=False)
    def upload_evidence(name: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
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
        kind, payload = result_kind(data, filename)
        new_version = form_text(form, "new_model_version", required=False)
        version = new_version or form_text(form, "model_version", required=False)
        if version is None:
            raise InputError(
                "Choose the model version this evaluation is about, or name a new one."
            )
        known = {v.version for v in system.model_versions}
        if new_version is not None and new_version in known:
            raise InputError(
                f"The model version {new_version!r} of {system.system.name} already exists; "
                "choose it from the list instead."
            )
        if new_version is None and version not in known:
            raise InputError(f"{system.system.name} has no model version {version!r}.")
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
            title=title,
        )
        return RedirectResponse(f"/evidence/{quote(record.ref)}", 303)

"""The API's OpenAPI document, describing the errors the API really answers with.

FastAPI describes a 422 as its own ``HTTPValidationError`` list. Assay's API answers every error
with one envelope, ``{"error": CODE, "detail": MESSAGE}`` (:mod:`assay.web._errors`), so the
document says that instead: each operation's 422 refers to ``Error``, and FastAPI's two
validation schemas are left out.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

__all__ = ["ERROR_SCHEMA", "install_openapi"]

#: The error envelope as a JSON Schema (components/schemas/Error).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"title": "Error", "type": "string", "description": "A short, stable code."},
        "detail": {
            "title": "Detail",
            "type": "string",
            "description": "What is wrong and how to fix it.",
        },
    },
}
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")
_REF = "#/components/schemas/"


def _with_envelope(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every 422 answer described as the envelope."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            answer = operation.get("responses", {}).get("422")
            if answer is not None:
                answer["description"] = "The request's fields are wrong (InputError)."
                answer["content"] = {"application/json": {"schema": {"$ref": _REF + "Error"}}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_SCHEMAS:
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the document with the envelope at ``/openapi.json`` (built once, on first use)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_envelope(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                    servers=app.servers,
                    separate_input_output_schemas=app.separate_input_output_schemas,
                )
            )
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]

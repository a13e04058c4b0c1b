"""Errors as answers: a page (``error.html``) for the browser, JSON for ``/api``.

Every API error is one envelope, ``{"error": CODE, "detail": MESSAGE}``, made by
:func:`api_error`. CODE is short and stable, for programs to branch on:

=====  ==========================================================================================
400    ``BadRequest`` (a body that is not JSON), or ``IntegrityError``/``UnavailableError``
401    ``Unauthorized``: no live session or token
403    ``PermissionDeniedError``: the role does not allow it, or the CSRF token is missing
404    ``NotFoundError`` (no such record) or ``NotFound`` (no such path)
405    ``MethodNotAllowed``
409    ``ConflictError`` or ``TransitionError`` (a workflow step the rules forbid)
413    ``PayloadTooLarge``: the body is over the route's limit
422    ``InputError`` (or ``SchemaError``): the request's fields are wrong
=====  ==========================================================================================

MESSAGE says what is wrong and how to fix it. It never carries the submitted body back: a
validation error names the field and the rule, not the value sent.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from assay.errors import (
    AssayError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    TransitionError,
)
from assay.web._body_limit import BodyTooLargeError
from assay.web._context import LoginRequiredError, is_api

__all__ = [
    "ERROR_HANDLERS",
    "HTTP_CODES",
    "api_error",
    "assay_error",
    "http_error",
    "login_required",
    "status_of",
    "validation_error",
]

#: The envelope's code of an HTTP-level error (no route, wrong method, body too large ...).
HTTP_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
}
#: How many validation problems one message lists.
PROBLEMS_SHOWN = 10


def status_of(exc: AssayError) -> int:
    """The HTTP status of an Assay error."""
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, TransitionError | ConflictError):
        return 409
    if isinstance(exc, InputError):
        return 422
    return 400


def api_error(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The API's error envelope: ``{"error": code, "detail": detail}`` with ``status``."""
    return JSONResponse({"error": code, "detail": detail}, status, headers=headers)


def _error_page(request: Request, status: int, message: str) -> Response:
    """The error page with ``status`` and ``message``."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = getattr(request.state, "ctx", None)
    return templates.TemplateResponse(
        request, "error.html", {"ctx": ctx, "code": status, "message": message}, status
    )


async def assay_error(request: Request, exc: AssayError) -> Response:
    """An Assay error: the envelope on ``/api``, else the error page, with its status."""
    code = status_of(exc)
    if is_api(request):
        return api_error(code, type(exc).__name__, str(exc))
    return _error_page(request, code, str(exc))


async def login_required(request: Request, exc: LoginRequiredError) -> Response:
    """No live session or token: 401 on ``/api``, else to the login page."""
    if is_api(request):
        return api_error(401, "Unauthorized", "Log in or send a token.")
    return RedirectResponse("/login", 303)


def _http_detail(request: Request, exc: HTTPException) -> str:
    """The message of an HTTP-level error: what the router found, or the error's own."""
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"There is no {where} in the API; its paths are listed in /openapi.json."
    if exc.status_code == 405 and exc.detail == "Method Not Allowed":
        allowed = (exc.headers or {}).get("Allow", "")
        return f"{request.url.path} does not take {request.method}; it takes {allowed}."
    return str(exc.detail)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """An HTTP-level error: the envelope on ``/api``; a page for a body too large; else as
    FastAPI answers it."""
    if is_api(request):
        code = HTTP_CODES.get(exc.status_code, "HTTPError")
        return api_error(exc.status_code, code, _http_detail(request, exc), exc.headers)
    if isinstance(exc, BodyTooLargeError):
        return _error_page(request, exc.status_code, str(exc.detail))
    return await http_exception_handler(request, exc)


def _problem(error: Mapping[str, Any]) -> str:
    """One validation problem: where and which rule, never the value sent."""
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}"


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """A request FastAPI could not validate: on ``/api`` the envelope, 400 (``BadRequest``) for
    a body that is not JSON, else 422 (``InputError``) naming each field and rule; elsewhere as
    FastAPI answers it."""
    if not is_api(request):
        return await request_validation_exception_handler(request, exc)
    errors = exc.errors()
    if errors and all(e.get("type") == "json_invalid" for e in errors):
        reason = errors[0].get("ctx", {}).get("error", "decode error")
        return api_error(
            400, "BadRequest", f"The body is not valid JSON ({reason}); send a JSON object."
        )
    problems = [_problem(e) for e in errors]
    more = len(problems) - PROBLEMS_SHOWN
    detail = "; ".join(problems[:PROBLEMS_SHOWN]) + (f"; and {more} more" if more > 0 else "")
    return api_error(422, "InputError", f"The request is invalid: {detail}.")


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

#: The app's exception handlers, by exception class.
ERROR_HANDLERS: dict[int | type[Exception], Handler] = {
    AssayError: assay_error,
    LoginRequiredError: login_required,
    HTTPException: http_error,
    RequestValidationError: validation_error,
}

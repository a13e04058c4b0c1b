"""Errors as answers: a page (``error.html``) for the browser, JSON for ``/api``.

Every API error is the envelope ``{"error": CODE, "detail": MESSAGE}``: CODE names the kind of
error (the :mod:`assay.errors` class, or ``Unauthorized``), MESSAGE says what is wrong and how
to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from assay.errors import (
    AssayError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    TransitionError,
)
from assay.web._context import LoginRequiredError, is_api

__all__ = ["ERROR_HANDLERS", "api_error", "assay_error", "login_required", "status_of"]


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
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The API's error envelope: ``{"error": code, "detail": detail}`` with ``status``."""
    return JSONResponse({"error": code, "detail": detail}, status, headers=headers)


async def assay_error(request: Request, exc: AssayError) -> Response:
    """An Assay error: the envelope on ``/api``, else the error page, with its status."""
    code = status_of(exc)
    if is_api(request):
        return api_error(code, type(exc).__name__, str(exc))
    templates: Jinja2Templates = request.app.state.templates
    ctx = getattr(request.state, "ctx", None)
    return templates.TemplateResponse(
        request, "error.html", {"ctx": ctx, "code": code, "message": str(exc)}, code
    )


async def login_required(request: Request, exc: LoginRequiredError) -> Response:
    """No live session or token: 401 on ``/api``, else to the login page."""
    if is_api(request):
        return api_error(401, "Unauthorized", "Log in or send a token.")
    return RedirectResponse("/login", 303)


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

#: The app's exception handlers, by exception class.
ERROR_HANDLERS: dict[int | type[Exception], Handler] = {
    AssayError: assay_error,
    LoginRequiredError: login_required,
}

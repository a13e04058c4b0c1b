"""Authentication before the body: every POST, PUT, PATCH and DELETE is authenticated (session
cookie, or an API token on ``/api``) before the app reads a byte of its body; the login form is
the one write anyone may send.

Without it a JSON route would read and parse its whole body before its dependencies check who is
asking. The user found is kept on the request (``request.state.ctx``), so the route's own
:func:`assay.web._context.resolve` does not look the session up again.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from assay.errors import AssayError
from assay.web._context import LoginRequiredError, resolve
from assay.web._errors import assay_error, login_required

__all__ = ["PUBLIC_WRITES", "WRITE_METHODS", "AuthBeforeBody"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The writes sent before logging in.
PUBLIC_WRITES = frozenset({"/login"})


class AuthBeforeBody:
    """Answer an unauthenticated write with 401 (``/api``) or the login page, its body unread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or scope["path"] in PUBLIC_WRITES
        ):
            await self.app(scope, receive, send)
            return
        refused = await _refusal(Request(scope))
        if refused is None:
            await self.app(scope, receive, send)
        else:
            await refused(scope, receive, send)


async def _refusal(request: Request) -> Response | None:
    """The answer to a write by nobody known (None when someone is logged in)."""
    try:
        # the session lookup reads the database: off the event loop
        await run_in_threadpool(resolve, request)
    except LoginRequiredError as exc:
        return await login_required(request, exc)
    except AssayError as exc:
        return await assay_error(request, exc)
    return None

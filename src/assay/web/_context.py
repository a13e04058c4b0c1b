"""Who is asking: the logged-in user (session cookie, or an API token on ``/api``), and the
dependencies of routes that write — a form carrying the session's CSRF token, or an API call
with a token or the ``X-CSRF-Token`` header.

Routes reach them with ``Depends(resolve)``, ``Depends(writer)`` and ``Depends(api_writer)``;
the workspace the app serves is ``request.app.state.base``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from assay.errors import PermissionDeniedError
from assay.governance import MAIN_ORG, Workspace, get_user, roles_of
from assay.policy import ROLE_PERMISSIONS
from assay.web import _auth

__all__ = [
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "Ctx",
    "LoginRequiredError",
    "api_writer",
    "is_api",
    "resolve",
    "writer",
]

SESSION_COOKIE = "assay_session"
LOGIN_CSRF_COOKIE = "assay_login_csrf"


class LoginRequiredError(Exception):
    """Raised by page dependencies when there is no live session."""


@dataclass(frozen=True, slots=True)
class Ctx:
    """Who is asking: the user, their role, their workspace view and the session's CSRF token."""

    ws: Workspace
    user: str
    role: str
    csrf: str
    via_token: bool
    held: Mapping[str, str] = field(default_factory=dict)
    """The role held in each organisation: their own organisation's, then those granted
    elsewhere (:func:`assay.governance.roles_of`)."""

    @property
    def roles(self) -> frozenset[str]:
        """Every role the user holds somewhere."""
        return frozenset(self.held.values())

    @property
    def placement(self) -> str:
        """Where the user acts with which role, for the header: ``admin`` for the programme,
        ``viewer in retail, analyst in health`` for a business unit's person with a grant."""
        if not self.held or list(self.held) == [MAIN_ORG]:
            return self.role
        return ", ".join(f"{role} in {org}" for org, role in self.held.items())

    def can(self, permission: str) -> bool:
        """Whether a role the user holds allows ``permission`` somewhere (for showing controls;
        governance checks the record's organisation on every write)."""
        return bool((self.roles or {self.role}) & ROLE_PERMISSIONS[permission])


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (tokens accepted, errors as JSON)."""
    return request.url.path.startswith("/api/")


def resolve(request: Request) -> Ctx:
    """The logged-in user: an API token (``/api`` only) or the session cookie.

    Looked up once per request: a write was authenticated before its body was read
    (:mod:`assay.web._write_auth`), and its route finds the user kept on the request.
    """
    known = getattr(request.state, "ctx", None)
    if isinstance(known, Ctx):
        return known
    base: Workspace = request.app.state.base
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and is_api(request):
        user = _auth.user_for_token(base, auth[7:].strip())
        if user is None:
            raise LoginRequiredError()
        ws = base.as_user(user)
        ctx = Ctx(ws, user, get_user(base, user).role, "", via_token=True, held=roles_of(ws))
    else:
        session = _auth.load_session(base, request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise LoginRequiredError()
        ws = base.as_user(session.user)
        ctx = Ctx(ws, session.user, session.role, session.csrf_token, False, roles_of(ws))
    request.state.ctx = ctx
    return ctx


async def writer(request: Request) -> tuple[Ctx, FormData]:
    """A logged-in user posting a form that carries the session's CSRF token."""
    # the session lookup reads the database: off the event loop, like every sync handler
    ctx = await run_in_threadpool(resolve, request)
    form = await request.form()
    sent = form.get("csrf_token")
    if not ctx.via_token and (not isinstance(sent, str) or not hmac.compare_digest(sent, ctx.csrf)):
        raise PermissionDeniedError(
            "The form's security token is missing or stale; reload the page and try again."
        )
    return ctx, form


async def api_writer(request: Request) -> Ctx:
    """An API write: a bearer token, or a session plus the X-CSRF-Token header."""
    ctx = await run_in_threadpool(resolve, request)
    sent = request.headers.get("x-csrf-token", "")
    if not ctx.via_token and not hmac.compare_digest(sent, ctx.csrf):
        raise PermissionDeniedError("Send the session's CSRF token in X-CSRF-Token.")
    return ctx

"""The FastAPI application: security middleware, sessions, CSRF, error mapping and the pages.

Handlers stay thin: they parse the request, call :mod:`assay.governance` acting as the logged-in
user (so the role rules and separation of duties are enforced there, inside each transaction),
and render a template or JSON.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.errors import (
    AssayError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    TransitionError,
)
from assay.governance import Workspace, get_user, open_workspace
from assay.policy import ROLE_PERMISSIONS, WAIVER_AGE_BANDS, waiver_age_band, waiver_over_aged
from assay.web import _auth
from assay.web._cache import PartCache
from assay.web._dashboard import TrendCache

__all__ = ["SESSION_COOKIE", "Ctx", "create_app"]

HERE = Path(__file__).parent
SESSION_COOKIE = "assay_session"
LOGIN_CSRF_COOKIE = "assay_login_csrf"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
# Stored HTML reports are self-contained (inline CSS and SVG) and never need scripts.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


class SecurityHeaders:
    """Security headers on every answer (a plain ASGI middleware: no task or stream per request).

    ``Content-Security-Policy`` and ``Cache-Control`` are defaults a handler may set otherwise
    (the stored reports' stricter policy); only ``.../view`` pages may be framed, by this origin.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        frame = "SAMEORIGIN" if scope["path"].endswith("/view") else "DENY"

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Frame-Options"] = frame
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_secured)


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

    def can(self, permission: str) -> bool:
        """Whether the role allows ``permission`` (for showing controls; governance enforces)."""
        return self.role in ROLE_PERMISSIONS[permission]


def _status(exc: AssayError) -> int:
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, TransitionError | ConflictError):
        return 409
    if isinstance(exc, InputError):
        return 422
    return 400


def create_app(
    workspace: Path | str,
    *,
    secure_cookies: bool | None = None,
    db_url: str | None = None,
) -> FastAPI:
    """Build the web application on a workspace.

    Parameters
    ----------
    workspace
        A folder inside the Assay workspace.
    secure_cookies
        Mark cookies ``Secure``. Default: when the request arrived over HTTPS (directly or, with
        ``--proxy-headers``, through a TLS-terminating proxy).
    db_url
        Overrides the workspace's database URL.

    Returns
    -------
    FastAPI
        The application; serve it with uvicorn (``assay serve`` does).
    """
    base = open_workspace(workspace, user="assay-web", db_url=db_url)
    app = FastAPI(
        title="Assay",
        version="1",
        description="Responsible-AI assurance: inventory, risks, waivers, reviews, audit.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.base = base
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    # the policy's rules, so templates never restate a threshold
    templates.env.globals |= {
        "waiver_over_aged": waiver_over_aged,
        "waiver_age_band": waiver_age_band,
        "WAIVER_AGE_BANDS": WAIVER_AGE_BANDS,
    }
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def as_user(name: str) -> Workspace:
        return Workspace(
            base.root,
            base.store,
            user=name,
            config=base.config,
            clock=base.clock,
            policy=base.policy,
        )

    app.add_middleware(SecurityHeaders)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(AssayError)
    async def assay_error(request: Request, exc: AssayError) -> Response:
        code = _status(exc)
        if is_api(request):
            return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, code)
        ctx = getattr(request.state, "ctx", None)
        return templates.TemplateResponse(
            request, "error.html", {"ctx": ctx, "code": code, "message": str(exc)}, code
        )

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        if is_api(request):
            return JSONResponse({"error": "Unauthorized", "detail": "Log in or send a token."}, 401)
        return RedirectResponse("/login", 303)

    def resolve(request: Request) -> Ctx:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and is_api(request):
            user = _auth.user_for_token(base, auth[7:].strip())
            if user is None:
                raise LoginRequiredError()
            ctx = Ctx(as_user(user), user, get_user(base, user).role, "", via_token=True)
        else:
            session = _auth.load_session(base, request.cookies.get(SESSION_COOKIE))
            if session is None:
                raise LoginRequiredError()
            ctx = Ctx(as_user(session.user), session.user, session.role, session.csrf_token, False)
        request.state.ctx = ctx
        return ctx

    async def writer(request: Request) -> tuple[Ctx, FormData]:
        """A logged-in user posting a form that carries the session's CSRF token."""
        # the session lookup reads the database: off the event loop, like every sync handler
        ctx = await run_in_threadpool(resolve, request)
        form = await request.form()
        sent = form.get("csrf_token")
        if not ctx.via_token and (
            not isinstance(sent, str) or not hmac.compare_digest(sent, ctx.csrf)
        ):
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

    app.state.resolve = resolve
    app.state.writer = writer
    app.state.api_writer = api_writer

    app.state.secure_cookies = secure_cookies
    from assay.web._login import register_login

    register_login(app)

    from assay.web._api import register_api
    from assay.web._document_pages import register_document_pages
    from assay.web._evidence_upload import register_evidence_upload
    from assay.web._incident_pages import register_incident_pages
    from assay.web._pages import register_pages
    from assay.web._tokens import register_token_api

    app.state.trend_cache = TrendCache()
    app.state.parts = PartCache()
    register_pages(app)
    register_incident_pages(app)
    register_document_pages(app)
    register_evidence_upload(app)
    register_api(app)
    register_token_api(app)
    return app


def render(request: Request, template: str, ctx: Ctx, **values: Any) -> Response:
    """Render a page template with the user context."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, {"ctx": ctx, **values})

"""Logging in and out: the login form with its own CSRF cookie, per-(user, address) throttling with
a doubling wait, and sessions. argon2 and the database run in worker threads, never on the event
loop."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from assay.errors import PermissionDeniedError
from assay.web import _auth
from assay.web._context import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Ctx

__all__ = ["register_login"]


def register_login(app: FastAPI) -> None:
    """Add ``/login`` (GET, POST) and ``/logout`` (POST) to ``app``."""
    base = app.state.base
    templates: Jinja2Templates = app.state.templates
    writer = app.state.writer
    secure_cookies = app.state.secure_cookies

    def secure(request: Request) -> bool:
        return secure_cookies if secure_cookies is not None else request.url.scheme == "https"

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, error: str | None = None) -> Response:
        token = secrets.token_urlsafe(32)
        response = templates.TemplateResponse(
            request, "login.html", {"ctx": None, "csrf": token, "error": error}
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
        )
        return response

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        user, password, sent = (str(form.get(k, "")) for k in ("user", "password", "csrf_token"))
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent, cookie):
            raise PermissionDeniedError("The login form's security token is missing or stale.")
        client = request.client.host if request.client else "unknown"
        # argon2 and the database run in worker threads, never on the event loop
        wait = await run_in_threadpool(_auth.login_wait, base, user, client)
        if wait is not None:
            seconds = max(1, int(wait.total_seconds() + 0.999))
            refused = templates.TemplateResponse(
                request,
                "login.html",
                {
                    "ctx": None,
                    "csrf": cookie,
                    "error": f"Too many failed attempts from here; try again in {seconds} s.",
                },
                429,
            )
            refused.headers["Retry-After"] = str(seconds)
            return refused
        if not await run_in_threadpool(_auth.check_login, base, user, password):
            await run_in_threadpool(_auth.record_failure, base, user, client)
            return templates.TemplateResponse(
                request,
                "login.html",
                {"ctx": None, "csrf": cookie, "error": "Wrong user name or password."},
                401,
            )
        secret, _ = await run_in_threadpool(_auth.start_session, base, user)
        response = RedirectResponse("/", 303)
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            max_age=int(_auth.SESSION_TTL.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        await run_in_threadpool(_auth.end_session, base, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

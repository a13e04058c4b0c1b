"""Logging in and out: the login form with its own CSRF cookie, per-(user, address) throttling with
a doubling wait, and sessions. argon2 and the database run in worker threads, never on the event
loop."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from assay.errors import PermissionDeniedError
from assay.governance import Workspace
from assay.web import _auth
from assay.web._context import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Ctx, writer

__all__ = ["cookie_secure", "logged_in", "login_form", "router"]


def cookie_secure(request: Request) -> bool:
    """Whether cookies are marked Secure: as the app was told, else when the request is HTTPS."""
    secure_cookies: bool | None = request.app.state.secure_cookies
    return secure_cookies if secure_cookies is not None else request.url.scheme == "https"


def _form_page(request: Request, csrf: str, error: str | None, status: int = 200) -> Response:
    """The login form carrying ``csrf``, with ``error`` shown."""
    templates: Jinja2Templates = request.app.state.templates
    context = {"ctx": None, "csrf": csrf, "error": error, "auth": request.app.state.auth}
    return templates.TemplateResponse(request, "login.html", context, status)


def _throttled(request: Request, csrf: str, wait: dt.timedelta) -> Response:
    """429: the address waits ``wait`` before its next try at this user."""
    seconds = max(1, int(wait.total_seconds() + 0.999))
    refused = _form_page(
        request, csrf, f"Too many failed attempts from here; try again in {seconds} s.", 429
    )
    refused.headers["Retry-After"] = str(seconds)
    return refused


async def logged_in(request: Request, base: Workspace, user: str, to: str = "/") -> Response:
    """Start a session for ``user`` (however they proved who they are) and go to ``to``."""
    secret, _ = await run_in_threadpool(_auth.start_session, base, user)
    response = RedirectResponse(to, 303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(_auth.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


router = APIRouter()


def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    """The login page (saying why a login was refused, if ``error``), with a fresh form token
    in its double-submit cookie."""
    token = secrets.token_urlsafe(32)
    response = _form_page(request, token, error, status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request)
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, error: str | None = None) -> Response:
    """The login form, with a fresh double-submit CSRF token in its cookie."""
    return login_form(request, error)


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    """Check the form's token, the throttle and the password; start a session."""
    base: Workspace = request.app.state.base
    if not request.app.state.auth.passwords:
        raise PermissionDeniedError(
            "Local passwords are switched off for this workspace ([auth] passwords = false); "
            "sign in through the identity provider."
        )
    form = await request.form()
    user, password, sent = (str(form.get(k, "")) for k in ("user", "password", "csrf_token"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise PermissionDeniedError("The login form's security token is missing or stale.")
    client = request.client.host if request.client else "unknown"
    # argon2 and the database run in worker threads, never on the event loop
    wait = await run_in_threadpool(_auth.login_wait, base, user, client)
    if wait is not None:
        return _throttled(request, cookie, wait)
    if not await run_in_threadpool(_auth.check_login, base, user, password):
        await run_in_threadpool(_auth.record_failure, base, user, client)
        return _form_page(request, cookie, "Wrong user name or password.", 401)
    return await logged_in(request, base, user)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """End the session and go to the login page."""
    base: Workspace = request.app.state.base
    await run_in_threadpool(_auth.end_session, base, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response

"""Signing in through the organisation's OpenID provider (``[auth.oidc]``; docs/sso.md).

``GET /login/oidc`` starts a login (state, nonce and PKCE verifier remembered by the workspace)
and sends the browser to the provider, leaving a random cookie in the browser that started it;
the pending login is kept under a hash of the state *and* that cookie, so a callback URL an
attacker planted in someone else's browser (login CSRF) finds no login there.
``GET /login/oidc/callback`` takes the login back — once — trades the code for the ID token,
checks it (:mod:`assay.web._oidc`), finds or provisions the user (:func:`assay.governance.sso_user`)
and starts the same session a password login starts.
Every refusal is the login page with the reason, never a stack trace.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from assay.errors import AssayError, PermissionDeniedError
from assay.governance import (
    SSO_LOGIN_TTL,
    SsoIdentity,
    Workspace,
    begin_sso_login,
    sso_user,
    take_sso_login,
)
from assay.web._login import cookie_secure, logged_in, login_form
from assay.web._oidc import OidcClient, pkce_pair

__all__ = ["router"]

router = APIRouter()

#: The cookie that binds a login under way to the browser that started it.
SSO_BROWSER_COOKIE = "assay_sso_browser"
_COOKIE_PATH = "/"  # the callback may sit under a proxy's prefix or redirect_url


def _client(request: Request) -> OidcClient:
    client: OidcClient | None = request.app.state.oidc
    if client is None:
        raise PermissionDeniedError("Single sign-on is not configured for this workspace.")
    return client


def _redirect_uri(request: Request, client: OidcClient) -> str:
    return client.settings.redirect_url or str(request.url_for("oidc_callback"))


def _local_path(next_path: str | None) -> str:
    """Where to go after login: a path on this site only (never ``//host``, a URL, a backslash
    or a control character, which browsers strip or read as ``/`` and so turn into ``//host``)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return "/"
    if "\\" in next_path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in next_path):
        return "/"
    return next_path[:300]


def _bound(state: str, browser: str) -> str:
    """The key a pending login is kept under: its state and the starting browser's cookie."""
    return f"{state}.{browser}"


@router.get("/login/oidc", include_in_schema=False)
async def oidc_start(request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge."""
    client = _client(request)
    base: Workspace = request.app.state.base
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    browser = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    try:
        url = await run_in_threadpool(
            client.authorization_url,
            redirect_uri=_redirect_uri(request, client),
            state=state,
            nonce=nonce,
            challenge=challenge,
        )
    except AssayError as exc:
        return login_form(request, str(exc), 502)
    await run_in_threadpool(
        begin_sso_login,
        base,
        state=_bound(state, browser),
        nonce=nonce,
        code_verifier=verifier,
        next_path=_local_path(next),
    )
    response = RedirectResponse(url, 303)
    response.set_cookie(
        SSO_BROWSER_COOKIE,
        browser,
        max_age=int(SSO_LOGIN_TTL.total_seconds()),
        path=_COOKIE_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to the callback
        secure=cookie_secure(request),
    )
    return response


def _identity(client: OidcClient, claims: dict[str, object]) -> SsoIdentity:
    settings = client.settings
    name = claims.get(settings.username_claim) or claims.get("sub")
    email, display = claims.get("email"), claims.get("name")
    return SsoIdentity(
        issuer=settings.issuer,
        subject=str(claims["sub"]),
        name=str(name),
        role=settings.role(claims),
        org=settings.org(claims),
        email=email if isinstance(email, str) else None,
        display_name=display if isinstance(display, str) else None,
    )


def _finish(
    request: Request, client: OidcClient, code: str, state: str, browser: str
) -> tuple[str, str]:
    """In a worker thread: the user this login is, and where to go next."""
    base: Workspace = request.app.state.base
    pending = take_sso_login(base, _bound(state, browser))
    if pending is None:
        raise PermissionDeniedError("This sign-in was already used or has expired; sign in again.")
    token = client.exchange(
        code=code, redirect_uri=_redirect_uri(request, client), verifier=pending.code_verifier
    )
    claims = client.verify(token, nonce=pending.nonce, now=base.now())
    settings = client.settings
    user = sso_user(
        base, _identity(client, claims), provision=settings.provision, link=settings.link_existing
    )
    return user.name, pending.next_path


@router.get("/login/oidc/callback", name="oidc_callback", include_in_schema=False)
async def oidc_callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    """The provider sends the browser back here with a code (or an error)."""
    client = _client(request)
    if error or not code or not state:
        reason = error_description or error or "no code or state"
        return login_form(request, f"The identity provider did not sign you in: {reason}.", 400)
    browser = request.cookies.get(SSO_BROWSER_COOKIE)
    if not browser:
        return _refused(
            request,
            "This sign-in was not started in this browser (or its cookie is gone); "
            "start it again with Sign in.",
        )
    try:
        user, next_path = await run_in_threadpool(_finish, request, client, code, state, browser)
    except AssayError as exc:
        return _refused(request, str(exc))
    response = await logged_in(request, request.app.state.base, user, next_path)
    response.delete_cookie(SSO_BROWSER_COOKIE, path=_COOKIE_PATH)
    return response


def _refused(request: Request, reason: str) -> Response:
    """The login page saying why, with the browser's pending-login cookie gone."""
    response = login_form(request, reason, 403)
    response.delete_cookie(SSO_BROWSER_COOKIE, path=_COOKIE_PATH)
    return response

"""Flash messages: one line of feedback after a write, carried across the redirect.

The message rides in a short-lived cookie signed with HMAC-SHA256 keyed by the session's CSRF
token (a secret of that session only), so nobody can plant a message in another user's page;
the next page shown to the user reads it once and deletes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from assay.web._context import Ctx

__all__ = ["FLASH_COOKIE", "FLASH_KINDS", "Flash", "clear_flash", "flash_redirect", "read_flash"]

FLASH_COOKIE = "assay_flash"
FLASH_KINDS = ("ok", "warn", "error")
_MAX_CHARS = 600


@dataclass(frozen=True, slots=True)
class Flash:
    """A message for the next page, and its kind (one of :data:`FLASH_KINDS`)."""

    message: str
    kind: str = "ok"


def _sign(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


def flash_redirect(
    request: Request, ctx: Ctx, url: str, message: str, *, kind: str = "ok"
) -> Response:
    """A 303 redirect to ``url`` that shows ``message`` on the page it lands on."""
    response = RedirectResponse(url, 303)
    if ctx.via_token or not ctx.csrf:
        return response
    payload = json.dumps([message[:_MAX_CHARS], kind if kind in FLASH_KINDS else "ok"])
    body = base64.urlsafe_b64encode(payload.encode()).decode()
    secure: bool | None = request.app.state.secure_cookies
    response.set_cookie(
        FLASH_COOKIE,
        f"{body}.{_sign(ctx.csrf, body)}",
        max_age=60,
        httponly=True,
        samesite="lax",
        secure=secure if secure is not None else request.url.scheme == "https",
    )
    return response


def read_flash(request: Request, ctx: Ctx | None) -> Flash | None:
    """The message waiting for this session, if its signature holds."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or ctx is None or not ctx.csrf or "." not in raw:
        return None
    body, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(ctx.csrf, body)):
        return None
    try:
        message, kind = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(message, str) or kind not in FLASH_KINDS:
        return None
    return Flash(message, kind)


def clear_flash(response: Response) -> None:
    """Delete the flash cookie once its message is on a page."""
    response.delete_cookie(FLASH_COOKIE)

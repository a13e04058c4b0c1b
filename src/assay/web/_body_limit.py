"""How big a request body may be: 1 MiB by default, more only where a route says so (the
evidence upload). The limit is enforced while the body streams in, whatever ``Content-Length``
says or whether it is sent at all: a body is refused with 413 as soon as it passes the limit, and
at once, before a byte of it is read, when ``Content-Length`` declares more.

Nothing is read before a route asks for the body, and a route that writes asks only after the
request is authenticated (:mod:`assay.web._write_auth`), so an anonymous client cannot make the
server read a large body either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_BYTES", "MIB", "BodyLimit", "BodyTooLargeError"]

MIB = 1024 * 1024
#: The most a form or JSON body may have.
MAX_BODY_BYTES = 1 * MIB


class BodyTooLargeError(HTTPException):
    """The request body passed the route's limit (413)."""

    def __init__(self, scope: Scope, limit: int) -> None:
        size = f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit} bytes"
        where = f"{scope.get('method', '')} {scope.get('path', '')}"
        super().__init__(
            413, f"The request body is larger than {size}, the most {where} accepts; send less."
        )


def _declared_length(scope: Scope) -> int | None:
    """The body's size that ``Content-Length`` declares; None when absent or not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyLimit:
    """Refuse a request body over its route's limit while it streams (a plain ASGI middleware).

    ``limits`` maps a route's endpoint function to its own limit; every other route has
    ``default``. The route is known once the router has matched it, which is before any route
    reads its body, so the limit is looked up at the first read.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int = MAX_BODY_BYTES,
        limits: Mapping[Callable[..., Any], int] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        limit: int | None = None
        received = 0

        async def limited() -> Message:
            nonlocal limit, received
            if limit is None:
                limit = self.limits.get(scope.get("endpoint"), self.default)  # type: ignore[arg-type]
                if declared is not None and declared > limit:
                    raise BodyTooLargeError(scope, limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(scope, limit)
            return message

        await self.app(scope, limited, send)

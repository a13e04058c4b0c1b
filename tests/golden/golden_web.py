"""Helpers of the web goldens: log in through the login form, and show a response as a golden."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "correct horse battery"


def login(client: Any, user: str) -> None:
    """Log ``user`` in through the form (its CSRF token included), as a browser does."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    reply = client.post(
        "/login",
        data={"user": user, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text


def logout(client: Any) -> None:
    """End the session."""
    client.post("/logout", data={"csrf_token": client.get("/api/me").json()["csrf_token"]})


def shown(reply: Any) -> str:
    """A response as a golden: status line, content type, then the body."""
    return f"HTTP {reply.status_code} {reply.headers.get('content-type', '')}\n{reply.text}"

"""Browser sessions and login throttling: short-lived state outside the audit chain.

A session is keyed by the sha256 of a random cookie value and carries its CSRF token; it ends at
logout, after :data:`SESSION_TTL`, when its user's password changes or when the user is
deactivated. Failed logins count per (user, client address): after :data:`MAX_FAILURES`, each try
waits :data:`BACKOFF`, doubled with each further failure, so guesses from one place never lock
the user out everywhere; an address failing :data:`ADDRESS_FAILURES` times across users waits out
the window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from assay.governance._users import get_user
from assay.store import tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "ADDRESS_FAILURES",
    "BACKOFF",
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "SESSION_TTL",
    "Session",
    "end_session",
    "load_session",
    "login_wait",
    "record_login_failure",
    "start_session",
]

SESSION_TTL = dt.timedelta(hours=12)
"""How long a session lives after login."""
MAX_FAILURES = 5
"""Failed logins of one user from one address before each try must wait (:func:`login_wait`)."""
FAILURE_WINDOW = dt.timedelta(minutes=15)
"""How long a failed login counts."""
BACKOFF = dt.timedelta(seconds=30)
"""The first wait once :data:`MAX_FAILURES` is reached; it doubles with each further failure."""
ADDRESS_FAILURES = 50
"""Failed logins from one address, across users, before the address waits out the window."""

_S = tables.web_sessions.c
_F = tables.web_login_failures.c


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser session, with the role its user has now."""

    user: str
    csrf_token: str
    expires_at: dt.datetime
    role: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def start_session(ws: Workspace, user: str) -> tuple[str, Session]:
    """Open a session for ``user``; return the secret cookie value and the session."""
    secret = secrets.token_urlsafe(32)
    now = ws.now()
    session = Session(
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + SESSION_TTL,
        role=get_user(ws, user).role,
    )
    with ws.store.volatile() as conn:
        conn.execute(sa.delete(tables.web_sessions).where(_S.expires_at < now))
        conn.execute(
            sa.insert(tables.web_sessions).values(
                id_sha256=_sha(secret),
                user_name=user,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
    return secret, session


def load_session(ws: Workspace, secret: str | None) -> Session | None:
    """The live session of a cookie value, or None (unknown, expired or user deactivated).

    One query per request: the session and its user's current role (a role changed or a user
    deactivated by another process takes effect on the next request).
    """
    if not secret:
        return None
    users = tables.users
    with ws.store.read() as conn:
        row = conn.execute(
            sa.select(_S.user_name, _S.csrf_token, _S.expires_at, users.c.role)
            .select_from(tables.web_sessions.join(users, users.c.name == _S.user_name))
            .where(_S.id_sha256 == _sha(secret), users.c.active)
        ).first()
    if row is None or row.expires_at < ws.now():
        return None
    return Session(row.user_name, row.csrf_token, row.expires_at, str(row.role))


def end_session(ws: Workspace, secret: str | None) -> None:
    """Log out: delete the session of a cookie value."""
    if secret:
        with ws.store.volatile() as conn:
            conn.execute(sa.delete(tables.web_sessions).where(_S.id_sha256 == _sha(secret)))


def _keys(user: str, address: str) -> tuple[str, str]:
    return f"pair:{address}|{user}"[:200], f"ip:{address}"[:200]


def login_wait(ws: Workspace, user: str, address: str) -> dt.timedelta | None:
    """How long ``address`` must wait before trying ``user``'s password again, or None."""
    now = ws.now()
    pair_key, address_key = _keys(user, address)
    since = now - FAILURE_WINDOW
    with ws.store.read() as conn:
        pair = conn.execute(
            sa.select(sa.func.count(), sa.func.max(_F.at)).where(_F.key == pair_key, _F.at >= since)
        ).one()
        sprayed = conn.execute(
            sa.select(sa.func.count(), sa.func.max(_F.at)).where(
                _F.key == address_key, _F.at >= since
            )
        ).one()
    waits = []
    if pair[0] >= MAX_FAILURES:
        waits.append(pair[1] + min(BACKOFF * 2 ** (pair[0] - MAX_FAILURES), FAILURE_WINDOW) - now)
    if sprayed[0] >= ADDRESS_FAILURES:
        waits.append(sprayed[1] + FAILURE_WINDOW - now)
    wait = max(waits, default=dt.timedelta(0))
    return wait if wait > dt.timedelta(0) else None


def record_login_failure(ws: Workspace, user: str, address: str) -> None:
    """Count one failed login of ``user`` from ``address``; drop counts older than the window."""
    now = ws.now()
    failures = tables.web_login_failures
    with ws.store.volatile() as conn:
        conn.execute(sa.delete(failures).where(_F.at < now - FAILURE_WINDOW))
        for key in _keys(user, address):
            conn.execute(sa.insert(failures).values(key=key, at=now))

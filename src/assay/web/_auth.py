"""Credentials and sessions of the web adapter: argon2 passwords, server-side sessions with a
CSRF token each, API tokens and login throttling.

Passwords and tokens are recorded by :mod:`assay.governance` (audited, in the chain); this module
hashes passwords and keeps the short-lived state: sessions and failed logins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assay.errors import InputError
from assay.governance import (
    Workspace,
    get_user,
    mint_token,
    password_hash_of,
    store_password_hash,
    token_user,
)
from assay.store import tables

__all__ = [
    "MAX_FAILURES",
    "SESSION_TTL",
    "Session",
    "check_login",
    "create_token",
    "end_session",
    "load_session",
    "login_wait",
    "record_failure",
    "set_password",
    "start_session",
    "user_for_token",
]

sessions = tables.web_sessions
failures = tables.web_login_failures

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
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified when the user has no password, so that timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("assay-dummy-password")


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser session, with the role its user has now."""

    user: str
    csrf_token: str
    expires_at: dt.datetime
    role: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextmanager
def _writing(ws: Workspace) -> Iterator[sa.Connection]:
    with ws.store.volatile() as conn:
        yield conn


def set_password(ws: Workspace, user: str, password: str) -> None:
    """Set (or replace) a user's web password, stored as an argon2id hash.

    Parameters
    ----------
    ws
        The workspace; its user sets their own password, or (as admin) anyone's.
    user
        A registered user name.
    password
        At least 10 characters. Every session of the user is ended and their API tokens are
        revoked; the change is an audit event.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters; "
            f"it has {len(password)}."
        )
    get_user(ws, user)
    store_password_hash(ws, user, _hasher.hash(password))


def check_login(ws: Workspace, user: str, password: str) -> bool:
    """Whether ``password`` is the password of the active user ``user``."""
    stored = password_hash_of(ws, user)
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def _pair(user: str, address: str) -> str:
    return f"pair:{address}|{user}"[:200]


def login_wait(ws: Workspace, user: str, address: str) -> dt.timedelta | None:
    """How long ``address`` must wait before trying ``user``'s password again, or None.

    Failures count per (user, address): after :data:`MAX_FAILURES` in :data:`FAILURE_WINDOW`,
    each further try waits :data:`BACKOFF` doubled per failure since (at most the window). A
    user is never locked out for everyone; an address that fails :data:`ADDRESS_FAILURES` times
    across any users (password spraying) waits out the window.
    """
    now = ws.now()
    c = failures.c
    with ws.store.read() as conn:
        pair = conn.execute(
            sa.select(sa.func.count(), sa.func.max(c.at)).where(
                c.key == _pair(user, address), c.at >= now - FAILURE_WINDOW
            )
        ).one()
        sprayed = conn.execute(
            sa.select(sa.func.count(), sa.func.max(c.at)).where(
                c.key == f"ip:{address}"[:200], c.at >= now - FAILURE_WINDOW
            )
        ).one()
    waits = []
    if pair[0] >= MAX_FAILURES:
        backoff = min(BACKOFF * 2 ** (pair[0] - MAX_FAILURES), FAILURE_WINDOW)
        waits.append(pair[1] + backoff - now)
    if sprayed[0] >= ADDRESS_FAILURES:
        waits.append(sprayed[1] + FAILURE_WINDOW - now)
    wait = max(waits, default=dt.timedelta(0))
    return wait if wait > dt.timedelta(0) else None


def record_failure(ws: Workspace, user: str, address: str) -> None:
    """Count one failed login of ``user`` from ``address``; drop counts older than the window."""
    now = ws.now()
    with _writing(ws) as conn:
        conn.execute(sa.delete(failures).where(failures.c.at < now - FAILURE_WINDOW))
        for key in (_pair(user, address), f"ip:{address}"[:200]):
            conn.execute(sa.insert(failures).values(key=key, at=now))


def start_session(ws: Workspace, user: str) -> tuple[str, Session]:
    """Open a session for ``user``; return the secret cookie value and the session."""
    secret = secrets.token_urlsafe(32)
    session = Session(
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=_now() + SESSION_TTL,
        role=get_user(ws, user).role,
    )
    with _writing(ws) as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.expires_at < _now()))
        conn.execute(
            sa.insert(sessions).values(
                id_sha256=_sha(secret),
                user_name=user,
                csrf_token=session.csrf_token,
                created_at=_now(),
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
    with ws.store.read() as conn:
        row = conn.execute(
            sa.select(
                sessions.c.user_name,
                sessions.c.csrf_token,
                sessions.c.expires_at,
                tables.users.c.role,
            )
            .select_from(sessions.join(tables.users, tables.users.c.name == sessions.c.user_name))
            .where(sessions.c.id_sha256 == _sha(secret), tables.users.c.active)
        ).first()
    if row is None or row.expires_at < _now():
        return None
    return Session(
        user=row.user_name,
        csrf_token=row.csrf_token,
        expires_at=row.expires_at,
        role=str(row.role),
    )


def end_session(ws: Workspace, secret: str | None) -> None:
    """Log out: delete the session of a cookie value."""
    if secret:
        with _writing(ws) as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.id_sha256 == _sha(secret)))


def create_token(ws: Workspace, user: str, label: str, days: int | None = None) -> str:
    """Create an API token for ``user`` (CI, scripts): :func:`assay.governance.mint_token`.

    Returns
    -------
    str
        The token, shown once; send it as ``Authorization: Bearer TOKEN``.
    """
    return mint_token(ws, user, label=label, days=days)[0]


def user_for_token(ws: Workspace, token: str) -> str | None:
    """The active user a live API token acts as, or None."""
    return token_user(ws, token)

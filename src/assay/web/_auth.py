"""Credentials of the web adapter: argon2 password hashing and checking.

Passwords and tokens are recorded by :mod:`assay.governance` (audited, in the chain), and so are
sessions and login throttling (short-lived state outside it); this module hashes and checks
passwords, the one step that needs the ``[web]`` extra, and re-exports the rest for the app.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assay.errors import InputError
from assay.governance import (
    MAX_FAILURES,
    SESSION_TTL,
    Session,
    Workspace,
    end_session,
    get_user,
    load_session,
    login_wait,
    mint_token,
    password_hash_of,
    record_login_failure,
    start_session,
    store_password_hash,
    token_user,
)

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

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified when the user has no password, so that timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("assay-dummy-password")


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


def record_failure(ws: Workspace, user: str, address: str) -> None:
    """Count one failed login of ``user`` from ``address`` (see :func:`login_wait`)."""
    record_login_failure(ws, user, address)


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

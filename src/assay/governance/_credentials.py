"""Credentials: web passwords and API tokens, written through audited transactions.

Every change — a password set, a token made or revoked — is one event of the audit chain, and
``assay audit verify`` checks each credential row against it, so a password hash or token planted
in the database is found. The chain keeps only the sha256 of a password's argon2 hash, and never
a token (only its sha256 is stored anywhere). A token's ``last_used_at`` is written on use outside
the chain (at most once a minute per token), since using a credential changes nothing it governs.

Anyone may manage their own credentials; an admin may manage anyone's. A password change and a
deactivation revoke the user's tokens and end their sessions; a token is never made for a
deactivated user, and every token expires (:func:`assay.policy.token_days`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import InputError, PermissionDeniedError
from assay.governance._common import Record, check_text, format_ref, not_found, parse_ref, writing
from assay.governance._scope import role_in, sees, shown
from assay.policy import ROLE_PERMISSIONS, token_days
from assay.store import WriteTx, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "ApiToken",
    "list_tokens",
    "mint_token",
    "password_hash_of",
    "revoke_token",
    "store_password_hash",
    "token_user",
]

_T = tables.web_tokens.c
_PW = tables.web_passwords.c
TOKEN_PREFIX = "assay_"
#: ``last_used_at`` is rewritten at most this often per token.
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ApiToken(Record):
    """An API token's record (never the token itself); ``active`` is computed for now."""

    id: int
    ref: str
    user: str
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_reason: str | None
    active: bool


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record(row: RowMapping, now: dt.datetime) -> ApiToken:
    expires = row["expires_at"]
    return ApiToken.from_row(
        row,
        ref=format_ref("token", row["id"]),
        user=row["user_name"],
        active=row["revoked_at"] is None and expires is not None and expires > now,
    )


def _target(ws: Workspace, tx: WriteTx, name: str) -> RowMapping:
    """The user whose credentials change; only they or an admin may change them."""
    if name != ws.user:
        actor = tx.get(tables.users, ws.user)
        if actor is None or actor["role"] not in ROLE_PERMISSIONS["manage users"]:
            raise PermissionDeniedError(
                f"{ws.user!r} may manage only their own password and tokens; an admin may "
                "manage anyone's."
            )
    row = tx.get(tables.users, name)
    if row is None:
        raise not_found("user", repr(name), "List users with `assay user list`.")
    return row


def revoke_all(ws: Workspace, tx: WriteTx, name: str, reason: str) -> int:
    """Inside ``tx``: revoke every live token of ``name`` and end their sessions."""
    now = ws.now()
    ids = tx.conn.execute(
        sa.select(_T.id).where(_T.user_name == name, _T.revoked_at.is_(None))
    ).scalars()
    count = 0
    for id_ in list(ids):
        tx.update(tables.web_tokens, id_, {"revoked_at": now, "revoked_reason": reason})
        count += 1
    sessions = tables.web_sessions
    tx.conn.execute(sa.delete(sessions).where(sessions.c.user_name == name))
    return count


def store_password_hash(ws: Workspace, name: str, password_hash: str) -> None:
    """Set ``name``'s web password to an (argon2) hash; revokes their tokens and sessions.

    The web adapter hashes the password (:func:`assay.web._auth.set_password`); this records it.
    """
    with writing(
        ws, "manage own credentials", action="user.passwd", entity_type="user", entity_id=name
    ) as tx:
        _target(ws, tx, name)
        values = {"password_hash": password_hash, "updated_at": ws.now()}
        if tx.get(tables.web_passwords, name) is None:
            tx.insert(tables.web_passwords, {"user_name": name, **values})
        else:
            tx.update(tables.web_passwords, name, values)
        revoke_all(ws, tx, name, "password changed")


def password_hash_of(ws: Workspace, name: str) -> str | None:
    """The stored password hash of an active user, or None."""
    users = tables.users
    with ws.store.read() as conn:
        found = conn.execute(
            sa.select(_PW.password_hash)
            .select_from(tables.web_passwords.join(users, users.c.name == _PW.user_name))
            .where(_PW.user_name == name, users.c.active)
        ).scalar()
    return None if found is None else str(found)


def mint_token(
    ws: Workspace, name: str, *, label: str = "ci", days: int | None = None
) -> tuple[str, ApiToken]:
    """Make an API token that acts as ``name`` (yourself, or anyone as admin).

    Parameters
    ----------
    ws
        The workspace; its user makes the token.
    name
        The user the token acts as; must be active.
    label
        What the token is for (``ci``, ``nightly-gate``), at most 100 characters.
    days
        Its lifetime; default and maximum: the policy's ``api_token_days`` (90).

    Returns
    -------
    tuple of str and ApiToken
        The token, shown once (send it as ``Authorization: Bearer TOKEN``), and its record.
    """
    text = check_text(label, what="token label")
    assert text is not None
    if len(text) > 100:
        raise InputError(f"The token label has {len(text)} characters; keep it to 100.")
    lifetime = token_days(days, ws.policy)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with writing(
        ws, "manage own credentials", action="token.mint", entity_type="token", entity_id=""
    ) as tx:
        user = _target(ws, tx, name)
        if not user["active"]:
            raise InputError(f"The user {name!r} is deactivated; a token cannot act as them.")
        now = ws.now()
        row = tx.insert(
            tables.web_tokens,
            {
                "user_name": name,
                "label": text,
                "token_sha256": _sha(token),
                "created_at": now,
                "last_used_at": None,
                "revoked_at": None,
                "expires_at": now + dt.timedelta(days=lifetime),
                "revoked_reason": None,
            },
        )
        tx.set_entity("token", row["id"])
        return token, _record(row, now)


def _manages(conn: Connection, reader: str, holder: str) -> bool:
    """Whether ``reader`` may see ``holder``'s credentials: their own, or as the admin (by the
    role held there) of an organisation ``holder`` belongs to that the reader sees."""
    if holder == reader:
        return True
    u = tables.users.c
    me = conn.execute(sa.select(tables.users).where(u.name == reader)).mappings().first()
    org = conn.execute(sa.select(u.org).where(u.name == holder)).first()
    if me is None or org is None or not sees(conn, org.org):
        return False
    return role_in(conn, me, shown(org.org)) in ROLE_PERMISSIONS["manage users"]


def list_tokens(
    ws: Workspace, *, user: str | None = None, include_inactive: bool = False
) -> list[ApiToken]:
    """API tokens, newest first: your own, or anyone's (``user``, or all when None) as admin;
    only those of people of the organisations where the reader manages people."""
    q = sa.select(tables.web_tokens).order_by(_T.id.desc())
    with ws.store.read() as conn:
        me = conn.execute(sa.select(tables.users).where(tables.users.c.name == ws.user)).first()
        admin = me is not None and me.role in ROLE_PERMISSIONS["manage users"]
        if user is None and not admin:
            user = ws.user
        if user is not None:
            if user != ws.user and not admin:
                raise PermissionDeniedError(
                    f"{ws.user!r} may list only their own tokens; an admin may list anyone's."
                )
            q = q.where(_T.user_name == user)
        rows = [r for r in conn.execute(q).mappings() if _manages(conn, ws.user, r["user_name"])]
    now = ws.now()
    records = [_record(r, now) for r in rows]
    return records if include_inactive else [t for t in records if t.active]


def revoke_token(ws: Workspace, ref: str | int, *, reason: str | None = None) -> ApiToken:
    """Revoke an API token (``TOK-3`` or ``3``): your own, or anyone's as admin."""
    id_ = parse_ref("token", ref)
    note = check_text(reason, what="reason", required=False)
    with writing(
        ws,
        "manage own credentials",
        action="token.revoke",
        entity_type="token",
        entity_id=id_,
        note=note,
    ) as tx:
        row = tx.get(tables.web_tokens, id_)
        holder = None if row is None else tx.get(tables.users, row["user_name"])
        if row is None or holder is None or not sees(tx.conn, holder["org"]):
            raise not_found(
                "token", format_ref("token", id_), "List them with `assay user tokens`."
            )
        _target(ws, tx, row["user_name"])
        if row["revoked_at"] is not None:
            return _record(row, ws.now())
        new = tx.update(
            tables.web_tokens,
            id_,
            {"revoked_at": ws.now(), "revoked_reason": note or f"revoked by {ws.user}"},
        )
        return _record(new, ws.now())


def token_user(ws: Workspace, token: str) -> str | None:
    """The active user a live (unrevoked, unexpired) token acts as, or None; notes its use."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _sha(token)
    users = tables.users
    now = ws.now()
    with ws.store.read() as conn:
        row = conn.execute(
            sa.select(_T.id, _T.token_sha256, _T.user_name, _T.last_used_at)
            .select_from(tables.web_tokens.join(users, users.c.name == _T.user_name))
            .where(_T.token_sha256 == digest, _T.revoked_at.is_(None), _T.expires_at > now)
            .where(users.c.active)
        ).first()
    if row is None or not hmac.compare_digest(row.token_sha256, digest):
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        with ws.store.volatile() as conn:
            touch = sa.update(tables.web_tokens).where(_T.id == row.id)
            conn.execute(touch.values(last_used_at=now))
    return str(row.user_name)

"""Single sign-on: who an identity verified by an OpenID provider is in this workspace.

The web adapter runs the protocol (:mod:`assay.web._oidc`) and checks the ID token; this module
keeps what the workspace decides:

- a login under way (the hashed ``state``, the nonce, the PKCE verifier) is stored when it starts
  and *taken* — deleted — when the provider sends the browser back, so a replayed ``state`` finds
  nothing (:func:`begin_sso_login`, :func:`take_sso_login`);
- an identity is the pair (issuer, subject), never the user name the provider suggests: the first
  login binds the pair to a user (audited, checked by ``assay audit verify`` like a password), and
  later logins find the user by the pair, so a renamed or re-used name at the provider cannot
  take over someone else's account (:func:`sso_user`);
- the role comes from the provider's groups through the workspace's mapping
  (:func:`role_for_groups`) and is applied at each login, audited, with the last active admin
  never demoted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from assay.errors import InputError, PermissionDeniedError
from assay.governance._common import check_name
from assay.governance._scope import MAIN_ORG, stored
from assay.governance._users import User, get_user, refuse_last_admin
from assay.policy import ROLES, Role
from assay.store import WriteTx, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "SSO_LOGIN_TTL",
    "PendingSsoLogin",
    "SsoIdentity",
    "begin_sso_login",
    "role_for_groups",
    "sso_user",
    "take_sso_login",
]

SSO_LOGIN_TTL = dt.timedelta(minutes=10)
"""How long a login may stay at the identity provider before its ``state`` is refused."""

_L = tables.web_oidc_logins.c
_I = tables.web_sso_identities.c


@dataclass(frozen=True, slots=True)
class PendingSsoLogin:
    """A login under way: what the callback must match (nonce) and send (PKCE verifier)."""

    nonce: str
    code_verifier: str
    next_path: str


@dataclass(frozen=True, slots=True)
class SsoIdentity:
    """An identity the provider vouched for (its ID token checked), and the role it maps to."""

    issuer: str
    subject: str
    name: str
    role: str | None
    email: str | None = None
    display_name: str | None = None
    org: str | None = MAIN_ORG
    """The organisation a first login is provisioned into (None: the groups map to none)."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def begin_sso_login(
    ws: Workspace, *, state: str, nonce: str, code_verifier: str, next_path: str
) -> None:
    """Remember a login sent to the provider (short-lived state outside the audit chain)."""
    now = ws.now()
    with ws.store.volatile() as conn:
        conn.execute(sa.delete(tables.web_oidc_logins).where(_L.expires_at < now))
        conn.execute(
            sa.insert(tables.web_oidc_logins).values(
                state_sha256=_sha(state),
                nonce=nonce,
                code_verifier=code_verifier,
                next_path=next_path,
                created_at=now,
                expires_at=now + SSO_LOGIN_TTL,
            )
        )


def take_sso_login(ws: Workspace, state: str) -> PendingSsoLogin | None:
    """The login ``state`` names, removed so that it is used once; None if unknown, already
    used or expired."""
    key = _sha(state)
    with ws.store.volatile() as conn:
        row = conn.execute(sa.select(tables.web_oidc_logins).where(_L.state_sha256 == key)).first()
        if row is None:
            return None
        deleted = conn.execute(sa.delete(tables.web_oidc_logins).where(_L.state_sha256 == key))
    if deleted.rowcount != 1 or row.expires_at < ws.now():
        return None  # another request took it first, or it waited too long
    return PendingSsoLogin(row.nonce, row.code_verifier, row.next_path)


def role_for_groups(
    groups: Iterable[str], mapping: Mapping[str, str], default: str | None = None
) -> str | None:
    """The most privileged role any of ``groups`` maps to, else ``default`` (None: no access)."""
    for role in (*mapping.values(), *([default] if default else [])):
        if role not in ROLES:
            raise InputError(f"{role!r} is not a role; the roles are {', '.join(ROLES)}.")
    found = [mapping[g] for g in groups if g in mapping]
    if not found:
        return default
    return max(found, key=ROLES.index)


def sso_user(ws: Workspace, identity: SsoIdentity, *, provision: bool, link: bool) -> User:
    """The user ``identity`` signs in as, provisioned or linked on first login (audited, acted
    by that person), with the role the provider's groups map to.

    Raises
    ------
    PermissionDeniedError
        No role maps from the groups; the user is deactivated; the name belongs to a user not
        linked to this identity (unless ``link``); or there is no user and ``provision`` is off.
    """
    with ws.store.read() as conn:
        bound = conn.execute(
            sa.select(_I.user_name).where(
                _I.issuer == identity.issuer, _I.subject == identity.subject
            )
        ).scalar()
    name = str(bound) if bound is not None else check_name(identity.name, what="user name")
    if identity.role is None:
        raise PermissionDeniedError(
            f"{name!r} signed in, but none of their groups maps to an Assay role; an admin adds "
            "the group to [auth.oidc.roles] in .assay/config.toml (see docs/sso.md)."
        )
    if bound is None:
        _first_login(ws, identity, name, provision=provision, link=link)
    user = get_user(ws, name)
    if not user.active:
        raise PermissionDeniedError(f"{name!r} is deactivated in this workspace.")
    if user.role != identity.role:
        _apply_role(ws, name, identity.role)
        user = get_user(ws, name)
    return user


def _first_login(
    ws: Workspace, identity: SsoIdentity, name: str, *, provision: bool, link: bool
) -> None:
    """Bind the identity to ``name``: a new user (``provision``), or an existing one (``link``)."""
    exists = _user_exists(ws, name)
    if exists and not link:
        raise PermissionDeniedError(
            f"The Assay user {name!r} exists and is not linked to this sign-in. An admin sets "
            "[auth.oidc] link_existing = true once the provider owns these names."
        )
    if not exists and not provision:
        raise PermissionDeniedError(
            f"There is no Assay user {name!r}; ask an admin to add you "
            "(or to set [auth.oidc] provision = true)."
        )
    action = "user.sso_link" if exists else "user.sso_provision"
    note = f"signed in through {identity.issuer} as {identity.subject}"
    with ws.store.write(
        actor=name, action=action, entity_type="user", entity_id=name, note=note, at=ws.now()
    ) as tx:
        if not exists:
            _insert_user(ws, tx, identity, name)
        tx.insert(
            tables.web_sso_identities,
            {
                "issuer": identity.issuer,
                "subject": identity.subject,
                "user_name": name,
                "created_at": ws.now(),
            },
        )


def _user_exists(ws: Workspace, name: str) -> bool:
    with ws.store.read() as conn:
        found = conn.execute(sa.select(tables.users.c.name).where(tables.users.c.name == name))
        return found.first() is not None


def _insert_user(ws: Workspace, tx: WriteTx, identity: SsoIdentity, name: str) -> None:
    if identity.org is None:
        raise PermissionDeniedError(
            f"{name!r} signed in, but none of their groups maps to an organisation; an admin "
            "adds the group to [auth.oidc.orgs] in .assay/config.toml, or sets default_org "
            "(see docs/sso.md)."
        )
    org = stored(identity.org)
    if org is not None and tx.get(tables.organisations, org) is None:
        raise PermissionDeniedError(
            f"The identity provider's groups put {name!r} in the organisation {org!r}, which "
            f"this workspace does not have; an admin adds it with `assay org add {org} --title "
            "TITLE` or fixes "
            "[auth.oidc.orgs]."
        )
    now = ws.now()
    tx.insert(
        tables.users,
        {
            "name": name,
            "org": org,
            "role": identity.role,
            "display_name": (identity.display_name or "")[:200] or None,
            "email": (identity.email or "")[:200] or None,
            "active": True,
            "created_at": now,
            "created_by": name,
            "updated_at": now,
            "updated_by": name,
        },
    )


def _apply_role(ws: Workspace, name: str, role: str) -> None:
    """Set ``name``'s role from the provider's groups, acted by ``name`` (who just signed in)."""
    users = tables.users
    with ws.store.write(
        actor=name,
        action="user.sso_role",
        entity_type="user",
        entity_id=name,
        note=f"role {role} from the identity provider's groups",
        at=ws.now(),
    ) as tx:
        current = tx.get(users, name)
        if current is not None and current["role"] == Role.ADMIN and role != Role.ADMIN:
            refuse_last_admin(tx.conn, name)
        now = ws.now()
        tx.update(users, name, {"role": role, "updated_at": now, "updated_by": name})

"""Users, roles and the permission table every front end (CLI, web) shares."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from assay.errors import ConflictError, InputError
from assay.governance._common import Record, check_choice, check_name, not_found, stamps, writing
from assay.governance._credentials import revoke_all
from assay.governance._scope import MAIN_ORG, check_org, readable, scope_clause, shown
from assay.policy import ROLES, Role
from assay.store import tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "Role",
    "User",
    "add_user",
    "deactivate_user",
    "get_user",
    "list_users",
    "set_role",
]


@dataclass(frozen=True, slots=True)
class User(Record):
    """A person who acts in the workspace."""

    name: str
    role: str
    display_name: str | None
    email: str | None
    active: bool
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    org: str = MAIN_ORG
    """The organisation the user belongs to; their ``role`` is held there (and, for the main
    organisation, in every one)."""

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], **extra: Any) -> User:
        """The user of a ``users`` row (``org`` NULL: the main organisation)."""
        return cls(**{**{f: row[f] for f in _USER_FIELDS}, "org": shown(row.get("org")), **extra})


_USER_FIELDS = tuple(f.name for f in dataclasses.fields(User) if f.name != "org")


def bootstrap_admin(ws: Workspace, name: str) -> User:
    """Create the first user, as admin, in a workspace that has none (used by ``assay init``)."""
    with ws.store.write(
        actor=name, action="user.add", entity_type="user", entity_id=name, at=ws.now()
    ) as tx:
        if tx.conn.execute(sa.select(sa.func.count()).select_from(tables.users)).scalar_one():
            raise ConflictError("This workspace already has users; ask an admin to add you.")
        now = ws.now()
        row = tx.insert(
            tables.users,
            {
                "name": check_name(name, what="user name"),
                "role": Role.ADMIN.value,
                "display_name": None,
                "email": None,
                "active": True,
                "created_at": now,
                "created_by": name,
                "updated_at": now,
                "updated_by": name,
            },
        )
    return User.from_row(row)


def add_user(
    ws: Workspace,
    name: str,
    *,
    role: str = "analyst",
    display_name: str | None = None,
    email: str | None = None,
    org: str | None = None,
) -> User:
    """Register a user with a role (admins only).

    Parameters
    ----------
    ws
        The workspace.
    name
        The login-like name the user acts as (``ASSAY_USER`` or ``[user] name`` in config.toml).
    role
        One of viewer, analyst, reviewer, approver, admin.
    display_name, email
        Optional, for documents and notifications.
    org
        The organisation they belong to (default: the main one); ``role`` is their role there.
    """
    check_name(name, what="user name")
    check_choice(role, ROLES, what="role")
    with writing(ws, "manage users", action="user.add", entity_type="user", entity_id=name) as tx:
        if tx.get(tables.users, name) is not None:
            raise ConflictError(
                f"The user {name!r} already exists. Change their role with "
                f"`assay user set-role {name} ROLE`."
            )
        row = tx.insert(
            tables.users,
            {
                "name": name,
                "role": role,
                "display_name": display_name,
                "email": email,
                "active": True,
                "org": check_org(tx.conn, org),
                **stamps(ws),
            },
        )
    return User.from_row(row)


def set_role(ws: Workspace, name: str, role: str) -> User:
    """Change a user's role (admins only; the last active admin cannot be demoted)."""
    check_choice(role, ROLES, what="role")
    with writing(
        ws, "manage users", action="user.set_role", entity_type="user", entity_id=name
    ) as tx:
        current = _seen_user(tx.conn, name)
        if current["role"] == Role.ADMIN and role != Role.ADMIN:
            refuse_last_admin(tx.conn, name)
        row = tx.update(tables.users, name, {"role": role, **stamps(ws, created=False)})
    return User.from_row(row)


def deactivate_user(ws: Workspace, name: str) -> User:
    """Deactivate a user: their records stay, they can no longer act, their API tokens are
    revoked and their sessions ended (admins only)."""
    with writing(
        ws, "manage users", action="user.deactivate", entity_type="user", entity_id=name
    ) as tx:
        current = _seen_user(tx.conn, name)
        if current["role"] == Role.ADMIN:
            refuse_last_admin(tx.conn, name)
        row = tx.update(tables.users, name, {"active": False, **stamps(ws, created=False)})
        revoke_all(ws, tx, name, "user deactivated")
    return User.from_row(row)


def _seen_user(conn: sa.Connection, name: str) -> RowMapping:
    """The row of ``name``; NotFoundError when there is none or it is a person of another
    organisation than the main one which the writer does not see (as for a name never
    registered). The programme's people are refused by the write guard."""
    row = conn.execute(sa.select(tables.users).where(tables.users.c.name == name)).mappings()
    found = row.first()
    hidden = found is not None and found["org"] is not None
    if found is None or (hidden and not readable(conn, tables.users, found)):
        raise not_found("user", repr(name), "List users with `assay user list`.")
    return found


def refuse_last_admin(conn: sa.Connection, name: str) -> None:
    """Refuse to demote or deactivate ``name`` when no other active admin would remain."""
    u = tables.users.c
    others = conn.execute(
        sa.select(sa.func.count()).where(u.role == Role.ADMIN.value, u.active, u.name != name)
    ).scalar_one()
    if not others:
        raise InputError(
            f"{name!r} is the last active admin; make another user admin first "
            "(`assay user set-role OTHER admin`)."
        )


def get_user(ws: Workspace, name: str) -> User:
    """One user by name."""
    with ws.store.read() as conn:
        row = conn.execute(sa.select(tables.users).where(tables.users.c.name == name)).mappings()
        found = row.first()
        if found is not None and not readable(conn, tables.users, found):
            found = None
    if found is None:
        raise not_found("user", repr(name), "List users with `assay user list`.")
    return User.from_row(found)


def list_users(ws: Workspace) -> list[User]:
    """Every user, by name."""
    with ws.store.read() as conn:
        q = sa.select(tables.users).where(scope_clause(conn, tables.users))
        rows = conn.execute(q.order_by(tables.users.c.name)).mappings()
        return [User.from_row(r) for r in rows]

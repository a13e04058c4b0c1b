"""Per-person database roles on a team database: ``assay admin grant`` and ``assay admin revoke``.

An admin, connected as the role that owns the workspace's tables, gives a user a PostgreSQL login
role of their own. Connected as it, that person *is* that user (``ASSAY_USER`` cannot make them
anyone else), and PostgreSQL itself refuses them any record or audit event in another's name,
any change to history and any trigger switched off (:mod:`assay.store` ``_roles``). The mapping
is a column of ``users``, so granting and revoking are audit events like any other change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.errors import ConflictError, InputError, PermissionDeniedError
from assay.governance._common import Record, not_found, stamps, writing
from assay.store import (
    check_role_name,
    connected_as,
    grant_person_role,
    password_verifier,
    revoke_person_role,
    tables,
)

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = ["DbRoleGrant", "grant_db_role", "revoke_db_role"]

_U = tables.users.c


@dataclass(frozen=True, slots=True)
class DbRoleGrant(Record):
    """The outcome of :func:`grant_db_role`.

    ``password`` is the generated password, to be shown once (None when one was given or kept).
    """

    user: str
    role: str
    created: bool
    password: str | None


def _need_postgres(ws: Workspace) -> None:
    if ws.store.dialect != "postgresql":
        raise InputError(
            "Per-person database roles need PostgreSQL (a team database); this workspace uses "
            "SQLite, where Assay trusts the operating-system account: whoever can run commands "
            "as it can act as any user of the workspace. See docs/security.md."
        )


def _need_owner(conn: Connection) -> None:
    me = connected_as(conn)
    if not me.owner:
        raise PermissionDeniedError(
            "Database roles are granted and revoked by an admin connected as the database role "
            f"that owns the workspace's tables; you are connected as {me.role}. Use the owner's "
            "URL (--db or ASSAY_DATABASE_URL)."
        )


def grant_db_role(
    ws: Workspace,
    name: str,
    *,
    role: str | None = None,
    password: str | None = None,
    keep_password: bool = False,
) -> DbRoleGrant:
    """Give the user ``name`` a PostgreSQL login role of their own (admins, as the owner).

    Parameters
    ----------
    ws
        A workspace on PostgreSQL, opened as an admin connected as the tables' owner.
    name
        The Assay user (active).
    role
        The login role to create or update (default: ``name``); never a superuser, a role that
        may create roles or bypass row-level security, nor a member of the owner.
    password
        The role's password; default: a generated one, returned once. It reaches PostgreSQL only
        as a SCRAM verifier.
    keep_password
        Leave an existing role's password (or a new role's lack of one) alone, for roles that
        authenticate otherwise (certificates, Kerberos) or that a DBA made.

    Returns
    -------
    DbRoleGrant
        The user, the role, whether it was created, and the generated password if any.
    """
    _need_postgres(ws)
    role_name = check_role_name(role or name)
    if keep_password and password is not None:
        raise InputError("Give a password or keep the existing one, not both.")
    generated = None if keep_password or password is not None else secrets.token_urlsafe(24)
    secret = password if password is not None else generated
    if secret is not None and not secret.strip():
        raise InputError("The password is empty; give one, or leave it out to have one made.")
    with writing(
        ws,
        "manage users",
        action="user.db_role",
        entity_type="user",
        entity_id=name,
        note=f"granted the database role {role_name}",
    ) as tx:
        _need_owner(tx.conn)
        row = _active_user(tx.conn, name)
        holder = tx.conn.execute(sa.select(_U.name).where(_U.db_role == role_name)).scalar()
        if holder not in (None, name):
            raise ConflictError(
                f"The database role {role_name} is already {holder}'s; one role is one person. "
                "Choose another with --role ROLE."
            )
        if row["db_role"] not in (None, role_name):
            revoke_person_role(tx.conn, row["db_role"], drop=False)
        verifier = None if secret is None else password_verifier(tx.conn, role_name, secret)
        created = grant_person_role(tx.conn, role_name, verifier=verifier)
        tx.update(tables.users, name, {"db_role": role_name, **stamps(ws, created=False)})
    return DbRoleGrant(user=name, role=role_name, created=created, password=generated)


def _active_user(conn: Connection, name: str) -> sa.RowMapping:
    row = conn.execute(sa.select(tables.users).where(_U.name == name)).mappings().first()
    if row is None:
        raise not_found("user", repr(name), "List users with `assay user list`.")
    if not row["active"]:
        raise InputError(f"The user {name!r} is deactivated; a database role cannot act as them.")
    return row


def revoke_db_role(ws: Workspace, name: str, *, drop: bool = False) -> str:
    """Take back ``name``'s database role (admins, as the owner): its grants on the workspace and
    its mapping to ``name``; ``drop`` the role itself too. Returns the role's name."""
    _need_postgres(ws)
    with writing(
        ws, "manage users", action="user.db_role", entity_type="user", entity_id=name
    ) as tx:
        _need_owner(tx.conn)
        row = tx.get(tables.users, name)
        if row is None:
            raise not_found("user", repr(name), "List users with `assay user list`.")
        role = row["db_role"]
        if role is None:
            raise InputError(f"The user {name!r} has no database role to revoke.")
        try:
            revoke_person_role(tx.conn, role, drop=drop)
        except sa.exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "2BP01":
                raise
            raise ConflictError(
                f"The database role {role} has privileges or objects outside this workspace, so "
                "it cannot be dropped; revoke without --drop-role, then drop it by hand."
            ) from None
        tx.note = f"revoked the database role {role}"
        tx.update(tables.users, name, {"db_role": None, **stamps(ws, created=False)})
    return str(role)

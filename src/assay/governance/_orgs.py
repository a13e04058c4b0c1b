"""Organisations: adding them, listing them and granting roles in them (admins of the main
organisation). Who sees and writes what across them is :mod:`assay.governance._scope`;
docs/organisations.md is the user's guide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import ConflictError, NotFoundError
from assay.governance._common import Record, check_choice, check_name, check_text, stamps, writing
from assay.governance._scope import MAIN_ORG, check_org, roles_held, sees, shown
from assay.policy import ROLES
from assay.store import tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "Organisation",
    "add_org",
    "grant_org_role",
    "list_orgs",
    "org_role_rows",
    "revoke_org_role",
    "roles_of",
]

_O = tables.organisations.c
_OR = tables.org_roles.c


@dataclass(frozen=True, slots=True)
class Organisation(Record):
    """An organisation of the workspace; ``members`` counts the users whose own it is."""

    name: str
    title: str
    members: int
    systems: int
    created_at: dt.datetime | None
    created_by: str | None


# -- managing organisations ----------------------------------------------------------------------


def add_org(ws: Workspace, name: str, *, title: str) -> Organisation:
    """Add an organisation (admins of the main organisation only).

    Parameters
    ----------
    name
        A short name (``retail``), used in commands and URLs; ``main`` is taken.
    title
        How documents and pages name it (``Retail banking``).
    """
    check_name(name, what="organisation name")
    text = check_text(title, what="organisation title")
    with writing(
        ws, "manage users", action="org.add", entity_type="organisation", entity_id=name
    ) as tx:
        taken = name == MAIN_ORG or tx.get(tables.organisations, name) is not None
        if taken:
            raise ConflictError(f"The organisation {name!r} already exists; pick another name.")
        row = tx.insert(tables.organisations, {"name": name, "title": text, **stamps(ws)})
    return Organisation(name, str(row["title"]), 0, 0, row["created_at"], row["created_by"])


def list_orgs(ws: Workspace) -> list[Organisation]:
    """The organisations the user may see, the main one first, with their sizes."""
    u, s = tables.users.c, tables.ai_systems.c
    with ws.store.read() as conn:
        members: dict[str | None, int] = dict(
            conn.execute(sa.select(u.org, sa.func.count()).group_by(u.org)).all()
        )
        systems: dict[str | None, int] = dict(
            conn.execute(sa.select(s.org, sa.func.count()).group_by(s.org)).all()
        )
        rows = conn.execute(sa.select(tables.organisations).order_by(_O.name)).mappings().all()
        main = Organisation(
            MAIN_ORG, "Main organisation", members.get(None, 0), systems.get(None, 0), None, None
        )
        found = [main] + [
            Organisation(
                r["name"],
                r["title"],
                members.get(r["name"], 0),
                systems.get(r["name"], 0),
                r["created_at"],
                r["created_by"],
            )
            for r in rows
        ]
        return [o for o in found if sees(conn, o.name)]


def grant_org_role(ws: Workspace, user: str, org: str, role: str) -> None:
    """Give ``user`` ``role`` in ``org`` (replacing a role granted there before)."""
    check_choice(role, ROLES, what="role")
    with writing(
        ws, "manage users", action="org.grant", entity_type="user", entity_id=user, note=org
    ) as tx:
        target = _existing_user(tx.conn, user)
        name = check_org(tx.conn, org)
        if name is None or shown(target["org"]) == name:
            raise ConflictError(
                f"{user!r} belongs to {shown(target['org'])!r}: their role there is set with "
                f"`assay user set-role {user} ROLE`; `assay org grant {user} ORG --role ROLE` "
                "is for other organisations."
            )
        key = {"user_name": user, "org": name}
        if tx.get(tables.org_roles, key) is None:
            tx.insert(tables.org_roles, {**key, "role": role, **stamps(ws)})
        else:
            tx.update(tables.org_roles, key, {"role": role, **stamps(ws, created=False)})


def revoke_org_role(ws: Workspace, user: str, org: str) -> None:
    """Take back the role ``user`` was granted in ``org``."""
    with writing(
        ws, "manage users", action="org.revoke", entity_type="user", entity_id=user, note=org
    ) as tx:
        _existing_user(tx.conn, user)
        key = {"user_name": user, "org": org}
        if tx.get(tables.org_roles, key) is None:
            raise NotFoundError(f"{user!r} holds no granted role in {org!r}.")
        tx.delete(tables.org_roles, key)


def roles_of(ws: Workspace) -> dict[str, str]:
    """The role the workspace's user holds in each organisation where they hold one: their own
    organisation's first, then those granted elsewhere (what the web app shows, and shows
    controls for; each write checks the record's own). A member of the main organisation holds
    their role in every organisation: ``{"main": role}``."""
    with ws.store.read() as conn:
        person = conn.execute(sa.select(tables.users).where(tables.users.c.name == ws.user))
        row = person.mappings().first()
        return {} if row is None else roles_held(conn, row)


def org_role_rows(ws: Workspace) -> list[dict[str, str]]:
    """Every granted role, as ``{user, org, role}`` rows by user and organisation."""
    with ws.store.read() as conn:
        rows = conn.execute(
            sa.select(_OR.user_name, _OR.org, _OR.role).order_by(_OR.user_name, _OR.org)
        ).all()
        return [
            {"user": str(r.user_name), "org": str(r.org), "role": str(r.role)}
            for r in rows
            if sees(conn, str(r.org))
        ]


def _existing_user(conn: Connection, name: str) -> RowMapping:
    row = conn.execute(sa.select(tables.users).where(tables.users.c.name == name)).mappings()
    found = row.first()
    if found is None:
        raise NotFoundError(f"There is no user {name!r}. List them with `assay user list`.")
    return found

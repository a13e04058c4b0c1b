"""Owners are people Assay knows: every owner of a system, review, risk or action is a workspace
user who can open the record they own.

An owner typed as free text ("nobody", a misspelt name) would hold no one to account: no reminder
reaches them and no KPI counts their overdue work. An owner of another organisation would own a
record they cannot open (it is "not found" for them). The check runs inside the write
transaction, so a user removed in the meantime is noticed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from assay.errors import InputError
from assay.governance._scope import members_of, orgs_of, role_in, scope_clause
from assay.policy import Role
from assay.store import tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = ["check_owner", "possible_owners"]


def _candidates(conn: sa.Connection, orgs: Sequence[str]) -> list[str]:
    """The active users the reader sees who can open a record of ``orgs``, by name."""
    u = tables.users.c
    people = sa.select(tables.users).where(u.active, scope_clause(conn, tables.users))
    rows = list(conn.execute(people.order_by(u.name)).mappings())
    for org in orgs:
        rows = members_of(conn, rows, org)
    return [str(r["name"]) for r in rows]


def check_owner(conn: sa.Connection, name: str | None, *, what: str, orgs: Sequence[str]) -> None:
    """Refuse ``name`` as an owner of a record of the organisations ``orgs`` unless it is an
    active user of the workspace whom the writer sees (a person of one of their organisations)
    and who holds a role in each of ``orgs`` (so can open the record).

    Raises
    ------
    InputError
        ``name`` is not a user, the user is deactivated, or holds no role in the record's
        organisation; the message says whom to name instead or how to add them (a team can be a
        user too).
    """
    if name is None:
        return
    u = tables.users.c
    seen = scope_clause(conn, tables.users)  # people of the reader's organisations only
    found = conn.execute(sa.select(tables.users).where(u.name == name, seen)).mappings().first()
    if found is not None and found["active"]:
        outside = next((org for org in orgs if role_in(conn, found, org) is None), None)
        if outside is not None:
            raise InputError(
                f"The {what} {name!r} is a person of the organisation {found['org']!r} and "
                f"cannot open records of {outside!r}, so could not act on what they own. Name a "
                f"person of {outside!r} (or of the main organisation), or give {name!r} a role "
                f"there first: `assay org grant {name} {outside} --role {Role.VIEWER.value}`."
            )
        return
    if found is not None:
        raise InputError(
            f"The {what} {name!r} is a deactivated user; give an active user as the {what}."
        )
    users = _candidates(conn, orgs)
    shown = ", ".join(users[:20]) + (", ..." if len(users) > 20 else "")
    raise InputError(
        f"The {what} {name!r} is not a user of this workspace; an owner must be someone Assay "
        f"can hold to account. Users: {shown}. Add them first with "
        f"`assay user add {name} --role {Role.VIEWER.value}` (a team can be a user too)."
    )


def possible_owners(ws: Workspace, kind: str, ref: str | int) -> list[str]:
    """Who may be named owner of the record ``ref`` of ``kind`` (``system``, ``review``,
    ``risk`` or ``action``) by the workspace's user: the rule :func:`check_owner` applies, as the
    choices an owner picker offers. NotFoundError when the reader does not see the record."""
    from assay.governance._actions import action_row
    from assay.governance._inventory import system_row
    from assay.governance._reviews import review_row
    from assay.governance._risks import risk_row

    lookups: dict[str, tuple[Callable[[sa.Connection, Any], RowMapping], sa.Table]] = {
        "system": (system_row, tables.ai_systems),
        "review": (review_row, tables.reviews),
        "risk": (risk_row, tables.risks),
        "action": (action_row, tables.actions),
    }
    if kind not in lookups:
        raise InputError(f"Owners are named for {', '.join(lookups)}, not for {kind!r}.")
    lookup, table = lookups[kind]
    with ws.store.read() as conn:
        row = lookup(conn, str(ref) if kind == "system" else ref)
        return _candidates(conn, orgs_of(conn, table, row))

"""Owners are people Assay knows: every owner of a system, risk or action is a workspace user.

An owner typed as free text ("nobody", a misspelt name) would hold no one to account: no reminder
reaches them and no KPI counts their overdue work. The check runs inside the write transaction,
so a user removed in the meantime is noticed.
"""

from __future__ import annotations

import sqlalchemy as sa

from assay.errors import InputError
from assay.governance._scope import scope_clause
from assay.policy import Role
from assay.store import tables

__all__ = ["check_owner"]


def check_owner(conn: sa.Connection, name: str | None, *, what: str) -> None:
    """Refuse ``name`` as an owner unless it is an active user of the workspace whom the writer
    sees (a person of one of their organisations).

    Raises
    ------
    InputError
        ``name`` is not a user, or the user is deactivated; the message lists the users and how
        to add one (a team can be a user too).
    """
    if name is None:
        return
    u = tables.users.c
    seen = scope_clause(conn, tables.users)  # people of the reader's organisations only
    found = conn.execute(sa.select(u.active).where(u.name == name, seen)).first()
    if found is not None and found.active:
        return
    if found is not None:
        raise InputError(
            f"The {what} {name!r} is a deactivated user; give an active user as the {what}."
        )
    listed = sa.select(u.name).where(u.active, seen).order_by(u.name)
    users = [r.name for r in conn.execute(listed)]
    shown = ", ".join(users[:20]) + (", ..." if len(users) > 20 else "")
    raise InputError(
        f"The {what} {name!r} is not a user of this workspace; an owner must be someone Assay "
        f"can hold to account. Users: {shown}. Add them first with "
        f"`assay user add {name} --role {Role.VIEWER.value}` (a team can be a user too)."
    )

"""Owners are people Assay knows: every owner of a system, risk or action is a workspace user.

An owner typed as free text ("nobody", a misspelt name) would hold no one to account: no reminder
reaches them and no KPI counts their overdue work. The check runs inside the write transaction,
so a user removed in the meantime is noticed.
"""

from __future__ import annotations

import sqlalchemy as sa

from assay.errors import InputError
from assay.policy import Role
from assay.store import tables

__all__ = ["check_owner"]


def check_owner(conn: sa.Connection, name: str | None, *, what: str) -> None:
    """Refuse ``name`` as an owner unless it is an active user of the workspace.

    Raises
    ------
    InputError
        ``name`` is not a user, or the user is deactivated; the message lists the users and how
        to add one (a team can be a user too).
    """
    if name is None:
        return
    u = tables.users.c
    found = conn.execute(sa.select(u.active).where(u.name == name)).first()
    if found is not None and found.active:
        return
    if found is not None:
        raise InputError(
            f"The {what} {name!r} is a deactivated user; give an active user as the {what}."
        )
    users = [r.name for r in conn.execute(sa.select(u.name).where(u.active).order_by(u.name))]
    shown = ", ".join(users[:20]) + (", ..." if len(users) > 20 else "")
    raise InputError(
        f"The {what} {name!r} is not a user of this workspace; an owner must be someone Assay "
        f"can hold to account. Users: {shown}. Add them first with "
        f"`assay user add {name} --role {Role.VIEWER.value}` (a team can be a user too)."
    )

"""Who the acting user is on a team database: the database role, not ``ASSAY_USER``, decides.

On PostgreSQL a person connected as their own role (``assay admin grant``) *is* the Assay user
that role is mapped to; ``ASSAY_USER``, ``[user] name`` or ``user=`` naming someone else is
refused. The owner role acts as the named user, as before: it is for administrators and the
server, which authenticates web users itself. Any other role is refused with what to do. On
SQLite the operating-system account is trusted (docs/security.md).
"""

from __future__ import annotations

import os

from assay.errors import PermissionDeniedError
from assay.store import Store, connected_as

__all__ = ["acting_user"]


def acting_user(store: Store, explicit: str | None, configured: str | None) -> str | None:
    """The user a workspace on ``store`` must act as: on PostgreSQL, the user mapped to the
    connected per-person role; None for the owner role and on SQLite (the named user then acts).

    Parameters
    ----------
    store
        The workspace's store, not yet handed to a :class:`Workspace`.
    explicit, configured
        The user named by ``open_workspace(user=...)`` and by ``[user] name``; with
        ``ASSAY_USER`` between them, the first one set must be the mapped user.
    """
    if store.dialect != "postgresql":
        return None
    with store.read() as conn:
        me = connected_as(conn)
    if me.user is not None:
        named, source = _named(explicit, configured)
        if named is not None and named != me.user:
            raise PermissionDeniedError(
                f"You are connected as database role {me.role}, which is user {me.user}; "
                f"{source} cannot make you {named}. Unset it, or set it to {me.user}; to act as "
                f"{named}, connect with {named}'s own credentials."
            )
        return me.user
    if me.owner or (not me.sees_tables and me.schema is not None):
        return None  # the owner; or no tables yet, which the schema check reports
    if not me.sees_tables:
        raise PermissionDeniedError(
            f"The database role {me.role} cannot see this workspace's tables: it was never "
            "granted access, or its access was revoked. Ask a workspace admin to run `assay "
            f"admin grant YOUR_NAME --role {me.role}` (connected as the database owner)."
        )
    raise PermissionDeniedError(
        f"The database role {me.role} is not mapped to an Assay user and does not own the "
        "workspace, so Assay cannot tell who you are. Ask a workspace admin to run `assay admin "
        f"grant YOUR_NAME --role {me.role}` (connected as the database owner), or use the web "
        "app or its API with your own account."
    )


def _named(explicit: str | None, configured: str | None) -> tuple[str | None, str]:
    for value, source in (
        (explicit, "user="),
        (os.environ.get("ASSAY_USER"), "ASSAY_USER"),
        (configured, "[user] name in .assay/config.toml"),
    ):
        if value:
            return value, source
    return None, ""

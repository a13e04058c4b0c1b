"""Who sees and writes what across organisations (business units or customers sharing one
workspace, each seeing only its own); adding and granting them is :mod:`assay.governance._orgs`.

A workspace always has its **main** organisation (the central RAI programme); ``assay org add``
adds others. Systems, evidence, incidents and users belong to one organisation (``org``, NULL for
the main one); reviews, risks, waivers, actions, approvals and monitors belong to their system's.

Who sees and does what:

- a member of the main organisation acts in *every* organisation with their role (the programme
  team); a member of another organisation sees only it, plus the organisations where an admin
  granted them a role (``assay org grant``), where that role applies instead;
- every read is scoped: a connection opened by a workspace carries the organisations its user
  may see (:meth:`assay.store.Store.scoped`), and the lookups and lists of every record filter by
  it, so another organisation's record is "not found" (404 on the web);
- every write is checked row by row (:func:`write_guard`): the row's organisation, resolved
  through its system, must be one where the user's role allows the action. Organisations and
  users are managed by admins of the main organisation.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import NotFoundError, PermissionDeniedError
from assay.policy import ROLE_PERMISSIONS
from assay.store import Guard, Store, connection_scope, tables

__all__ = [
    "MAIN_ORG",
    "check_org",
    "event_visible",
    "home_org",
    "members_of",
    "narrowed",
    "org_filter",
    "orgs_of",
    "role_in",
    "roles_held",
    "sees",
    "shown",
    "stored",
    "user_scope",
    "write_guard",
]

MAIN_ORG = "main"
"""The name of every workspace's main organisation (stored as ``org`` NULL)."""

_O = tables.organisations.c
_OR = tables.org_roles.c


def stored(org: str | None) -> str | None:
    """The ``org`` column value of ``org`` (NULL for the main organisation)."""
    return None if org in (None, MAIN_ORG) else org


def shown(value: str | None) -> str:
    """The organisation name of an ``org`` column value."""
    return MAIN_ORG if value is None else value


# -- who sees what -------------------------------------------------------------------------------


def user_scope(store: Store, user: str) -> frozenset[str] | None:
    """The organisations ``user`` may see: None (every one) for members of the main organisation
    and for names not registered (which cannot write anything), else their own plus those where
    they hold a role."""
    try:
        with store.read() as conn:
            row = (
                conn.execute(sa.text("SELECT * FROM users WHERE name = :name"), {"name": user})
                .mappings()
                .first()
            )
            if row is None or row.get("org") is None:
                return None
            granted = conn.execute(sa.select(_OR.org).where(_OR.user_name == user)).scalars()
            return frozenset({str(row["org"]), *(str(o) for o in granted)})
    except sa.exc.DBAPIError:
        with store.read() as conn:
            if sa.inspect(conn).has_table("users"):
                raise
        return None  # no schema yet (``assay init`` creates it)


def org_filter(col: sa.ColumnElement[Any], scope: frozenset[str] | None) -> sa.ColumnElement[bool]:
    """``col`` (an ``org`` column) is one of the organisations in ``scope``."""
    if scope is None:
        return sa.true()
    named = sorted(scope - {MAIN_ORG})
    parts: list[sa.ColumnElement[bool]] = [col.in_(named)] if named else []
    if MAIN_ORG in scope:
        parts.append(col.is_(None))
    return sa.or_(*parts) if parts else sa.false()


def sees(conn: Connection, org: str | None) -> bool:
    """Whether the reader of ``conn`` may see a record whose ``org`` column is ``org``."""
    scope = connection_scope(conn)
    return scope is None or shown(org) in scope


def check_org(conn: Connection, org: str | None) -> str | None:
    """The stored value of an organisation named by a user (NotFoundError if there is none, or
    if the reader may not see it)."""
    if org in (None, "", MAIN_ORG):
        return None
    assert org is not None
    exists = conn.execute(sa.select(_O.name).where(_O.name == org)).first()
    if exists is None or not sees(conn, org):
        raise NotFoundError(
            f"There is no organisation {org!r} in this workspace. List them with `assay org list`."
        )
    return org


def narrowed(store: Store, org: str) -> Store:
    """``store`` seeing only ``org`` (NotFoundError when its reader does not see it)."""
    with store.read() as conn:
        if org == MAIN_ORG and not sees(conn, MAIN_ORG):
            raise NotFoundError(f"There is no organisation {org!r} in your organisations.")
        check_org(conn, org)
    return store.scoped(frozenset({org}))


def home_org(conn: Connection, user: str) -> str | None:
    """The stored organisation of ``user`` (NULL: main; an unregistered name: main)."""
    u = tables.users.c
    return cast("str | None", conn.execute(sa.select(u.org).where(u.name == user)).scalar())


# -- who may write what --------------------------------------------------------------------------


def role_in(conn: Connection, user: RowMapping, org: str) -> str | None:
    """The role ``user`` holds in ``org``: a granted one, else their own organisation's role
    when ``org`` is theirs or theirs is the main one; None when they hold none there."""
    granted = conn.execute(
        sa.select(_OR.role).where(_OR.user_name == user["name"], _OR.org == org)
    ).scalar_one_or_none()
    return _held(user, org, None if granted is None else str(granted))


def members_of(conn: Connection, users: list[RowMapping], org: str) -> list[RowMapping]:
    """Those of ``users`` who hold a role in ``org`` (:func:`role_in` for many, in one query)."""
    rows = conn.execute(sa.select(_OR.user_name, _OR.role).where(_OR.org == org)).all()
    grants = {str(r.user_name): str(r.role) for r in rows}
    return [u for u in users if _held(u, org, grants.get(str(u["name"]))) is not None]


def _held(user: RowMapping, org: str, granted: str | None) -> str | None:
    """The rule of :func:`role_in`, given the role granted to ``user`` in ``org`` (if any)."""
    if granted is not None:
        return granted
    home = shown(user.get("org"))
    return str(user["role"]) if home in (org, MAIN_ORG) else None


def roles_held(conn: Connection, user: RowMapping) -> dict[str, str]:
    """The role ``user`` holds in each organisation where they hold one: their own
    organisation's first, then those granted elsewhere (a member of the main organisation holds
    theirs in every organisation)."""
    held = {shown(user.get("org")): str(user["role"])}
    granted = sa.select(_OR.org, _OR.role).where(_OR.user_name == user["name"]).order_by(_OR.org)
    held.update({str(r.org): str(r.role) for r in conn.execute(granted)})
    return held


_BY_TYPE = {
    "system": tables.ai_systems,
    "evidence": tables.evidence,
    "incident": tables.incidents,
    "review": tables.reviews,
    "risk": tables.risks,
    "waiver": tables.waivers,
    "action": tables.actions,
    "model_version": tables.model_versions,
    "dataset_version": tables.dataset_versions,
}
_PARENT: dict[str, tuple[str, sa.Table]] = {
    **dict.fromkeys(
        ("model_versions", "system_components", "reviews", "risks", "waivers"),
        ("system_id", tables.ai_systems),
    ),
    "review_transitions": ("review_id", tables.reviews),
    "waiver_rounds": ("waiver_id", tables.waivers),
    "incident_timeline": ("incident_id", tables.incidents),
    "monitor_runs": ("monitor_id", tables.monitors),
    "monitor_windows": ("monitor_id", tables.monitors),
    "monitor_alerts": ("monitor_id", tables.monitors),
    "monitor_values": ("window_id", tables.monitor_windows),
    "monitor_notifications": ("alert_id", tables.monitor_alerts),
}
_OWN_ORG = frozenset({"ai_systems", "evidence", "incidents"})
_PROGRAMME = frozenset({"organisations", "org_roles", "users"})
_SHARED = frozenset({"dataset_versions", "model_training_data"})
_CREDENTIALS = frozenset(t.name for t in tables.CREDENTIAL_TABLES)
"""Dataset versions are the workspace's catalogue: any writer registers and links them."""


def _row(conn: Connection, table: sa.Table, key: Any) -> RowMapping | None:
    pk = next(iter(table.primary_key.columns))
    return conn.execute(sa.select(table).where(pk == key)).mappings().first()


def orgs_of(conn: Connection, table: sa.Table, row: RowMapping) -> list[str]:
    """The organisations a row belongs to (both ends of a link); [] for workspace-wide rows."""
    name = table.name
    if name in _SHARED:
        return []
    if name in _CREDENTIALS:  # a person's own; another's: their organisation's admins
        return _orgs_by_ref(conn, tables.users, row["user_name"])
    if name == "users":
        return [shown(row["org"])]
    if name in _PROGRAMME:
        return [MAIN_ORG]
    if name in _OWN_ORG:
        return [shown(row["org"])]
    if name == "monitors":
        s = tables.ai_systems.c
        org = conn.execute(sa.select(s.org).where(s.name == row["system"])).scalar_one_or_none()
        return [shown(org)]
    if name == "links":
        ends = [(row["from_type"], row["from_id"]), (row["to_type"], row["to_id"])]
        return [o for kind, key in ends for o in _orgs_by_ref(conn, _BY_TYPE.get(kind), key)]
    if name == "approvals":
        return _orgs_by_ref(conn, _BY_TYPE.get(row["subject_type"]), row["subject_id"])
    if name == "remediation_actions":
        if row["risk_id"] is not None:
            return _orgs_by_ref(conn, tables.risks, row["risk_id"])
        return _orgs_by_ref(conn, tables.incidents, row["incident_id"])
    column, parent = _PARENT[name]
    return _orgs_by_ref(conn, parent, row[column])


def _orgs_by_ref(conn: Connection, table: sa.Table | None, key: Any) -> list[str]:
    if table is None or key is None:
        return []
    row = _row(conn, table, key)
    return [] if row is None else orgs_of(conn, table, row)


def write_guard(user: str, permission: str) -> Guard:
    """The check every row written under ``permission`` by ``user`` passes: its organisation is
    one where the user's role allows it. Every governance write gives it to
    :meth:`assay.store.Store.write`; code that writes through the store itself passes it too,
    so organisations hold on that path (``guard=write_guard(user, "edit risks")``)."""
    allowed = ROLE_PERMISSIONS[permission]

    def guard(conn: Connection, table: sa.Table, row: RowMapping) -> None:
        if table.name in _PROGRAMME and permission != "manage users":
            return  # a user's own row changed by another action (SSO provisioning, credentials)
        me = conn.execute(sa.select(tables.users).where(tables.users.c.name == user)).mappings()
        person = me.one()
        for org in orgs_of(conn, table, row):
            role = role_in(conn, person, org)
            if role is None and table.name in _PROGRAMME:
                raise PermissionDeniedError(
                    f"Only admins of the {MAIN_ORG} organisation manage users and organisations; "
                    f"{user!r} is not a member of it."
                )
            if role is None:
                raise NotFoundError(
                    f"There is no such {table.name.rstrip('s').replace('_', ' ')} in your "
                    "organisations."
                )
            if role not in allowed:
                raise PermissionDeniedError(
                    f"The user {user!r} has the role {role!r} in the organisation {org!r}, which "
                    f"may not {permission}. Roles allowed: {', '.join(sorted(allowed))}."
                )

    return guard


# -- reading: one row, and the rows of a list ----------------------------------------------------


def readable(conn: Connection, table: sa.Table, row: RowMapping) -> bool:
    """Whether the reader of ``conn`` may see ``row`` of ``table`` (every organisation it belongs
    to is one they see)."""
    scope = connection_scope(conn)
    return scope is None or all(org in scope for org in orgs_of(conn, table, row))


def scope_clause(conn: Connection, table: sa.Table) -> sa.ColumnElement[bool]:
    """The rows of ``table`` the reader of ``conn`` may see, as a WHERE clause (the same
    organisations :func:`orgs_of` gives one row)."""
    scope = connection_scope(conn)
    if scope is None or table.name in _SHARED:
        return sa.true()
    return _clause(scope, table)


def _clause(scope: frozenset[str], table: sa.Table) -> sa.ColumnElement[bool]:
    name, c = table.name, table.c
    if name in _OWN_ORG:
        return org_filter(c.org, scope)
    if name == "users":
        granted = sa.select(_OR.user_name).where(org_filter(_OR.org, scope))
        return sa.or_(org_filter(c.org, scope), c.name.in_(granted))
    if name == "monitors":
        s = tables.ai_systems.c
        return c.system.in_(sa.select(s.name).where(org_filter(s.org, scope)))
    if name == "remediation_actions":
        return sa.or_(
            sa.and_(c.risk_id.is_not(None), _in(scope, c.risk_id, tables.risks)),
            sa.and_(c.risk_id.is_(None), _in(scope, c.incident_id, tables.incidents)),
        )
    if name == "approvals":
        return sa.or_(
            *(
                sa.and_(c.subject_type == kind, _in(scope, c.subject_id, _BY_TYPE[kind]))
                for kind in ("review", "waiver", "risk")
            )
        )
    column, parent = _PARENT[name]
    return _in(scope, table.c[column], parent)


def _in(
    scope: frozenset[str], column: sa.ColumnElement[Any], parent: sa.Table
) -> sa.ColumnElement[bool]:
    pk = next(iter(parent.primary_key.columns))
    return column.in_(sa.select(pk).where(_clause(scope, parent)))


def event_visible(conn: Connection, entity_type: str, entity_id: str) -> bool:
    """Whether the reader of ``conn`` may see the audit events of an entity: those of a record
    in an organisation they see (a user, an organisation: their own and those they see)."""
    if connection_scope(conn) is None:
        return True
    if entity_type == "organisation":
        return sees(conn, entity_id)
    table = tables.users if entity_type == "user" else _BY_TYPE.get(entity_type)
    if table is None:
        return False  # workspace-wide events (imports, upgrades): the main organisation's
    key: Any = entity_id
    if table is not tables.users:
        if not entity_id.isdigit():
            return False
        key = int(entity_id)
    row = _row(conn, table, key)
    return row is not None and readable(conn, table, row)

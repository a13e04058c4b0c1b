"""Per-person PostgreSQL roles: who a connection is, and what a person's role may do.

A workspace's tables belong to one *owner* role: migrations, the server and administrators
connect as it. Each person may instead get a login role of their own (``assay admin grant``),
mapped to their Assay user by ``users.db_role``. Such a role owns nothing and holds only:

- ``SELECT`` on the tables Assay reads; ``INSERT`` on the append-only ones (``audit_events``
  among them: no ``UPDATE``, ``DELETE`` or ``TRUNCATE``, so history cannot be rewritten); also
  ``UPDATE`` where governance updates a record; nothing on ``users`` beyond reading it;
- its own password, tokens and sessions (row-level security, migration 0007);
- ``USAGE`` on the sequences, and the function that takes the chain's writer lock.

Never ownership, ``TRIGGER`` or ``REFERENCES``: only an owner can ``ALTER TABLE ... DISABLE
TRIGGER``. The trigger ``assay_identity()`` (migration 0007) refuses such a role any row or audit
event naming another user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.errors import InputError, PermissionDeniedError
from assay.store._schema import APPEND_ONLY_TABLES, GOVERNED_TABLES, audit_events, users
from assay.store._web import web_passwords, web_sessions, web_sso_identities, web_tokens

__all__ = [
    "PERSON_GRANTS",
    "ConnectedRole",
    "chain_lock_statement",
    "check_role_name",
    "connected_as",
    "grant_person_role",
    "password_verifier",
    "revoke_person_role",
]


def _person_grants() -> dict[str, tuple[str, ...]]:
    grants: dict[str, tuple[str, ...]] = {"alembic_version": ("SELECT",)}
    for table in (*GOVERNED_TABLES, audit_events):
        if table.name in ("users", "organisations", "org_roles"):
            # managing users and organisations needs the owner or the server
            grants[table.name] = ("SELECT",)
        elif table.name in APPEND_ONLY_TABLES:
            grants[table.name] = ("SELECT", "INSERT")
        else:
            grants[table.name] = ("SELECT", "INSERT", "UPDATE")
    # row-level security keeps the writes to the person's own rows
    grants[web_passwords.name] = ("SELECT", "INSERT", "UPDATE")
    grants[web_tokens.name] = ("SELECT", "INSERT", "UPDATE")
    grants[web_sessions.name] = ("SELECT (user_name)", "DELETE")
    # single sign-on links are read (audit verify checks them) and written by the server only
    grants[web_sso_identities.name] = ("SELECT",)
    return grants


PERSON_GRANTS = MappingProxyType(_person_grants())
"""Table → the privileges a per-person role holds on it (every other table: none)."""

#: Privileges a per-person role holds on a table only where :data:`PERSON_GRANTS` says, even
#: counting those it inherits from PUBLIC or a role it is a member of.
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")

_VERIFIER = re.compile(r"SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+")
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.@+-]{0,62}")


def check_role_name(name: str) -> str:
    """A PostgreSQL role name Assay will create or map: letters, digits and ``_.@+-``.

    >>> check_role_name("ada_lovelace")
    'ada_lovelace'
    """
    if not _ROLE_NAME.fullmatch(name) or name.lower().startswith("pg_"):
        raise InputError(
            f"The database role name {name!r} is not usable: use at most 63 letters, digits and "
            "_ . @ + -, starting with a letter or _, and not starting with pg_ (reserved). "
            "Name it with --role ROLE."
        )
    return name


def password_verifier(conn: Connection, role: str, password: str) -> str:
    """``password`` as the SCRAM-SHA-256 verifier PostgreSQL stores, made by libpq on the client:
    the password itself never reaches the server (nor its statement log)."""
    dbapi: Any = conn.connection.dbapi_connection
    made = dbapi.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    return bytes(made).decode("ascii")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class ConnectedRole:
    """Who a PostgreSQL connection is to the workspace.

    Attributes
    ----------
    role
        ``current_user``.
    schema
        ``current_schema()``: the first schema of the search path the role may use, or None
        when it may use none (its access to the workspace's schema was revoked, say).
    owner
        The role owns the workspace's tables (or is a member of their owner, or a superuser).
    sees_tables
        The workspace's tables are visible to the role (it has ``USAGE`` on their schema).
    user
        The Assay user mapped to the role by ``users.db_role``, or None.
    """

    role: str
    schema: str | None
    owner: bool
    sees_tables: bool
    user: str | None


def connected_as(conn: Connection) -> ConnectedRole:
    """Who ``conn`` is connected as (PostgreSQL)."""
    role, schema, oid, owner = conn.execute(
        sa.text(
            "SELECT current_user::text, current_schema()::text, c.oid, "
            "COALESCE(pg_has_role(c.relowner, 'USAGE'), false) FROM (SELECT 1) AS one "
            "LEFT JOIN pg_class c ON c.oid = to_regclass('audit_events')"
        )
    ).one()
    if oid is None:
        return ConnectedRole(
            role=str(role), schema=schema, owner=False, sees_tables=False, user=None
        )
    has_column = conn.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('users') "
            "AND attname = 'db_role' AND NOT attisdropped)"
        )
    ).scalar_one()
    user = None
    if has_column:
        user = conn.execute(
            sa.select(users.c.name).where(users.c.db_role == str(role))
        ).scalar_one_or_none()
    return ConnectedRole(
        role=str(role), schema=schema, owner=bool(owner), sees_tables=True, user=user
    )


def chain_lock_statement(conn: Connection) -> str | None:
    """The statement that takes the audit chain's writer lock for this connection's role.

    The owner locks ``audit_events`` itself; a per-person role, which holds only ``INSERT`` on
    it, asks ``assay_lock_chain()`` (migration 0007). None before the tables exist.
    """
    may_lock = conn.exec_driver_sql(
        "SELECT has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE') FROM pg_class c "
        "WHERE c.oid = to_regclass('audit_events')"
    ).scalar()
    if may_lock is None:
        return None
    if may_lock:
        return "LOCK TABLE audit_events IN EXCLUSIVE MODE"
    return "SELECT assay_lock_chain()"


def _where(conn: Connection) -> tuple[str, str]:
    schema, database = conn.exec_driver_sql("SELECT current_schema(), current_database()").one()
    return str(schema), str(database)


def _refuse_powerful(conn: Connection, role: str) -> tuple[bool, bool]:
    """Refuse a role that could step outside its grants; whether it exists and may log in."""
    found = conn.execute(
        sa.text(
            "SELECT r.rolsuper OR r.rolcreaterole OR r.rolbypassrls OR r.rolreplication, "
            "pg_has_role(r.oid, c.relowner, 'MEMBER'), r.rolcanlogin "
            "FROM pg_roles r, pg_class c WHERE r.rolname = :role "
            "AND c.oid = to_regclass('audit_events')"
        ),
        {"role": role},
    ).first()
    if found is None:
        return False, False
    powerful, owner, login = found
    if owner:
        raise PermissionDeniedError(
            f"The database role {role!r} owns the workspace's tables (or is a member of their "
            "owner); a person's role must not. Choose another name with --role ROLE."
        )
    if powerful:
        raise PermissionDeniedError(
            f"The database role {role!r} is a superuser or may create roles, bypass row-level "
            "security or replicate; a person's role must not. Choose another name with --role "
            "ROLE, or remove those attributes first (ALTER ROLE ... NOSUPERUSER NOCREATEROLE ...)."
        )
    return True, bool(login)


def grant_person_role(conn: Connection, role: str, *, verifier: str | None) -> bool:
    """Create (or update) the login role ``role`` and give it a person's grants, and only those.

    Runs as the owner, inside the caller's transaction. ``verifier`` is the role's new password as
    a SCRAM verifier (None: keep the password as it is). Returns whether the role was created.
    """
    exists, login = _refuse_powerful(conn, role)
    schema, database = _where(conn)
    if verifier is not None and not _VERIFIER.fullmatch(verifier):
        raise ValueError("not a SCRAM-SHA-256 verifier")
    password = "" if verifier is None else f" PASSWORD '{verifier}'"
    may_alter = bool(
        conn.exec_driver_sql(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).scalar()
    )
    if not may_alter and (not exists or password or not login):
        _no_createrole(role)
    if not exists:
        conn.exec_driver_sql(f"CREATE ROLE {_ident(role)} LOGIN{password}")
    elif password or not login:
        conn.exec_driver_sql(f"ALTER ROLE {_ident(role)} LOGIN{password}")
    _take_back(conn, role, schema)
    r = _ident(role)
    if not _has(conn, "database", role, database, "CONNECT"):
        conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {r}")
    if not _has(conn, "schema", role, schema, "USAGE"):
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {r}")
    for table, privileges in PERSON_GRANTS.items():
        target = f"{_ident(schema)}.{_ident(table)}"
        conn.exec_driver_sql(f"GRANT {', '.join(privileges)} ON {target} TO {r}")
    for sequence in _sequences(conn):
        conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {_ident(schema)}.{_ident(sequence)} TO {r}")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION assay_lock_chain() TO {r}")
    if schema != "public" and may_alter:
        conn.exec_driver_sql(
            f"ALTER ROLE {r} IN DATABASE {_ident(database)} SET search_path = {_ident(schema)}"
        )
    _check_effective(conn, role, schema)
    return not exists


def _no_createrole(role: str) -> None:
    raise PermissionDeniedError(
        f"The owner role may not create or alter roles (it lacks CREATEROLE), which granting "
        f"{role!r} needs. Give it CREATEROLE, or have a database administrator run CREATE ROLE "
        f"{_ident(role)} LOGIN PASSWORD '...' (and, for a schema other than public, ALTER ROLE "
        f"{_ident(role)} SET search_path = ...), then grant again with --keep-password."
    )


def _has(conn: Connection, kind: str, role: str, name: str, privilege: str) -> bool:
    return bool(
        conn.execute(
            sa.text(f"SELECT has_{kind}_privilege(:role, :name, :privilege)"),
            {"role": role, "name": name, "privilege": privilege},
        ).scalar_one()
    )


def _sequences(conn: Connection) -> list[str]:
    """The sequences of the workspace's schema that the connected role owns."""
    rows = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' "
        "AND c.relnamespace = current_schema()::regnamespace AND pg_has_role(c.relowner, 'USAGE') "
        "ORDER BY c.relname"
    )
    return [str(name) for (name,) in rows]


def _take_back(conn: Connection, role: str, schema: str) -> None:
    """Revoke every privilege ``role`` holds on the workspace's tables, sequences and lock."""
    r, s = _ident(role), _ident(schema)
    conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}")
    conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}")
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION assay_lock_chain() FROM {r}")


def _check_effective(conn: Connection, role: str, schema: str) -> None:
    """Refuse (and so roll back) a grant whose effective privileges exceed a person's: privileges
    the role inherits from other roles (``pg_write_all_data``, a group) or from PUBLIC count."""
    granted = {
        (table, p.split()[0]) for table, privileges in PERSON_GRANTS.items() for p in privileges
    }
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, p.privilege FROM pg_class c CROSS JOIN unnest(CAST(:never AS "
            "text[])) AS p(privilege) WHERE c.relnamespace = CAST(:schema AS regnamespace) "
            "AND c.relkind IN ('r', 'p') AND has_table_privilege(:role, c.oid, p.privilege)"
        ),
        {"never": list(_WRITES), "schema": schema, "role": role},
    )
    extra = sorted(f"{p} on {t}" for t, p in rows if (t, p) not in granted)
    if _has(conn, "schema", role, schema, "CREATE"):
        extra.append(f"CREATE on the schema {schema}")
    if extra:
        raise PermissionDeniedError(
            f"The database role {role!r} would still hold {', '.join(extra)} (through PUBLIC or "
            "a role it is a member of), more than a person's role may. Revoke those first (for a "
            f"schema: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC), then grant again."
        )


def revoke_person_role(conn: Connection, role: str, *, drop: bool) -> None:
    """Take back every privilege of a per-person role on the workspace; ``drop`` the role too."""
    schema, database = _where(conn)
    _take_back(conn, role, schema)
    r = _ident(role)
    conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA {_ident(schema)} FROM {r}")
    if schema != "public":
        conn.exec_driver_sql(f"ALTER ROLE {r} IN DATABASE {_ident(database)} RESET search_path")
    if drop:
        conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {_ident(database)} FROM {r}")
        conn.exec_driver_sql(f"DROP ROLE {r}")

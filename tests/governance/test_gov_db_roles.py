"""Per-person database roles (issue 16, item 3 and finding H3), on a real PostgreSQL server.

An admin connected as the owner grants bob and cy roles of their own. Connected as theirs, each
acts only as themselves: ASSAY_USER cannot make them anyone else, and PostgreSQL itself refuses
raw SQL that writes in another's name, rewrites history or switches a trigger off. Revoking takes
the access away at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from gov_helpers import MINIMAL_ANSWERS

from assay import governance as g
from assay.errors import ConflictError, PermissionDeniedError
from assay.store import tables

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgres"], indirect=True),
]

WAIVER = {
    "control": "fairness",
    "rationale": "the retrain lands next sprint",
    "compensating_controls": "manual review of declines",
    "residual_risk": "low",
    "expires_on": "2025-06-30",
}
EVENT = (
    "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, row_keys, "
    "changes, prev_hash, hash) VALUES (100000, now(), '{actor}', 'risk.add', 'risk', '1', '', "
    "'[]', 'x', '{hash}')"
)


def _superuser() -> sa.Engine:
    return sa.create_engine(os.environ["ASSAY_TEST_POSTGRES_URL"], poolclass=sa.pool.NullPool)


def _as_role(db_url: str, role: str, password: str | None = None) -> str:
    return sa.make_url(db_url).set(username=role, password=password).render_as_string(False)


def _raw(url: str, sql: str) -> None:
    """Run one statement in its own transaction, on a plain connection (not through Assay)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def _refused(url: str, sql: str) -> str:
    with pytest.raises(sa.exc.DBAPIError) as caught:
        _raw(url, sql)
    return str(caught.value.orig)


@pytest.fixture
def bob_url(ws: g.Workspace, db_url: str, pg_roles: Callable[[str], str]) -> str:
    """bob (an approver) holds his own role; ws stays the owner's, acting as ada (admin)."""
    grant = g.grant_db_role(ws, "bob", role=pg_roles("bob"))
    assert grant.password is not None
    assert grant.created
    return _as_role(db_url, grant.role, grant.password)


def _open(ws: g.Workspace, url: str) -> g.Workspace:
    person = g.open_workspace(ws.root, db_url=url)
    person.clock = ws.clock
    return person


def test_a_person_acts_as_themselves_through_their_role(
    ws: g.Workspace,
    db_url: str,
    pg_roles: Callable[[str], str],
    bob_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cy_role = pg_roles("cy")
    g.grant_db_role(ws, "cy", role=cy_role, password="cy's passphrase")
    g.add_system(ws, "ticket-ranker", purpose="Ranks tickets", owner="ada")
    monkeypatch.setenv("ASSAY_USER", "cy")
    cy = _open(ws, _as_role(db_url, cy_role))
    waiver = g.request_waiver(cy, system="ticket-ranker", **WAIVER)
    g.open_review(cy, "ticket-ranker", answers=MINIMAL_ANSWERS)
    g.add_risk(cy, system="ticket-ranker", title="Slower answers for non-English tickets",
               category="mit:1.1", likelihood=3, severity=2, owner="cy")  # fmt: skip
    g.mint_token(cy, "cy", label="ci")
    g.store_password_hash(cy, "cy", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")  # own row
    assert g.verify_audit(cy).ok  # a person can verify the whole chain, credentials included
    cy.close()
    # named by nobody (no ASSAY_USER, no [user] name), the role decides: bob
    monkeypatch.delenv("ASSAY_USER")
    config = ws.root / ".assay" / "config.toml"
    config.write_text(config.read_text().replace('name = "ada"', 'name = ""'))
    bob = _open(ws, bob_url)
    assert bob.user == "bob"
    assert (
        g.approve_waiver(bob, waiver.ref, rationale="fine until the retrain").status == "approved"
    )
    bob.close()
    with ws.store.read() as conn:
        actors = [
            (row.actor, row.action)
            for row in conn.execute(
                sa.select(tables.audit_events.c.actor, tables.audit_events.c.action).where(
                    tables.audit_events.c.actor.in_(["bob", "cy"])
                )
            )
        ]
    assert ("cy", "waiver.request") in actors
    assert ("cy", "risk.add") in actors
    assert ("bob", "waiver.approve") in actors
    assert g.verify_audit(ws).ok


def test_assay_user_cannot_make_a_person_someone_else(
    ws: g.Workspace, bob_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = sa.make_url(bob_url).username
    monkeypatch.setenv("ASSAY_USER", "ada")
    with pytest.raises(PermissionDeniedError) as caught:
        g.open_workspace(ws.root, db_url=bob_url)
    assert (
        f"connected as database role {role}, which is user bob; ASSAY_USER cannot make you ada"
        in str(caught.value)
    )
    with pytest.raises(PermissionDeniedError, match="user= cannot make you dee"):
        g.open_workspace(ws.root, db_url=bob_url, user="dee")
    monkeypatch.setenv("ASSAY_USER", "bob")
    with g.open_workspace(ws.root, db_url=bob_url) as bob:
        assert bob.user == "bob"


def test_raw_sql_cannot_write_in_another_persons_name(
    ws: g.Workspace, bob_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    g.add_system(ws, "ticket-ranker", purpose="Ranks tickets", owner="ada")
    risk = g.add_risk(ws, system="ticket-ranker", title="t", category="mit:1.1", likelihood=2,
                      severity=2, owner="ada")  # fmt: skip
    forged = _refused(bob_url, EVENT.format(actor="ada", hash="f" * 64))
    assert "is the Assay user bob; it cannot write actor = 'ada' in audit_events" in forged
    signed = _refused(
        bob_url,
        "INSERT INTO approvals (subject_type, subject_id, round, decision, rationale, signer, "
        "signed_at, subject_sha256) VALUES ('waiver', 1, 1, 'approved', 'r', 'ada', now(), 'x')",
    )
    assert "cannot write signer = 'ada' in approvals" in signed
    edited = _refused(bob_url, f"UPDATE risks SET title = 'edited' WHERE id = {risk.id}")
    assert "cannot write updated_by = 'ada' in risks" in edited
    planted = _refused(
        bob_url,
        "INSERT INTO web_tokens (user_name, label, token_sha256, created_at, expires_at) "
        f"VALUES ('ada', 'x', '{'a' * 64}', now(), now() + interval '1 day')",
    )
    assert "row-level security" in planted
    # the trigger is no blanket refusal: in his own name the row goes in (rolled back here)
    engine = sa.create_engine(bob_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn, conn.begin() as tx:
        conn.exec_driver_sql(EVENT.format(actor="bob", hash="e" * 64))
        tx.rollback()
    engine.dispose()
    g.deactivate_user(ws, "bob")
    assert "deactivated Assay user bob" in _refused(
        bob_url, EVENT.format(actor="bob", hash="d" * 64)
    )
    assert g.verify_audit(ws).ok


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_identity",
        "ALTER TABLE approvals DISABLE TRIGGER approvals_append_only",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "UPDATE audit_events SET actor = 'bob'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM approvals",
        "UPDATE evidence SET title = 'x'",
        "UPDATE users SET role = 'admin' WHERE name = 'bob'",
        "UPDATE users SET db_role = NULL",
        "INSERT INTO users (name, role, active, created_at, created_by, updated_at, updated_by) "
        "VALUES ('eve', 'admin', true, now(), 'bob', now(), 'bob')",
        "CREATE TABLE grabbed (x int)",
        "SELECT * FROM web_login_failures",
    ],
)
def test_a_persons_role_cannot_rewrite_history_or_switch_checks_off(bob_url: str, sql: str) -> None:
    reason = _refused(bob_url, sql)
    assert "permission denied" in reason or "must be owner" in reason, reason


def test_revoke_takes_the_access_away(
    ws: g.Workspace, bob_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_USER", "bob")
    engine = sa.create_engine(bob_url, poolclass=sa.pool.NullPool)
    with engine.connect() as still_open:  # an open session loses its access at once
        assert still_open.exec_driver_sql("SELECT count(*) FROM risks").scalar() == 0
        role = g.revoke_db_role(ws, "bob")
        assert role == sa.make_url(bob_url).username
        with pytest.raises(sa.exc.DBAPIError, match=r"permission denied|does not exist"):
            still_open.exec_driver_sql("SELECT count(*) FROM risks")
    engine.dispose()
    with pytest.raises(PermissionDeniedError, match="cannot see this workspace's tables"):
        g.open_workspace(ws.root, db_url=bob_url)
    assert g.get_user(ws, "bob").name == "bob"
    with ws.store.read() as conn:
        mapped = conn.execute(sa.select(tables.users.c.db_role).where(tables.users.c.name == "bob"))
        assert mapped.scalar_one() is None
    actions = [e.action for e in g.audit_log(ws) if e.entity_id == "bob"]
    assert actions.count("user.db_role") == 2
    assert g.verify_audit(ws).ok
    # granted again (keeping its password), then revoked with the role dropped
    g.grant_db_role(ws, "bob", role=role, keep_password=True)
    g.revoke_db_role(ws, "bob", drop=True)
    admin = _superuser()
    with admin.connect() as conn:
        gone = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        assert gone.first() is None
    admin.dispose()


def test_only_an_admin_connected_as_the_owner_grants_and_only_safe_roles(
    ws: g.Workspace, db_url: str, pg_roles: Callable[[str], str], bob_url: str
) -> None:
    owner = sa.make_url(db_url).username
    with pytest.raises(PermissionDeniedError, match="owns the workspace's tables"):
        g.grant_db_role(ws, "cy", role=owner)
    with pytest.raises(ConflictError, match="already bob's"):
        g.grant_db_role(ws, "cy", role=sa.make_url(bob_url).username)
    powerful = pg_roles("dba")
    admin = _superuser()
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{powerful}" LOGIN CREATEROLE')
    admin.dispose()
    with pytest.raises(PermissionDeniedError, match="may create roles"):
        g.grant_db_role(ws, "cy", role=powerful)
    cy = g.Workspace(ws.root, ws.store, user="cy", config=ws.config, clock=ws.clock)
    with pytest.raises(PermissionDeniedError, match="may not manage users"):
        g.grant_db_role(cy, "cy", role=pg_roles("cy"))
    # bob's own role cannot grant, even claiming to be ada in-process
    with g.open_workspace(ws.root, db_url=bob_url, user="bob") as bob:
        claimed = g.Workspace(bob.root, bob.store, user="ada", config=bob.config)
        with pytest.raises(PermissionDeniedError, match="the database role that owns"):
            g.grant_db_role(claimed, "cy", role=pg_roles("cy"))


def test_the_grants_are_a_persons_and_the_password_a_scram_verifier(
    ws: g.Workspace, db_url: str, pg_roles: Callable[[str], str]
) -> None:
    role = pg_roles("dee")
    g.grant_db_role(ws, "dee", role=role, password="correct horse battery")
    admin = _superuser()
    with admin.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r"
            ),
            {"r": role},
        )
        held: dict[str, set[str]] = {}
        for table, privilege in rows:
            held.setdefault(table, set()).add(privilege)
        attrs = conn.execute(
            sa.text(
                "SELECT rolsuper, rolcreaterole, rolbypassrls, rolcanlogin, rolpassword "
                "FROM pg_authid WHERE rolname = :r"
            ),
            {"r": role},
        ).one()
        owns = conn.execute(
            sa.text("SELECT count(*) FROM pg_class WHERE relowner = CAST(:r AS regrole)"),
            {"r": role},
        ).scalar_one()
    admin.dispose()
    assert held["audit_events"] == {"SELECT", "INSERT"}
    assert held["approvals"] == held["evidence"] == {"SELECT", "INSERT"}
    assert held["risks"] == held["waivers"] == {"SELECT", "INSERT", "UPDATE"}
    assert held["users"] == {"SELECT"}
    assert "web_login_failures" not in held
    every = set().union(*held.values())
    assert not every & {"TRUNCATE", "TRIGGER", "REFERENCES"}
    assert [t for t, p in held.items() if "DELETE" in p] == ["web_sessions"]
    assert attrs[:4] == (False, False, False, True)
    assert owns == 0
    assert _scram_matches(attrs.rolpassword, "correct horse battery")


def _scram_matches(verifier: str, password: str) -> bool:
    """RFC 5802 / 7677, by hand: StoredKey = H(HMAC(SaltedPassword, "Client Key"))."""
    method, rest = verifier.split("$", 1)
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    stored, server = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return (
        method == "SCRAM-SHA-256"
        and base64.b64decode(stored) == hashlib.sha256(client_key).digest()
        and base64.b64decode(server) == server_key
    )


def test_every_governed_table_checks_who_writes_it(ws: g.Workspace) -> None:
    with ws.store.read() as conn:
        checked = {
            str(name)
            for (name,) in conn.exec_driver_sql(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = c.relname || '_identity' AND c.relnamespace = "
                "current_schema()::regnamespace"
            )
        }
    assert checked == {t.name for t in (*tables.GOVERNED_TABLES, tables.audit_events)}


def test_a_persons_writes_take_the_chains_writer_lock(
    ws: g.Workspace, bob_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INSERT alone may not LOCK the table: the lock comes from assay_lock_chain(), so a person's
    writes queue behind the server's and each other's, and the chain never forks."""
    monkeypatch.setenv("ASSAY_USER", "bob")
    bob = g.open_workspace(ws.root, db_url=bob_url)
    with bob.store.write(actor="bob", action="test.lock", entity_type="test") as tx:
        pid = tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with ws.store.read() as owner:
            modes = owner.execute(
                sa.text(
                    "SELECT mode FROM pg_locks WHERE pid = :pid AND granted "
                    "AND relation = to_regclass('audit_events')"
                ),
                {"pid": pid},
            ).scalars()
            assert "ExclusiveLock" in set(modes)
    bob.close()


def test_an_owner_that_is_no_superuser_grants_with_createrole_only(
    db_url: str, pg_roles: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As deployed: the tables belong to an ordinary role with CREATEROLE, not to a superuser."""
    owner, person = pg_roles("owner"), pg_roles("bob")
    admin = _superuser()
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{owner}" AUTHORIZATION "{owner}"')
    url = sa.make_url(db_url).set(username=owner)
    owner_url = url.update_query_dict({"options": f"-csearch_path={owner}"}).render_as_string(False)
    monkeypatch.setenv("ASSAY_USER", "ada")
    ws = g.init_workspace(tmp_path / "team", db_url=owner_url, user="ada")
    g.add_user(ws, "bob", role="analyst")
    g.add_user(ws, "cy", role="analyst")
    grant = g.grant_db_role(ws, "bob", role=person)
    ws.close()
    monkeypatch.setenv("ASSAY_USER", "bob")
    with g.open_workspace(ws.root, db_url=_as_role(owner_url, person, grant.password)) as bob:
        assert bob.user == "bob"
        g.add_system(bob, "ranker", purpose="Ranks tickets", owner="bob")
    forged = _refused(_as_role(owner_url, person), EVENT.format(actor="ada", hash="c" * 64))
    assert "cannot write actor = 'ada'" in forged
    with admin.begin() as conn:
        conn.exec_driver_sql(f'ALTER ROLE "{owner}" NOCREATEROLE')
    admin.dispose()
    monkeypatch.setenv("ASSAY_USER", "ada")
    with g.open_workspace(ws.root, db_url=owner_url) as again:
        assert again.user == "ada"
        with pytest.raises(PermissionDeniedError, match="lacks CREATEROLE"):
            g.grant_db_role(again, "cy", role=pg_roles("cy"))
        assert g.verify_audit(again).ok

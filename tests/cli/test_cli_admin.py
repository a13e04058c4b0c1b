"""``assay admin grant`` / ``assay admin revoke``, through the real entry point: per-person database
roles on PostgreSQL (issue 16, item 3), refused on SQLite."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from test_cli_governance import Result, cli  # noqa: F401 (cli: the fixture)

Run = Callable[..., Result]


@pytest.fixture
def assay(cli: Run) -> Run:  # noqa: F811 (the imported fixture, requested)
    """Run ``assay ARGS`` in-process in a project folder (the governance tests' runner)."""
    return cli


def test_admin_grant_on_sqlite_says_roles_need_postgresql(assay: Run) -> None:
    assert assay("init").code == 0
    run = assay("admin", "grant", "ada")
    assert run.code == 2, run.err
    assert "Per-person database roles need PostgreSQL" in run.err
    assert "operating-system account" in run.err
    assert "Traceback" not in run.err


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_granted_person_is_themselves_until_revoked(
    assay: Run, db_url: str, pg_roles: Callable[[str], str]
) -> None:
    role = pg_roles("bob")
    assert assay("init", "--db", db_url).code == 0
    assert assay("user", "add", "bob", "--role", "analyst", "--db", db_url).code == 0
    grant = assay("admin", "grant", "bob", "--role", role, "--db", db_url)
    assert grant.code == 0, grant.err
    password = grant.out.strip()
    assert len(password) >= 24
    assert "shown once" in grant.err
    assert password not in grant.err
    bob = sa.make_url(db_url).set(username=role, password=password).render_as_string(False)

    refused = assay("system", "list", "--db", bob, user="ada")
    assert refused.code == 2
    said = " ".join(refused.err.split())
    assert f"connected as database role {role}, which is user bob" in said
    assert "ASSAY_USER cannot make you ada" in said
    added = assay("system", "add", "ranker", "--purpose", "p", "--owner", "bob", "--db", bob,
                  user="bob")  # fmt: skip
    assert added.code == 0, added.err
    log = assay("audit", "log", "--json", "--db", db_url)
    assert '"actor": "bob"' in log.out

    again = assay("admin", "grant", "bob", "--role", role, "--password-stdin", "--db", db_url,
                  stdin="a new passphrase\n")  # fmt: skip
    assert again.code == 0, again.err
    assert "Updated the database role" in " ".join(again.out.split())
    assert "a new passphrase" not in again.out + again.err

    assert assay("admin", "revoke", "bob", "--db", db_url).code == 0
    gone = assay("system", "list", "--db", bob, user="bob")
    assert gone.code == 2
    assert "cannot see this workspace's tables" in " ".join(gone.err.split())
    assert assay("audit", "verify", "--db", db_url).code == 0


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_person_granted_before_organisations_still_writes_after_the_upgrade(
    assay: Run, db_url: str, pg_roles: Callable[[str], str]
) -> None:
    """Migration 0009 grants its new tables to the per-person roles made before it: every write
    reads the writer's roles there (without it, every write of such a person failed)."""
    from assay.store import normalize_url
    from assay.store._migrate import downgrade, upgrade

    role = pg_roles("cy")
    assert assay("init", "--db", db_url).code == 0
    assert assay("user", "add", "cy", "--role", "analyst", "--db", db_url).code == 0
    grant = assay("admin", "grant", "cy", "--role", role, "--db", db_url)
    assert grant.code == 0, grant.err
    cy = sa.make_url(db_url).set(username=role, password=grant.out.strip())
    engine = sa.create_engine(normalize_url(db_url), poolclass=sa.pool.NullPool)
    try:
        downgrade(engine, "0008")  # as the workspace was before organisations
        upgrade(engine)
    finally:
        engine.dispose()
    added = assay("system", "add", "ranker", "--purpose", "p", "--owner", "cy",
                  "--db", cy.render_as_string(False), user="cy")  # fmt: skip
    assert added.code == 0, added.err
    assert "ranker in main" in added.out
    assert assay("audit", "verify", "--db", db_url).code == 0

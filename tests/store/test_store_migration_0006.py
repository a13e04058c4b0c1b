"""Migration 0006: passwords and tokens made before it enter the audit chain (and from then on a
planted one is found); old tokens get an expiry; waivers and approvals keep verifying."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from assay.store import Store, read_events, tables
from assay.store._migrate import downgrade, upgrade

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
# The users table as it was at 0005, before migrations 0007 and 0009 added ``db_role``, ``org``.
USERS_0005 = sa.Table(
    "users", sa.MetaData(), *(c._copy() for c in tables.users.c if c.name not in ("db_role", "org"))
)


def test_credentials_made_before_0006_are_adopted_into_the_chain(
    db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url, blob_dir=tmp_path / "blobs")
    try:
        upgrade(store.engine, "0005")
        user = {"name": "ada", "display_name": None, "email": None, "role": "admin",
                "active": True, "created_at": NOW, "created_by": "ada", "updated_at": NOW,
                "updated_by": "ada"}  # fmt: skip
        with store.write(actor="ada", action="user.add", entity_type="user", at=NOW) as tx:
            tx.insert(USERS_0005, user)
        with store.engine.begin() as conn:  # as Assay before 0006 wrote them: outside the chain
            conn.exec_driver_sql(
                "INSERT INTO web_passwords (user_name, password_hash, updated_at) "
                "VALUES ('ada', 'argon2-hash', CURRENT_TIMESTAMP)"
            )
            conn.exec_driver_sql(
                "INSERT INTO web_tokens (user_name, label, token_sha256, created_at) "
                f"VALUES ('ada', 'ci', '{'a' * 64}', CURRENT_TIMESTAMP)"
            )
        upgrade(store.engine)
        assert store.verify().ok, store.verify().problems
        with store.engine.connect() as conn:
            events = read_events(conn, entity_type="user")
            (adopt,) = [e for e in events if e.action == "credentials.adopt"]
            expiry = conn.execute(sa.select(tables.web_tokens.c.expires_at)).scalar_one()
        assert sorted(c["key"] for c in adopt.changes) == ["1", "ada"]
        assert expiry > dt.datetime.now(dt.UTC) + dt.timedelta(days=89)
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE web_passwords SET password_hash = 'planted'")
        assert not store.verify().ok
        downgrade(store.engine, "0005")
        upgrade(store.engine)
    finally:
        store.dispose()

"""A migration that adds columns to a governed table keeps the audit log verifiable.

0004 adds the remote issue columns to ``remediation_actions``; rows written at 0003 must still
match the images their audit events recorded, on SQLite and PostgreSQL, and a downgrade must
remove the columns again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from assay.store import Store, read_events, tables
from assay.store._migrate import downgrade, upgrade

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def _columns(store: Store) -> set[str]:
    return {c["name"] for c in sa.inspect(store.engine).get_columns("remediation_actions")}


def _stamps() -> dict[str, object]:
    return {"created_at": NOW, "created_by": "ada", "updated_at": NOW, "updated_by": "ada"}


def test_rows_written_before_0004_verify_after_it(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url, blob_dir=tmp_path / "blobs")
    try:
        upgrade(store.engine, "0003")
        assert "remote_id" not in _columns(store)
        # The table as Assay at 0003 knew it: writing through it records the audit image that
        # version recorded, with every column it had and none of the new ones.
        at_0003 = sa.Table(
            "remediation_actions",
            sa.MetaData(),
            *(sa.Column(c.name, c.type, primary_key=c.primary_key)
              for c in tables.actions.columns if not c.name.startswith("remote_")),
        )  # fmt: skip
        values = {
            "title": "Reweigh", "description": None, "risk_id": None, "incident_id": None,
            "owner": "ada", "due_date": dt.date(2026, 12, 1), "status": "open",
            "closure_evidence_id": None, "closed_at": None, **_stamps(),
        }  # fmt: skip
        with store.write(actor="ada", action="action.add", entity_type="action", at=NOW) as tx:
            tx.insert(at_0003, values)
        with store.engine.connect() as conn:
            (event,) = read_events(conn, entity_type="action")
        assert set(event.changes[0]["after"]) == set(values) | {"id"}

        upgrade(store.engine)
        assert {"remote_system", "remote_id", "remote_url"} <= _columns(store)
        assert store.verify().ok, store.verify().problems

        # Linking the action is an audited change like any other, and verifies.
        with store.write(actor="ada", action="action.push", entity_type="action", at=NOW) as tx:
            tx.update(tables.actions, 1, {"remote_system": "jira", "remote_id": "RAI-7",
                                         "remote_url": "https://x/browse/RAI-7"})  # fmt: skip
        assert store.verify().ok
        # An edit outside Assay of a new column is caught.
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(tables.actions).where(tables.actions.c.id == 1).values(remote_id="RAI-8")
            )
        problems = store.verify().problems
        assert [p.key for p in problems] == ["remediation_actions:1"]
        assert "edited outside Assay" in problems[0].message

        downgrade(store.engine, "0003")
        assert "remote_id" not in _columns(store)
    finally:
        store.dispose()

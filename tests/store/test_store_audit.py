"""Every write is one transaction with one hash-chained audit event; any edit outside Assay —
of an event or of any governed row — is caught and named by verification."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from store_helpers import NOW, add_system, add_user

from assay.canonical import canonical_json
from assay.errors import TransitionError
from assay.store import GENESIS_HASH, Store, read_events, tables


def _events(store: Store) -> list[dict[str, object]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(tables.audit_events)).mappings()]


def _rows(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _drop_append_only_trigger(store: Store, table: str) -> None:
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
            conn.exec_driver_sql(f"DROP TRIGGER {table}_no_delete")


def test_one_event_per_transaction_with_row_images(store: Store) -> None:
    with store.write(actor="ada", action="system.add", entity_type="system", at=NOW) as tx:
        sid = add_system(tx, "credit")
        tx.update(tables.ai_systems, sid, {"owner": "ml-team"})
    (event,) = _events(store)
    assert event["seq"] == 1
    assert event["prev_hash"] == GENESIS_HASH
    assert (event["entity_type"], event["entity_id"]) == ("system", str(sid))
    (change,) = json.loads(str(event["changes"]))
    # Two writes to one row in one transaction: one change, from nothing to the final state.
    assert change["before"] is None
    assert change["after"]["owner"] == "ml-team"
    assert change["after"]["created_at"] == "2025-03-14T09:26:53.589793+00:00"


def test_event_hash_is_sha256_of_the_documented_payload(store: Store) -> None:
    add_user(store, "ada")
    (event,) = _events(store)
    header = json.dumps(
        [
            GENESIS_HASH,
            1,
            event["at"].isoformat(timespec="microseconds"),  # type: ignore[union-attr]
            "root",
            "user.add",
            "user",
            "ada",
            event["row_keys"],
            None,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    payload = header + "\n" + str(event["changes"])
    assert event["hash"] == hashlib.sha256(payload.encode()).hexdigest()
    changes = json.loads(str(event["changes"]))
    assert canonical_json(changes) == event["changes"]
    image = canonical_json(changes[0]["after"]).encode()
    assert event["row_keys"] == "users:ada=" + hashlib.sha256(image).hexdigest()


def test_failed_transaction_writes_nothing(store: Store) -> None:
    add_user(store, "ada")

    def fail_half_way() -> None:
        with store.write(actor="ada", action="system.add", entity_type="system") as tx:
            add_system(tx, "credit")
            raise RuntimeError("validation failed half way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert _rows(store, tables.ai_systems) == 0
    assert len(_events(store)) == 1
    assert store.verify().ok


def test_transaction_without_changes_writes_no_event(store: Store) -> None:
    with store.write(actor="ada", action="noop", entity_type="system"):
        pass
    assert _events(store) == []


def test_evidence_cannot_be_updated_or_deleted_through_the_store(store: Store) -> None:
    with store.write(actor="ada", action="x", entity_type="user") as tx:
        tx.insert(
            tables.evidence,
            {
                "kind": "fairness",
                "title": "t",
                "blob_sha256": "0" * 64,
                "media_type": "application/json",
                "size_bytes": 1,
                "content_hash": "0" * 64,
                "created_at": NOW,
                "created_by": "ada",
            },
        )
    with (
        pytest.raises(TransitionError, match="supersedes"),
        store.write(actor="ada", action="x", entity_type="evidence") as tx,
    ):
        tx.update(tables.evidence, 1, {"title": "edited"})
    with (
        pytest.raises(TransitionError),
        store.write(actor="ada", action="x", entity_type="evidence") as tx,
    ):
        tx.delete(tables.evidence, 1)
    # The database itself refuses a hand edit of evidence.
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.update(tables.evidence).values(title="edited"))
    assert store.verify().ok


@pytest.fixture
def populated(store: Store) -> Store:
    add_user(store, "ada")
    add_user(store, "bob")
    with store.write(actor="ada", action="system.add", entity_type="system") as tx:
        add_system(tx, "credit")
    with store.write(actor="ada", action="system.update", entity_type="system") as tx:
        tx.update(tables.ai_systems, 1, {"owner": "ml-team"})
    assert store.verify().ok
    return store


def test_hand_edit_of_a_governed_row_is_caught(populated: Store) -> None:
    with populated.engine.begin() as conn:
        conn.execute(
            sa.update(tables.users).where(tables.users.c.name == "bob").values(role="admin")
        )
    report = populated.verify()
    assert not report.ok
    assert report.first_problem is not None
    assert report.first_problem.key == "users:bob"
    assert "edited outside Assay" in report.first_problem.message


def test_hand_insert_and_delete_are_caught(populated: Store) -> None:
    from store_helpers import user_values

    with populated.engine.begin() as conn:
        conn.execute(sa.insert(tables.users).values(**user_values("mallory", "admin")))
        conn.execute(sa.delete(tables.users).where(tables.users.c.name == "bob"))
    messages = [p.message for p in populated.verify().problems]
    assert any("users:mallory was inserted outside Assay" in m for m in messages)
    assert any("users:bob was deleted outside Assay" in m for m in messages)


def test_edited_event_is_named(populated: Store) -> None:
    _drop_append_only_trigger(populated, "audit_events")
    with populated.engine.begin() as conn:
        conn.execute(
            sa.update(tables.audit_events).where(tables.audit_events.c.seq == 2).values(actor="eve")
        )
    report = populated.verify()
    assert report.first_problem is not None
    assert report.first_problem.seq == 2
    assert "Audit event 2 (user.add user bob) was edited" in report.first_problem.message


def test_forged_hash_breaks_the_next_link(populated: Store) -> None:
    """Recomputing the edited event's own hash does not help: the next event's link breaks."""
    _drop_append_only_trigger(populated, "audit_events")
    ev = {e["seq"]: e for e in _events(populated)}[2]
    from assay.store import event_hash

    forged = event_hash(
        str(ev["prev_hash"]),
        2,
        ev["at"].isoformat(timespec="microseconds"),  # type: ignore[union-attr]
        "eve",
        str(ev["action"]),
        str(ev["entity_type"]),
        str(ev["entity_id"]),
        str(ev["row_keys"]),
        str(ev["changes"]),
        None,
    )
    with populated.engine.begin() as conn:
        conn.execute(
            sa.update(tables.audit_events)
            .where(tables.audit_events.c.seq == 2)
            .values(actor="eve", hash=forged)
        )
    report = populated.verify()
    assert report.first_problem is not None
    assert report.first_problem.seq == 3
    assert "does not link" in report.first_problem.message


def test_deleted_events_are_caught(populated: Store) -> None:
    _drop_append_only_trigger(populated, "audit_events")
    with populated.engine.begin() as conn:
        conn.execute(sa.delete(tables.audit_events).where(tables.audit_events.c.seq == 2))
    report = populated.verify()
    assert report.first_problem is not None
    assert "missing" in report.first_problem.message
    assert report.first_problem.seq == 3


def test_deleting_the_last_event_leaves_its_row_unexplained(populated: Store) -> None:
    _drop_append_only_trigger(populated, "audit_events")
    with populated.engine.begin() as conn:
        conn.execute(sa.delete(tables.audit_events).where(tables.audit_events.c.seq == 4))
    report = populated.verify()
    assert not report.ok
    assert report.first_problem is not None
    assert report.first_problem.key == "ai_systems:1"


def test_edit_of_evidence_after_dropping_the_trigger_is_caught(store: Store) -> None:
    with store.write(actor="ada", action="evidence.add", entity_type="evidence") as tx:
        tx.insert(
            tables.evidence,
            {
                "kind": "fairness",
                "title": "passes",
                "blob_sha256": "0" * 64,
                "media_type": "application/json",
                "size_bytes": 1,
                "content_hash": "0" * 64,
                "created_at": NOW,
                "created_by": "ada",
            },
        )
    _drop_append_only_trigger(store, "evidence")
    with store.engine.begin() as conn:
        conn.execute(sa.update(tables.evidence).values(title="fails"))
    report = store.verify()
    assert report.first_problem is not None
    assert report.first_problem.key == "evidence:1"


def test_read_events_filters(populated: Store) -> None:
    with populated.read() as conn:
        assert [e.action for e in read_events(conn, entity_type="system")] == [
            "system.add",
            "system.update",
        ]
        assert [e.seq for e in read_events(conn, newest_first=True, limit=2)] == [4, 3]
        (ev,) = read_events(conn, entity_type="system", entity_id="1", actor="ada", limit=1)
        assert ev.changes[0]["table"] == "ai_systems"


def test_parallel_verification_matches_serial(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long chains are checked by forked workers over ranges; the report must be the same."""
    from assay.store import _audit

    for i in range(7):
        add_user(populated, f"user{i}")
    _drop_append_only_trigger(populated, "audit_events")
    with populated.engine.begin() as conn:
        conn.execute(
            sa.update(tables.audit_events).where(tables.audit_events.c.seq == 9).values(actor="x")
        )
        conn.execute(sa.delete(tables.audit_events).where(tables.audit_events.c.seq == 6))
    serial = populated.verify()
    monkeypatch.setattr(_audit, "PARALLEL_FROM", 2)
    for workers in (2, 3, 5):
        with populated.read(snapshot=True) as conn:
            report = _audit.verify_chain(conn, url=populated.url, workers=workers)
        assert report == serial
    assert [p.seq for p in serial.problems][:3] == [7, 7, 9]  # gap and broken link; edit

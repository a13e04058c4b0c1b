"""Issue 16 (M5) at the store: the values SQLite would keep and PostgreSQL refuses (a NUL byte, a
value longer than its column), lone surrogates, far-future dates and deep or giant JSON are
refused the same way on both databases, with a message naming the field, before any SQL runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from assay.errors import InputError, IntegrityError
from assay.store import (
    JSON_MAX_DEPTH,
    TEXT_MAX_CHARS,
    Store,
    check_json_shape,
    check_json_value,
    load_records,
    parse_json,
    tables,
)

NOW = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)


def _system(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "credit",
        "purpose": "Scores loan applications",
        "owner": "ada",
        "risk_tier": "unassessed",
        "lifecycle_status": "development",
        "generative": False,
        "created_at": NOW,
        "created_by": "ada",
        "updated_at": NOW,
        "updated_by": "ada",
        **overrides,
    }


def _insert(store: Store, values: dict[str, Any]) -> None:
    with store.write(actor="ada", action="system.add", entity_type="system") as tx:
        tx.insert(tables.ai_systems, values)


def _counts(store: Store) -> tuple[int, int]:
    with store.read() as conn:
        count = sa.select(sa.func.count())
        return (
            conn.execute(count.select_from(tables.ai_systems)).scalar_one(),
            conn.execute(count.select_from(tables.audit_events)).scalar_one(),
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"purpose": "Scores\x00loans"}, r"purpose \(ai_systems\) holds a NUL character"),
        ({"name": "x" * 201}, r"name \(ai_systems\) is 201 characters long; at most 200"),
        ({"owner": "o" * 250}, r"owner \(ai_systems\) is 250 characters long; at most 200"),
        (
            {"intended_use": "u" * (TEXT_MAX_CHARS + 1)},
            r"intended use \(ai_systems\) is 100,001 characters long; at most 100,000",
        ),
        ({"purpose": "bad \ud800 text"}, r"purpose \(ai_systems\) holds a lone surrogate"),
        ({"created_at": dt.datetime(9999, 12, 31, tzinfo=dt.UTC)}, "created at .* out of range"),
    ],
    ids=["nul", "varchar", "varchar-owner", "text-cap", "surrogate", "year-9999"],
)
def test_unstorable_values_are_refused_alike_on_both_databases(
    store: Store, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        _insert(store, _system(**overrides))
    assert _counts(store) == (0, 0)  # nothing written, not even the event


def test_update_and_event_notes_are_held_to_the_same_limits(store: Store) -> None:
    _insert(store, _system())
    update = store.write(actor="ada", action="system.update", entity_type="system")
    with pytest.raises(InputError, match=r"purpose \(ai_systems\) holds a NUL"), update as tx:
        tx.update(tables.ai_systems, 1, {"purpose": "a\x00b"})
    noted = store.write(actor="ada", action="x.y", entity_type="system", note="why\x00")
    with pytest.raises(InputError, match="The note holds a NUL character"), noted as tx:
        tx.update(tables.ai_systems, 1, {"purpose": "fine"})
    assert _counts(store) == (1, 1)


def test_json_columns_refuse_nul_deep_nesting_and_giant_integers(store: Store) -> None:
    deep: Any = "leaf"
    for _ in range(10_000):
        deep = [deep]
    for columns, message in (
        (["a\x00b"], r"columns\[0\] holds a NUL character"),
        ({"k\x00": 1}, r"columns \(a key\) holds a NUL character"),
        ([10**5000], "more than 1,000 digits"),
        (deep, f"nested more than {JSON_MAX_DEPTH} levels deep"),
    ):
        write = store.write(actor="ada", action="d.add", entity_type="dataset_version")
        with pytest.raises(InputError, match=message), write as tx:
            tx.insert(
                tables.dataset_versions,
                {
                    "name": "adult",
                    "version": "1",
                    "digest": "sha256:" + "ab" * 32,
                    "columns": columns,
                    "created_at": NOW,
                    "created_by": "ada",
                    "updated_at": NOW,
                    "updated_by": "ada",
                },
            )


def test_json_checks_walk_without_recursion() -> None:
    deep: Any = 1
    for _ in range(100_000):  # far past Python's recursion limit
        deep = {"k": deep}
    with pytest.raises(InputError, match="nested more than"):
        check_json_value(deep, name="summary")
    with pytest.raises(InputError, match="nested more than"):
        check_json_shape(deep, name="The result")
    check_json_shape({"nan": float("nan"), "s": "a\x00"}, name="The result")  # a file may hold them


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[" * 100 + "]" * 100, "nested more than 64 levels"),
        ('{"n": ' + "7" * 5000 + "}", "Exceeds the limit .* for integer string conversion"),
        ('{"n": ' + "7" * 2000 + "}", "more than 1,000 digits"),
        (b"\xff\xfe", "can't decode"),
        ("{", "Expecting property name"),
    ],
    ids=["deep-recursion", "deep", "5000-digits", "2000-digits", "not-utf8", "truncated"],
)
def test_parse_json_refuses_hostile_json_cleanly(text: str | bytes, message: str) -> None:
    with pytest.raises(InputError, match=f"The upload.*{message}"):
        parse_json(text, what="The upload")


def _dump(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(r, default=str)) for r in rows]


def test_an_import_holding_a_nul_is_refused_before_any_row_is_written(
    store: Store, tmp_path: Path
) -> None:
    """A row SQLite once stored with a NUL would fail on PostgreSQL (exit 3): both refuse it."""
    row = {"id": 1, **_system(purpose="a\x00b")}
    row = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
    with pytest.raises(IntegrityError, match=r"row ai_systems:1 cannot be stored: .*NUL"):
        load_records(store, {"ai_systems": [row]}, [])
    assert _counts(store) == (0, 0)
    with pytest.raises(IntegrityError, match="not a date or a time with its offset"):
        load_records(store, {"ai_systems": [{**row, "purpose": "ok", "created_at": "9999"}]}, [])
    with pytest.raises(IntegrityError, match="not all mappings"):
        load_records(store, {"ai_systems": [["id", 1]]}, [])  # type: ignore[list-item]

"""Issue 16 (M5) through governance, on SQLite and PostgreSQL: NUL bytes and over-long values in
any field, out-of-range times and hostile evaluation JSON are refused with a clear message (the
fuzzed web app and CLI saw 5xx and exit 3), and a SQLite backup restores into PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gov_helpers import credit_system, events, fairness_result

from assay import governance as g
from assay.errors import InputError, IntegrityError
from assay.store import TEXT_MAX_CHARS, tables


def test_a_nul_byte_in_any_text_field_is_refused(ws: g.Workspace) -> None:
    credit_system(ws)
    before = events(ws)
    attempts = {
        "purpose": lambda: g.add_system(ws, "other", purpose="a\x00b", owner="cy"),
        "title": lambda: g.add_risk(
            ws, system="credit", title="Gap\x00", category="1.3", likelihood=2, severity=2,
            owner="cy",
        ),
        "rationale": lambda: g.request_waiver(
            ws, system="credit", control="dp", rationale="r\x00", compensating_controls="c",
            residual_risk="m", expires_on="2025-05-01",
        ),
        "summary": lambda: g.open_incident(
            ws, title="t", severity="sev3", occurred_at="2025-03-01", systems=["credit"],
            summary="s\x00",
        ),
        "The tool": lambda: g.add_evidence(
            ws, kind="model_card", data=b"card", system="credit", tool="x\x00y",
        ),
        # a field no validator names: the store's check on every write catches it
        r"media type \(evidence\)": lambda: g.add_evidence(
            ws, kind="model_card", data=b"card", system="credit", media_type="text/\x00",
        ),
    }  # fmt: skip
    for field, attempt in attempts.items():
        with pytest.raises(InputError, match=f"{field} holds a NUL character"):
            attempt()
    assert events(ws) == before


def test_over_long_values_are_refused_on_both_databases(ws: g.Workspace) -> None:
    """PostgreSQL refused these with a DataError (5xx, exit 3); SQLite stored them."""
    credit_system(ws)
    with pytest.raises(InputError, match=r"tool \(evidence\) is 150 characters long; at most 100"):
        g.add_evidence(ws, kind="model_card", data=b"card", system="credit", tool="t" * 150)
    with pytest.raises(InputError, match="The description is 100,001 characters long"):
        g.add_risk(
            ws, system="credit", title="Gap", category="1.3", likelihood=2, severity=2,
            owner="cy", description="d" * (TEXT_MAX_CHARS + 1),
        )  # fmt: skip
    assert g.list_evidence(ws) == []


@pytest.mark.parametrize(
    "occurred",
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "1066-10-14T09:00:00"],
)
def test_out_of_range_times_are_refused_not_overflowed(ws: g.Workspace, occurred: str) -> None:
    credit_system(ws)
    with pytest.raises(InputError, match=r"occurred-at time .* is out of range"):
        g.open_incident(ws, title="t", severity="sev3", occurred_at=occurred, systems=["credit"])


def test_kpis_for_a_period_ending_in_year_9999_are_refused(ws: g.Workspace) -> None:
    with pytest.raises(InputError, match="The end date 9999-12-31 is out of range"):
        g.compute_kpis(ws, "2025-01-01", "9999-12-31")
    with pytest.raises(InputError, match="The start date 0001-01-01 is out of range"):
        g.compute_kpis(ws, "0001-01-01", "2025-01-01")


def _deep(levels: int) -> Any:
    value: Any = 0.5
    for _ in range(levels):
        value = {"v": value}
    return value


def test_hostile_evaluation_results_are_refused(ws: g.Workspace) -> None:
    credit_system(ws)
    deep = {**fairness_result(), "groups": _deep(5_000)}
    with pytest.raises(InputError, match="The evaluation result is nested more than 64 levels"):
        g.record_evaluation(ws, deep, kind="fairness", system="credit", model_version="1")
    huge = {**fairness_result(), "n": 10**2000}
    with pytest.raises(InputError, match=r"The evaluation result\.n holds an integer of more than"):
        g.record_evaluation(ws, huge, kind="fairness", system="credit", model_version="1")
    assert g.list_evidence(ws) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "assay.fairness/v1", "n": ' + "9" * 5000 + "}", "number Assay cannot read"),
        ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
        ('{"a": ' * 100 + "1" + "}" * 100, "nested more than 64 levels"),
    ],
    ids=["5000-digits", "deeper-than-the-parser", "deeper-than-the-limit"],
)
def test_json_evidence_files_that_readers_would_crash_on_are_refused(
    ws: g.Workspace, tmp_path: Path, content: str, message: str
) -> None:
    """The gate, documents and the web app parse recorded JSON evidence; such a file made each
    of them crash long after it was recorded."""
    credit_system(ws)
    path = tmp_path / "result.json"
    path.write_text(content)
    with pytest.raises(InputError, match=f"The file .*result.json.* {message}"):
        g.add_evidence(ws, kind="fairness", path=path, system="credit", model_version="1")
    assert g.list_evidence(ws) == []
    (tmp_path / "notes.json").write_text("not JSON, kept as a file")
    g.add_evidence(ws, kind="model_card", path=tmp_path / "notes.json", system="credit")


def _legacy_row_with_a_nul(ws: g.Workspace) -> None:
    """What a SQLite workspace could hold before: a chain-consistent row with a NUL byte."""
    with ws.store.write(actor="ada", action="system.update", entity_type="system") as tx:
        row = tx.conn.execute(
            tables.ai_systems.update()
            .where(tables.ai_systems.c.id == 1)
            .values(purpose="Scores\x00loans")
            .returning(*tables.ai_systems.c)
        )
        after = row.mappings().one()
        tx.record_existing(tables.ai_systems, after)


def test_a_sqlite_backup_restores_into_this_database(db_url: str, tmp_path: Path) -> None:
    """Values at every limit survive the trip; a legacy NUL is refused with its row named, and
    nothing is left behind (before: stored on SQLite, exit 3 on PostgreSQL)."""
    source = g.init_workspace(tmp_path / "src", user="ada")
    g.add_user(source, "cy", role="analyst")
    credit_system(source)
    g.add_system(
        source, "n" * 100, purpose="p" * TEXT_MAX_CHARS, owner="cy", intended_use="ünï 😀 \t\n"
    )
    good = g.backup_workspace(source, tmp_path / "good.zip")
    _legacy_row_with_a_nul(source)
    assert g.verify_audit(source).ok
    legacy = g.backup_workspace(source, tmp_path / "legacy.zip")
    source.close()

    with pytest.raises(IntegrityError, match=r"row ai_systems:1 cannot be stored: .*NUL"):
        g.restore_workspace(legacy.path, tmp_path / "dst", db_url=db_url, user="ada")
    assert not (tmp_path / "dst").exists()
    restored, summary = g.restore_workspace(good.path, tmp_path / "dst", db_url=db_url, user="ada")
    assert summary.head_hash == good.head_hash
    assert g.verify_audit(restored, blobs=True).ok
    assert len(g.get_system(restored, "n" * 100).purpose) == TEXT_MAX_CHARS
    restored.close()


def test_parse_json_is_what_uploads_use(tmp_path: Path) -> None:
    payload = json.dumps(fairness_result()).encode()
    assert g.parse_json(payload, what="The upload")["schema"] == "assay.fairness/v1"
    with pytest.raises(InputError, match="The upload is not JSON Assay can read"):
        g.parse_json(b'{"n": ' + b"1" * 5000 + b"}", what="The upload")

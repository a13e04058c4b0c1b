"""``--engine duckdb`` reads a local file into DuckDB, which runs the grouped passes; the numbers
are Polars'."""

from __future__ import annotations

from pathlib import Path

import pytest
from sources_support import numbers, run

COMMANDS = [
    ("evaluate", "fairness", "--y-true", "label", "--y-score", "score", "--sensitive", "sex,race",
     "-f", "json"),
    ("check", "data", "--sensitive", "sex", "--label", "label", "-f", "json"),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_duckdb_matches_polars(parquet: Path, command: tuple[str, ...]) -> None:
    from assay.sources import statistics_digest

    local = run(*command, parquet).json()
    duck = run(*command, parquet, "--engine", "duckdb").json()
    assert numbers(duck) == numbers(local)
    dataset = duck["provenance"]["dataset"]
    assert dataset["engine"] == "duckdb"
    assert dataset["source"] == {"kind": "file", "path": str(parquet)}
    assert dataset["statistics_digest"] == statistics_digest(local)


def test_a_missing_file_on_duckdb_is_exit_2(tmp_path: Path) -> None:
    result = run(*COMMANDS[1], tmp_path / "missing.parquet", "--engine", "duckdb")
    assert result.code == 2
    assert "missing.parquet" in result.err

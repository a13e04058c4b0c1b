"""The shared source options: declared once, on every data-reading command, checked before
anything is read; and a source is named without its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sources_support import run

from assay.errors import InputError
from assay.sources import SourceSpec, redact_url, source_digest

COMMANDS = [("evaluate", "fairness"), ("check", "data"), ("check", "drift"), ("pii", "scan")]
OPTIONS = ("--source-db", "--table", "--query", "--engine", "--spark-master")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_data_reading_command_has_the_same_source_options(command: tuple[str, str]) -> None:
    result = run(*command, "--help", env={"COLUMNS": "200"})
    assert result.code == 0, result.err
    for option in OPTIONS:
        assert option in result.out, (command, option)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SourceSpec(), "Name the data once"),
        (SourceSpec(path="a.parquet", table="t", database="sqlite://"), "Name the data once"),
        (SourceSpec(table="t"), "--table names a database table"),
        (SourceSpec(query="SELECT 1"), "--query runs in a database"),
        (SourceSpec(path="a.parquet", engine="pandas"), "--engine must be one of"),
        (SourceSpec(database="sqlite://", table="t", engine="duckdb"), "Drop --engine"),
        (SourceSpec(path="gs://b/a.parquet", engine="duckdb"), "--engine duckdb reads local"),
    ],
)
def test_options_that_do_not_go_together(spec: SourceSpec, message: str) -> None:
    with pytest.raises(InputError, match=message):
        spec.checked()


def test_conflicting_options_exit_2_on_the_command_line(tmp_path: Path) -> None:
    result = run("check", "data", "--table", "t", "-f", "json")
    assert result.code == 2
    assert "--table names a database table" in result.err


def test_a_malformed_url_is_refused_without_its_password() -> None:
    result = run("pii", "scan", "--source-db", "not a url:Sup3rSecret@", "--table", "t")
    assert result.code == 2
    assert "Sup3rSecret" not in result.err


def test_redact_url_keeps_the_user_and_hides_the_password() -> None:
    assert redact_url("postgresql+psycopg://ana:p%40ss@db:5432/x") == (
        "postgresql+psycopg://ana:***@db:5432/x"
    )
    assert redact_url("postgresql://ana@db/x") == "postgresql://ana@db/x"


def test_the_source_digest_covers_the_source_the_query_and_the_statistics() -> None:
    base = {"kind": "database", "url": "postgresql://ana@db/x", "query": "SELECT 1"}
    one = source_digest(base, "sha256:aa")
    assert one == source_digest(dict(base), "sha256:aa")
    assert one != source_digest(base | {"query": "SELECT 2"}, "sha256:aa")
    assert one != source_digest(base | {"url": "postgresql://ana@db2/x"}, "sha256:aa")
    assert one != source_digest(base, "sha256:bb")

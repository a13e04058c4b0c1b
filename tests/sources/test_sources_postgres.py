"""A PostgreSQL table gives the same numbers as the local Parquet file, with the grouped work
pushed down; a bad database is a clear exit 2 that names it without its password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sources_support import numbers, run

pytestmark = pytest.mark.postgres

FAIRNESS = ("evaluate", "fairness", "--y-true", "label", "--sensitive", "sex,race", "-f", "json")


def _db(pg_table: tuple[str, str], *extra: str) -> list[str]:
    url, name = pg_table
    return ["--source-db", url, *(extra or ("--table", name))]


@pytest.mark.parametrize("prediction", [("--y-pred", "pred"), ("--y-score", "score")])
def test_fairness_from_a_table_matches_the_file(
    parquet: Path, pg_table: tuple[str, str], prediction: tuple[str, str]
) -> None:
    local = run(*FAIRNESS, *prediction, parquet).json()
    remote = run(*FAIRNESS, *prediction, *_db(pg_table)).json()
    assert numbers(remote) == numbers(local)
    dataset = remote["provenance"]["dataset"]
    assert dataset["engine"] == "database (pushed down)"
    assert dataset["source"]["table"] == pg_table[1]
    assert dataset["digest"].startswith("sha256:")
    assert dataset["digest"] != local["provenance"]["dataset"]["digest"]


def test_a_query_is_a_source_and_its_text_is_in_the_digest(
    parquet: Path, pg_table: tuple[str, str]
) -> None:
    _, name = pg_table
    query = f'SELECT label, pred, sex, race FROM "{name}"'
    by_query = run(*FAIRNESS, "--y-pred", "pred", *_db(pg_table, "--query", query)).json()
    by_table = run(*FAIRNESS, "--y-pred", "pred", *_db(pg_table)).json()
    local = run(*FAIRNESS, "--y-pred", "pred", parquet).json()
    assert numbers(by_query) == numbers(local)
    q, t = by_query["provenance"]["dataset"], by_table["provenance"]["dataset"]
    assert q["source"]["query"] == query
    assert q["statistics_digest"] == t["statistics_digest"]  # the same numbers ...
    assert q["digest"] != t["digest"]  # ... read another way


def test_the_group_by_runs_in_the_database(pg_table: tuple[str, str]) -> None:
    """Every query sent aggregates: the server groups, and only grouped rows come back."""
    from assay.evaluate import fairness
    from assay.sources import SourceSpec, opened_source

    url, name = pg_table
    sent: list[str] = []
    with opened_source(SourceSpec(database=url, table=name)) as opened:
        backend = opened.data._find_backend()  # the Ibis backend: watch the SQL it compiles
        compile_sql = backend.compile

        def watched(expr: Any, *args: Any, **kwargs: Any) -> Any:
            sql = compile_sql(expr, *args, **kwargs)
            sent.append(str(sql).upper())
            return sql

        backend.compile = watched
        result = fairness(opened.data, y_true="label", y_score="score", sensitive_features=["sex"])
    assert result.n == 32561
    assert any("GROUP BY" in q for q in sent), sent
    assert all("GROUP BY" in q or "COUNT(" in q or "SUM(" in q for q in sent), sent


def test_the_report_is_one_statement_in_one_round_trip(
    pg_table: tuple[str, str], tmp_path: Path
) -> None:
    """What libpq sends while the report runs: the one GROUP BY, as sent (not through
    ``DECLARE … CURSOR``, which PostgreSQL never runs in parallel), and no ``BEGIN``/``COMMIT``
    or ``FETCH`` around it."""
    import psycopg

    from assay.evaluate import fairness
    from assay.sources import SourceSpec, opened_source

    if psycopg.pq.version() < 170000:
        pytest.skip("libpq before 17 has no chunked rows: the results come through a cursor")
    url, name = pg_table
    trace = tmp_path / "libpq.trace"
    with opened_source(SourceSpec(database=url, table=name)) as opened:
        pgconn = opened.data._find_backend().con.pgconn
        with trace.open("w") as sink:
            pgconn.trace(sink.fileno())
            result = fairness(opened.data, y_true="label", y_pred="pred", sensitive_features="sex")
            pgconn.untrace()
    assert result.n == 32561
    sent = [line.split("\t") for line in trace.read_text().splitlines()]
    statements = [f[4] for f in sent if f[1] == "F" and f[3] in ("Parse", "Query")]
    round_trips = [f for f in sent if f[1] == "F" and f[3] in ("Sync", "Query")]
    assert len(statements) == 1, statements
    assert "GROUP BY" in statements[0].upper()
    assert "DECLARE" not in statements[0].upper()
    assert len(round_trips) == 1, statements


def test_quality_drift_and_pii_from_a_table_match_the_file(
    parquet: Path, reference: Path, pg_table: tuple[str, str]
) -> None:
    for command in (
        ("check", "data", "--sensitive", "sex", "--label", "label", "-f", "json"),
        ("check", "drift", reference, "-f", "json"),
        ("pii", "scan", "-f", "json"),
    ):
        local = run(*command, parquet).json()
        remote = run(*command, *_db(pg_table)).json()
        assert numbers(remote) == numbers(local), command
        assert remote["provenance"]["dataset"]["source"]["kind"] == "database"


def test_pii_streams_the_rows_in_batches(pg_table: tuple[str, str], parquet: Path) -> None:
    """The spool is written one server-side batch at a time (one Parquet row group each): a
    batch size that does not divide the table still gives every row."""
    import polars as pl
    import pyarrow.parquet as pq

    from assay.sources import SourceSpec, opened_source, spool_rows

    url, name = pg_table
    with opened_source(SourceSpec(database=url, table=name)) as opened:
        path = spool_rows(opened, batch_rows=7_000)
        assert pq.ParquetFile(path).metadata.num_row_groups == 5  # 32,561 rows / 7,000
        spooled = pl.read_parquet(path)
    assert not path.exists()  # the spool goes when the source is closed
    local = pl.read_parquet(parquet)
    # a table has no row order: compare the rows as sets
    assert spooled.sort(spooled.columns).equals(local.sort(local.columns))


BAD = [
    ("unreachable", "postgresql+psycopg://ana:Sup3rSecret@127.0.0.1:1/assay", ("--table", "t")),
    ("unknown role", "{base_role}", ("--table", "t")),
    ("missing table", "{url}", ("--table", "no_such_table")),
    ("failing query", "{url}", ("--query", "SELECT no_such_column FROM pg_class")),
]


@pytest.mark.parametrize(("case", "url", "what"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_database_is_a_clear_exit_2_without_the_password(
    tmp_path: Path, pg_table: tuple[str, str], case: str, url: str, what: tuple[str, str]
) -> None:
    good = sa.make_url(pg_table[0])
    role = good.set(username="no_such_role_x", password="Sup3rSecret")
    url = url.format(url=pg_table[0], base_role=role.render_as_string(hide_password=False))
    out = tmp_path / "result.json"
    for command in ((*FAIRNESS, "--y-pred", "pred"), ("check", "data", "-f", "json"),
                    ("pii", "scan", "-f", "json")):  # fmt: skip
        result = run(*command, "--source-db", url, *what, "-o", out)
        assert result.code == 2, (case, command, result.err)
        assert "Traceback" not in result.err
        assert "Sup3rSecret" not in result.err + result.out
        assert "could not be read" in result.err
        assert what[1].split()[0] in result.err or "query" in result.err
        assert not out.exists()

"""The sources' fixtures: one table in four places (a local Parquet file, a PostgreSQL table, an
object on a real S3-compatible server on loopback, Spark), and a runner for the command line.

The table is the UCI Adult extract shipped in the package, with a deterministic prediction, a
label and a score added, so that fairness, quality, drift and PII all have something to find.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest


@pytest.fixture(scope="session")
def table() -> pl.DataFrame:
    from assay.datasets import load_adult

    frame: pl.DataFrame = load_adult()
    email = pl.format("person{}@example.org", pl.int_range(pl.len()))
    return frame.with_columns(
        pred=(pl.col("education_num") >= 13).cast(pl.Int64),
        label=(pl.col("income") == ">50K").cast(pl.Int64),
        score=pl.col("education_num") / 16.0,
        contact=pl.when(pl.int_range(pl.len()) % 50 == 0).then(email).otherwise(None),
    )


@pytest.fixture(scope="session")
def parquet(table: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("local") / "adult.parquet"
    table.write_parquet(path)
    return path


@pytest.fixture(scope="session")
def reference(table: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference data of the drift checks: the first half of the table."""
    path = tmp_path_factory.mktemp("reference") / "reference.parquet"
    table.head(table.height // 2).write_parquet(path)
    return path


@pytest.fixture(scope="session")
def pg_table(table: pl.DataFrame) -> Iterator[tuple[str, str]]:
    """(URL, table name) of the table copied into PostgreSQL; dropped afterwards."""
    import sqlalchemy as sa

    url = os.environ["ASSAY_TEST_POSTGRES_URL"]
    name = f"adult_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table.write_database(name, engine, if_table_exists="fail")
    try:
        yield url, name
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        engine.dispose()


@dataclass(frozen=True)
class S3:
    endpoint: str
    env: dict[str, str]
    bucket: str


@pytest.fixture(scope="session")
def s3(parquet: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """A real S3-compatible server (moto in server mode) on a free loopback port, with the table
    uploaded as ``s3://assay-test/adult.parquet``. The test environment's credentials are fakes
    the server accepts; readiness is the server's own "Running on" line, then a probe."""
    server = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    if not Path(server).exists():
        pytest.skip("moto[server] is not installed (pip install -e '.[dev]')")
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        endpoint = _wait_for_server(proc)
        env = {
            "AWS_ACCESS_KEY_ID": "assay-test",
            "AWS_SECRET_ACCESS_KEY": "assay-test-secret",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        client.create_bucket(Bucket="assay-test")
        client.upload_file(str(parquet), "assay-test", "adult.parquet")
        yield S3(endpoint, env, "assay-test")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for_server(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            import urllib.request

            # the server logs every request to stderr: keep draining it so it never blocks
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            with urllib.request.urlopen(found[1] + "/", timeout=30) as probe:
                assert probe.status == 200
            return found[1]
    raise RuntimeError(f"moto_server exited with code {proc.wait()} before it listened")

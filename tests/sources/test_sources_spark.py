"""Spark reads the file (or a catalog table) and runs the grouped passes; the numbers are the
local file's. A Spark that cannot start is a clear exit 2."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sources_support import numbers, run

pytestmark = pytest.mark.spark

FAIRNESS = ("evaluate", "fairness", "--y-true", "label", "--y-pred", "pred", "--sensitive",
            "sex,race", "-f", "json")  # fmt: skip
SPARK = ("--engine", "spark", "--spark-master", "local[1]")


def test_fairness_and_quality_on_spark_match_the_file(parquet: Path) -> None:
    from assay.sources import statistics_digest

    # the PII scan on Spark (its input notes say where rows were counted) is compared with
    # Polars in tests/pii/test_pii_spark.py
    for command in (
        FAIRNESS,
        ("check", "data", "--sensitive", "sex", "--label", "label", "-f", "json"),
    ):
        local = run(*command, parquet).json()
        spark = run(*command, parquet, *SPARK).json()
        assert numbers(spark) == numbers(local), command
        dataset = spark["provenance"]["dataset"]
        assert dataset["engine"] == "spark"
        assert dataset["statistics_digest"] == statistics_digest(local)


def test_drift_on_spark_matches_the_file(parquet: Path, reference: Path) -> None:
    command = ("check", "drift", reference, "-f", "json")
    assert numbers(run(*command, parquet, *SPARK).json()) == numbers(run(*command, parquet).json())


def test_a_catalog_table(parquet: Path, tmp_path: Path) -> None:
    """``--table db.name`` reads Spark's catalog: here a table made in a local warehouse."""
    from assay.evaluate import fairness
    from assay.sources import SourceSpec, opened_source

    spec = SourceSpec(table="default.adult_catalog", engine="spark", spark_master="local[1]")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path / "warehouse"))
        .getOrCreate()
    )
    spark.read.parquet(str(parquet)).write.saveAsTable("default.adult_catalog")
    try:
        with opened_source(spec) as opened:
            remote = fairness(opened.data, y_true="label", y_pred="pred", sensitive_features="sex")
        local = fairness(parquet, y_true="label", y_pred="pred", sensitive_features="sex")
        assert numbers(remote.to_dict()) == numbers(local.to_dict())
    finally:
        spark.sql("DROP TABLE IF EXISTS default.adult_catalog")


def test_a_spark_that_cannot_start_is_exit_2(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    broken = {"JAVA_HOME": str(tmp_path / "no-java"), "PATH": os.path.dirname(sys.executable)}
    result = run(*FAIRNESS, parquet, *SPARK, "-o", out, env=broken)
    assert result.code == 2, result.err
    assert "Spark could not start (Spark master local[1])" in result.err
    assert "Traceback" not in result.err
    assert not out.exists()


@pytest.fixture(scope="module")
def spark_connect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server (local[1]) on a free loopback port; ready when it says so."""
    import importlib.util
    import socket
    import subprocess

    if importlib.util.find_spec("grpc") is None:
        pytest.skip("spark lane: the Spark Connect client needs pip install 'pyspark[connect]'")
    import pyspark

    home = Path(pyspark.__file__).parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(home / "bin" / "spark-submit"), "--class",
         "org.apache.spark.sql.connect.service.SparkConnectServer", "--master", "local[1]",
         "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
         "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false"],
        env={**os.environ, "SPARK_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        for line in server.stderr:
            if "Spark Connect server started at" in line:
                break
        else:
            raise RuntimeError(f"Spark Connect exited with code {server.wait()}")
        threading.Thread(target=server.stderr.read, daemon=True).start()  # keep draining its log
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_spark_connect_via_spark_remote(parquet: Path, spark_connect: str) -> None:
    """With SPARK_REMOTE set, the passes run on that Spark Connect server: same numbers."""
    local = run(*FAIRNESS, parquet).json()
    remote = run(*FAIRNESS, parquet, "--engine", "spark", env={"SPARK_REMOTE": spark_connect})
    assert numbers(remote.json()) == numbers(local)

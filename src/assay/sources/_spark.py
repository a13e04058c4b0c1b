"""Spark: a session on ``--spark-master`` (default ``local[*]``) or, when ``SPARK_REMOTE`` is
set, on that Spark Connect server; a path or a catalog table read into a Spark DataFrame, so the
evaluation's grouped passes run as Spark jobs.
"""

from __future__ import annotations

import os
from typing import Any

from assay.errors import InputError
from assay.sources._opened import OpenedSource, source_error
from assay.sources._spec import SourceSpec

__all__ = ["open_spark"]


def _session(master: str) -> Any:
    """A Spark session; the error of one that cannot start names the master (or remote)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "--engine spark needs PySpark: pip install 'assay-rai[spark]' (and a Java runtime)."
        ) from None
    remote = os.environ.get("SPARK_REMOTE")
    where = f"Spark Connect at {remote}" if remote else f"Spark master {master}"
    try:
        builder: Any = SparkSession.builder.appName("assay")
        builder = builder.remote(remote) if remote else builder.master(master)
        if not remote:
            builder = builder.config("spark.ui.enabled", "false")
        return builder.getOrCreate()
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"Spark could not start ({where}): {detail}. Check JAVA_HOME (Java 17 or later), "
            "--spark-master or SPARK_REMOTE."
        ) from None


def open_spark(spec: SourceSpec) -> OpenedSource:
    """A Spark DataFrame over the path or catalog table, checked by reading its schema."""
    spark = _session(spec.spark_master)
    if spec.table is not None:
        described = {"kind": "spark-table", "table": spec.table}
    else:
        assert spec.path is not None
        described = {"kind": "file" if "://" not in spec.path else "object", "path": spec.path}
    opened = OpenedSource(spec, None, "spark", described)
    try:
        frame = spark.table(spec.table) if spec.table else _read(spark, spec.path or "")
        frame.schema  # noqa: B018  # resolves the plan: a missing path or table fails here
    except InputError:
        raise
    except Exception as exc:
        raise source_error(opened.label, exc, []) from None
    opened.data = frame
    return opened


def _read(spark: Any, path: str) -> Any:
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix in ("parquet", "pq"):
        return spark.read.parquet(path)
    if suffix == "csv":
        return spark.read.option("header", True).option("inferSchema", True).csv(path)
    if suffix in ("jsonl", "ndjson", "json"):
        return spark.read.json(path)
    raise InputError(f"Cannot read '{path}' with Spark: give a .parquet, .csv or .jsonl path.")

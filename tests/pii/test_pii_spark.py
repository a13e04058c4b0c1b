"""PySpark through narwhals: Spark counts and filters the rows, Polars validates the rest."""

from __future__ import annotations

import polars as pl
import pytest

from assay.evaluate.pii import reidentification_risk, scan

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_same_inventory_and_risk_on_spark(people: pl.DataFrame) -> None:
    from pyspark.sql import SparkSession

    # getOrCreate reuses a session another test module started in this worker.
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    frame = spark.createDataFrame(people.to_arrow().to_pandas())
    on_spark = scan(frame, quasi_identifiers=["age", "sex"], sensitive="income")
    local = scan(people, quasi_identifiers=["age", "sex"], sensitive="income")
    assert on_spark.entities == local.entities
    assert on_spark.inventory().drop("examples").equals(local.inventory().drop("examples"))
    assert on_spark.n_rows == 4
    risk = reidentification_risk(frame, quasi_identifiers=["age", "sex"])
    assert risk.to_dict()["combinations"] == local.to_dict()["risk"]["combinations"]

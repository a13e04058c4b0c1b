"""The same data on every engine gives the same result, to 1e-12 on every number.

The reference is a Polars DataFrame; the same rows are passed as a pandas DataFrame, a Polars
LazyFrame, a pyarrow Table, a DuckDB relation, a Parquet file, a CSV file and a PySpark DataFrame.
Only the provenance fields that describe the input's form (engine, digest, path) and the time may
differ.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest

from assay.evaluate import fairness

LIMITS = {
    "demographic_parity_difference": 0.1,
    "equalized_odds_ratio": 0.8,
    "tpr_difference": 0.15,
}
TWO = ["sex", "race"]
FAST = {"n_bootstrap": 200, "min_group_size": 20}

#: name → keyword arguments of fairness(); every case uses both sensitive features, and ``sex``
#: has missing values, so every case also checks the null group.
CASES: dict[str, dict[str, Any]] = {
    "y_pred": {"y_true": "y", "y_pred": "pred", "thresholds": LIMITS},
    "y_score exact": {"y_true": "y", "y_score": "score", "score_bins": "exact"},
    "y_score binned": {"y_true": "y", "y_score": "score", "score_bins": 1000},
    "sample_weight": {
        "y_true": "y",
        "y_score": "score",
        "sample_weight": "w",
        "thresholds": LIMITS,
    },
    "regression": {
        "y_true": "target",
        "y_pred": "estimate",
        "task": "regression",
        "sample_weight": "w",
        "n_bootstrap": 100,
        "thresholds": {"mae_difference": 1.0, "rmse_ratio": 0.8},
    },
    "multiclass": {
        "y_true": "y3",
        "y_pred": "pred3",
        "sample_weight": "w",
        "thresholds": {"demographic_parity_difference": 0.1, "tpr_ratio": 0.8},
    },
}

PANDAS_FALLBACK = "error:Found complex group-by expression:UserWarning"


def _run(data: Any, case: str) -> dict[str, Any]:
    kwargs = {**FAST, **CASES[case]}
    return fairness(data, sensitive_features=TWO, **kwargs).to_dict()


@pytest.fixture(scope="module")
def files(eval_frame: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("engines")
    parquet, csv = folder / "predictions.parquet", folder / "predictions.csv"
    eval_frame.write_parquet(parquet)
    eval_frame.write_csv(csv)
    return {"parquet": parquet, "csv": csv}


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def reference(eval_frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {case: _run(eval_frame, case) for case in CASES}


ENGINES: dict[str, Callable[[pl.DataFrame, dict[str, Path], Any], Any]] = {
    "pandas": lambda frame, files, con: frame.to_pandas(),
    "polars-lazy": lambda frame, files, con: frame.lazy(),
    "pyarrow": lambda frame, files, con: frame.to_arrow(),
    "duckdb": lambda frame, files, con: con.from_arrow(frame.to_arrow()),
    "parquet": lambda frame, files, con: files["parquet"],
    "csv": lambda frame, files, con: files["csv"],
}


def _params() -> list[Any]:
    params = []
    for engine in ENGINES:
        for case in CASES:
            params.append(pytest.param(engine, case, id=f"{engine}-{case}"))
    return params


@pytest.mark.filterwarnings(PANDAS_FALLBACK)
@pytest.mark.parametrize(("engine", "case"), _params())
def test_engine_gives_the_polars_result(
    engine: str,
    case: str,
    eval_frame: pl.DataFrame,
    files: dict[str, Path],
    duck: duckdb.DuckDBPyConnection,
    reference: dict[str, dict[str, Any]],
    assert_same_result: Callable[..., None],
) -> None:
    data = ENGINES[engine](eval_frame, files, duck)
    result = _run(data, case)
    assert_same_result(reference[case], result)
    assert result["provenance"]["dataset"]["engine"] == (
        "polars" if engine in ("polars-lazy", "parquet", "csv") else engine
    )


def test_reference_cases_cover_nulls_verdicts_and_bins(
    reference: dict[str, dict[str, Any]],
) -> None:
    """Guard the data: the comparison above really exercises what it claims to."""
    sexes = {g["group"]["sex"] for g in reference["y_pred"]["groups"] if g["by"] == ["sex"]}
    assert sexes == {"female", "male", None}
    assert any(len(g["by"]) == 2 for g in reference["y_pred"]["groups"])
    assert reference["y_pred"]["verdicts"]
    assert reference["y_score exact"]["params"]["score_levels"] == "exact"
    assert reference["y_score binned"]["params"]["score_levels"] == "1000 equal-width bins"
    assert reference["sample_weight"]["params"]["sample_weight"] == "w"
    assert reference["regression"]["task"] == "regression"


@pytest.fixture(scope="module")
def spark_frame(spark: Any, eval_frame: pl.DataFrame) -> Any:
    return spark.createDataFrame(eval_frame.to_pandas())


@pytest.mark.spark
@pytest.mark.parametrize("case", list(CASES))
def test_pyspark_gives_the_polars_result(
    case: str,
    spark_frame: Any,
    reference: dict[str, dict[str, Any]],
    assert_same_result: Callable[..., None],
) -> None:
    result = _run(spark_frame, case)
    assert_same_result(reference[case], result)
    assert result["provenance"]["dataset"]["engine"] == "pyspark"


def _on_bin_edges() -> pl.DataFrame:
    """Scores 0.00, 0.01, ..., 1.00: every one sits on an edge of the 1,000 score bins."""
    scores = np.arange(101) / 100
    return pl.DataFrame(
        {
            "y": np.arange(101) % 2,
            "score": scores,
            "g": np.where(np.arange(101) < 50, "a", "b"),
        }
    )


@pytest.mark.filterwarnings(PANDAS_FALLBACK)
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_binned_scores_on_bin_edges_agree_across_engines(
    engine: str,
    duck: duckdb.DuckDBPyConnection,
    assert_same_result: Callable[..., None],
) -> None:
    frame = _on_bin_edges()
    data = frame.to_pandas() if engine == "pandas" else duck.from_arrow(frame.to_arrow())
    kwargs = {"y_true": "y", "y_score": "score", "sensitive_features": "g", "score_bins": 1000}
    expected = fairness(frame, min_group_size=1, **kwargs).to_dict()
    assert_same_result(expected, fairness(data, min_group_size=1, **kwargs).to_dict())


def test_pandas_runs_the_grouped_pass_without_a_per_group_fallback(
    eval_frame: pl.DataFrame,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fairness(eval_frame.to_pandas(), y_true="y", y_score="score", sensitive_features=TWO)

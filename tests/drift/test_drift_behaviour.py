"""Drift by group, prediction and label drift, profiles as evidence, engines, and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from assay.errors import InputError, SchemaError
from assay.evaluate import DriftResult, ReferenceProfile, drift, reference_profile


def _population(n: int, seed: int, *, shift_group: str | None = None) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.4, 0.6])
    hours = rng.normal(40.0, 8.0, n)
    if shift_group is not None:
        hours = np.where(sex == shift_group, hours - 6.0, hours)
    score = 1 / (1 + np.exp(-(hours - 40.0) / 8.0))
    return pl.DataFrame(
        {
            "hours": hours,
            "sex": sex,
            "score": score,
            "label": (rng.random(n) < score).astype(np.int64),
        }
    )


def test_drift_confined_to_one_group_is_found_in_that_group() -> None:
    ref = _population(6000, 1)
    cur = _population(5000, 2, shift_group="female")
    result = drift(ref, cur, sensitive_features="sex", prediction="score", label="label")
    groups = {(g["by"], g["group"]): g for g in result.to_dict()["groups"]}
    assert "hours" in groups[("sex", "female")]["drifted"]
    assert "hours" not in groups[("sex", "male")]["drifted"]
    assert all(e["column"] != "sex" for g in groups.values() for e in g["columns"])
    summary = result.to_dict()["summary"]
    assert summary["prediction_drift"] is True
    assert {"by": "sex", "group": "female", "columns": ["hours", "score", "label"]} in summary[
        "groups_with_drift"
    ]
    table = result.by_group()
    assert set(table["group"].unique().to_list()) == {"female", "male"}


def test_labels_not_yet_arrived_are_reported_not_failed() -> None:
    ref = _population(3000, 1)
    cur = _population(1000, 3).drop("label")
    result = drift(ref, cur, prediction="score", label="label")
    assert result.to_dict()["summary"]["label_drift"] is None
    assert result.problems[0]["problem"] == "labels_not_available"
    assert result.column("label")["drift"] is None


def test_profile_round_trip_gives_the_same_result(tmp_path: Path) -> None:
    ref = _population(4000, 1)
    cur = _population(3000, 4, shift_group="male")
    profile = reference_profile(ref, sensitive_features="sex", prediction="score")
    saved = profile.save(tmp_path / "profile.json")
    loaded = ReferenceProfile.load(saved)
    assert loaded.digest == profile.digest
    a = drift(profile, cur).to_dict()
    b = drift(loaded, cur).to_dict()
    c = drift(ref, cur, sensitive_features="sex", prediction="score").to_dict()
    for payload in (a, b, c):
        payload.pop("provenance")
    _close(a, b)
    _close(a, c)  # a parallel engine may sum cells in another order: equal to the last bits
    again = DriftResult.from_json(drift(loaded, cur).to_json())
    assert again.drifted == drift(loaded, cur).drifted


def test_profile_size_is_bounded_by_the_bins_not_the_rows() -> None:
    small = reference_profile(_population(20_000, 1), exact_rows=0)
    large = reference_profile(_population(200_000, 1), exact_rows=0)
    assert len(large.to_json()) < 1.5 * len(small.to_json())


def test_missing_column_type_change_and_empty_batch_are_reported() -> None:
    ref = _population(2000, 1)
    cur = _population(500, 2).drop("hours").with_columns(pl.col("label").cast(pl.String))
    result = drift(ref, cur)
    problems = {p["column"]: p["problem"] for p in result.problems}
    assert problems == {"hours": "missing_column", "label": "type_changed"}
    assert result.column("hours")["drift"] is None
    assert "not in the current data" in result.column("hours")["reason"]
    assert result.column("score")["drift"] is not None

    empty = drift(ref, _population(10, 2).head(0))
    assert [p["problem"] for p in empty.problems] == ["empty"]
    assert empty.to_dict()["summary"]["n_tested"] == 0
    assert empty.dataset_drift is False


def test_new_categories_and_all_missing_values() -> None:
    ref = pl.DataFrame({"c": ["a", "b"] * 500, "x": np.arange(1000, dtype=float)})
    cur = pl.DataFrame({"c": ["a", "b", "z", "y"] * 250, "x": [None] * 1000}).with_columns(
        pl.col("x").cast(pl.Float64)
    )
    result = drift(ref, cur)
    new = result.column("c")["statistics"]["new_categories"]
    assert (new["count"], new["rows"], new["pooled_as"]) == (2, 500, "(new)")
    assert result.column("c")["drift"] is True
    x = result.column("x")
    assert (x["drift"], x["missing_current"]) == (None, 1.0)
    assert "no non-missing values" in x["reason"]


def test_bad_arguments_name_the_problem() -> None:
    ref = _population(500, 1)
    with pytest.raises(InputError, match=r"test must be one of auto, ks"):
        drift(ref, ref, test="t-test")
    with pytest.raises(InputError, match=r"'nope' named in columns is not in the data"):
        drift(ref, ref, columns=["nope"])
    with pytest.raises(InputError, match=r"thresholds has unknown names \['kl'\]"):
        drift(ref, ref, thresholds={"kl": 0.1})
    profile = reference_profile(ref)
    with pytest.raises(InputError, match=r"no groups for \['sex'\]"):
        drift(profile, ref, sensitive_features="sex")
    with pytest.raises(InputError, match=r"needs a numeric column"):
        drift(ref, ref, tests={"sex": "ks"})
    with pytest.raises(SchemaError, match=r"assay.drift-profile/v1"):
        ReferenceProfile.from_dict({"schema": "other"})


def test_unreadable_current_file_raises_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "batch.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"could not be read"):
        drift(_population(500, 1), bad)


def _comparable(payload: dict[str, Any]) -> dict[str, Any]:
    payload = dict(payload)
    payload.pop("provenance")
    payload["reference"] = {k: v for k, v in payload["reference"].items() if k != "dataset"}
    return payload


def _close(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}/{i}")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), path
    else:
        assert a == b, path


@pytest.mark.parametrize("engine", ["pandas", "pyarrow", "duckdb"])
def test_engines_agree(engine: str) -> None:
    ref = _population(1500, 1)
    cur = _population(1200, 5, shift_group="female")
    expected = drift(ref, cur, sensitive_features="sex").to_dict()

    def convert(df: pl.DataFrame) -> Any:
        if engine == "pandas":
            return df.to_pandas()
        if engine == "pyarrow":
            return df.to_arrow()
        import duckdb

        return duckdb.from_arrow(df.to_arrow())

    got = drift(convert(ref), convert(cur), sensitive_features="sex").to_dict()
    _close(_comparable(got), _comparable(expected))


@pytest.mark.spark
def test_spark_agrees(spark: Any) -> None:
    # two columns keep the union of per-column aggregations (one Spark stage each) small
    ref = _population(1500, 1).select("hours", "sex")
    cur = _population(1200, 5, shift_group="female").select("hours", "sex")
    expected = drift(ref, cur).to_dict()
    got = drift(
        spark.createDataFrame(ref.to_pandas()), spark.createDataFrame(cur.to_pandas())
    ).to_dict()
    _close(_comparable(got), _comparable(expected))

"""Data quality and representativeness against hand counts, scipy and an independent reference."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats

from assay.errors import InputError, NotFoundError, SchemaError
from assay.evaluate import QualityResult, quality

TOL = {"rel": 1e-9, "abs": 1e-12}


def _wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.fixture
def small() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "age": [25, 25, 40, None, 61, 33, 33, 120],
            "city": ["a", "a", "b", "b", None, "c", "c", "x"],
            "sex": ["f", "f", "m", "m", "m", "f", "f", "m"],
            "const": [1, 1, 1, 1, 1, 1, 1, 1],
            "y": [1, 1, 0, 1, 0, 1, 0, 0],
        }
    )


def test_missing_duplicates_constants_and_conflicts_by_hand(small: pl.DataFrame) -> None:
    result = quality(small, sensitive_features="sex", label="y", min_cell_size=1)
    age = result.column("age")
    assert (age["missing"], age["missing_rate"]) == (1, 1 / 8)
    assert age["missing_ci"] == pytest.approx(list(_wilson(1, 8)), **TOL)
    assert (age["min"], age["max"]) == (25, 120)
    payload = result.to_dict()
    assert payload["constant_columns"] == ["const"]
    # rows 0 and 1 are identical; rows 5 and 6 share features but not the label
    assert payload["duplicates"] == {"rows": 1, "rate": 1 / 8, "distinct_rows": 7}
    conflict = payload["label"]["conflicting"]
    assert (conflict["feature_rows"], conflict["rows"]) == (1, 2)
    classes = {c["class"]: c["n"] for c in payload["label"]["classes"]}
    assert classes == {0: 4, 1: 4}
    by_group = {
        g["group"]: {c["class"]: c["n"] for c in g["classes"]} for g in payload["label"]["by_group"]
    }
    assert by_group == {"f": {0: 1, 1: 3}, "m": {0: 3, 1: 1}}
    checks = {w["check"] for w in result.warnings}
    assert {"missing_values", "constant_columns", "duplicates", "conflicting_labels"} <= checks
    assert QualityResult.from_json(result.to_json()).to_dict() == payload


def test_declared_schema_violations_are_counted(small: pl.DataFrame, tmp_path: Path) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(
        "columns:\n"
        "  age: {type: integer, min: 18, max: 99, nullable: false}\n"
        "  city: {type: string, allowed: [a, b, c], pattern: '^[a-c]$'}\n"
        "  sex: {type: boolean}\n"
        "  income: {type: number}\n"
        "allow_extra_columns: false\n",
        encoding="utf-8",
    )
    result = quality(small, schema=spec)
    found = {
        (v["column"], v["check"]): v["count"]
        for v in result.to_dict()["schema_check"]["violations"]
    }
    assert found == {
        ("age", "nullable"): 1,
        ("age", "max"): 1,
        ("city", "allowed"): 1,
        ("city", "pattern"): 1,
        ("sex", "type"): 8,
        ("income", "required"): 8,
        ("const", "extra"): 0,
        ("y", "extra"): 0,
    }
    assert not result.passed


def test_bad_schema_and_population_files_name_the_field(tmp_path: Path) -> None:
    frame = pl.DataFrame({"sex": ["f", "m"]})
    spec = tmp_path / "schema.yaml"
    spec.write_text("columns:\n  age: {type: integr}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"columns\.age\.type"):
        quality(frame, schema=spec)
    pop = tmp_path / "pop.yaml"
    pop.write_text("source: census\nmarginals:\n  sex: {f: 0.3, m: 0.3}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"add up to 0.6000"):
        quality(frame, population=pop)
    with pytest.raises(NotFoundError, match=r"does not exist"):
        quality(frame, population=tmp_path / "nope.yaml")
    with pytest.raises(InputError, match=r"'race' named in sensitive_features is not in the data"):
        quality(frame, sensitive_features="race")


def test_differential_missingness_equals_scipy() -> None:
    rng = np.random.default_rng(4)
    n = 4000
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    miss_prob = np.where(group == "c", 0.25, 0.05)
    income = np.where(rng.random(n) < miss_prob, np.nan, rng.normal(50, 10, n))
    noise = np.where(rng.random(n) < 0.05, None, rng.normal(0, 1, n)).tolist()
    df = pl.DataFrame({"income": income, "noise": noise, "g": group})
    result = quality(df, sensitive_features="g")
    entries = {m["column"]: m for m in result.to_dict()["missingness_by_group"]}
    table = np.array(
        [
            [np.isnan(income[group == k]).sum() for k in ("a", "b", "c")],
            [(~np.isnan(income[group == k])).sum() for k in ("a", "b", "c")],
        ]
    )
    chi = stats.chi2_contingency(table)
    assert entries["income"]["chi_square"] == pytest.approx(chi.statistic, **TOL)
    assert entries["income"]["p_value"] == pytest.approx(chi.pvalue, **TOL)
    assert entries["income"]["differential"] is True
    assert entries["noise"]["differential"] is False
    q = stats.false_discovery_control([entries["income"]["p_value"], entries["noise"]["p_value"]])
    assert [entries["income"]["q_value"], entries["noise"]["q_value"]] == pytest.approx(list(q))


def test_representativeness_and_cells(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "sex": ["f"] * 300 + ["m"] * 700,
            "race": (["a"] * 280 + ["b"] * 20) + (["a"] * 650 + ["b"] * 45 + ["z"] * 5),
        }
    )
    pop = tmp_path / "pop.yaml"
    pop.write_text(
        "source: census 2020\nmarginals:\n  sex: {f: 0.5, m: 0.5}\n"
        "  race: {a: 0.85, b: 0.1, (other): 0.05}\n",
        encoding="utf-8",
    )
    result = quality(df, sensitive_features=["sex", "race"], population=pop, min_cell_size=30)
    rep = {r["feature"]: r for r in result.to_dict()["representativeness"]}
    gof = stats.chisquare([300, 700], [500, 500])
    assert rep["sex"]["chi_square"] == pytest.approx(gof.statistic, **TOL)
    assert rep["sex"]["p_value"] == pytest.approx(gof.pvalue, **TOL)
    f = rep["sex"]["categories"][0]
    assert f["ci"] == pytest.approx(list(_wilson(300, 1000)), **TOL)
    assert (f["status"], f["ratio"]) == ("under", pytest.approx(0.6))
    race = {c["category"]: c for c in rep["race"]["categories"]}
    assert race["(other)"]["observed"] == 5
    gof = stats.chisquare([930, 65, 5], [850, 100, 50])
    assert rep["race"]["chi_square"] == pytest.approx(gof.statistic, **TOL)
    cells = result.to_dict()["cells"]
    counts = {(c["group"]["sex"], c["group"]["race"]): c["n"] for c in cells["cells"]}
    assert counts == {
        ("f", "a"): 280,
        ("f", "b"): 20,
        ("f", "z"): 0,
        ("m", "a"): 650,
        ("m", "b"): 45,
        ("m", "z"): 5,
    }
    assert (cells["n_empty"], cells["n_small"]) == (1, 3)


def _reference_confident_learning(labels: np.ndarray, probs: np.ndarray) -> tuple[Any, float]:
    """Northcutt et al. (2021), written directly from the paper for the test."""
    k = probs.shape[1]
    thresholds = np.array([probs[labels == j, j].mean() for j in range(k)])
    joint = np.zeros((k, k))
    for y, p in zip(labels, probs, strict=True):
        above = np.flatnonzero(p >= thresholds)
        if above.size:
            joint[y, above[np.argmax(p[above])]] += 1
    counts = np.bincount(labels, minlength=k)
    calibrated = joint / joint.sum(axis=1, keepdims=True) * counts[:, None]
    q = calibrated / calibrated.sum()
    return joint, float((q.sum() - np.trace(q)) * labels.size)


def test_confident_learning_binary_and_multiclass() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    truth = rng.integers(0, 3, n)
    labels = truth.copy()
    flip = rng.random(n) < 0.1
    labels[flip] = rng.integers(0, 3, flip.sum())
    logits = rng.normal(0, 1, (n, 3)) + 2.5 * np.eye(3)[truth]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    df = pl.DataFrame({"y": labels, "p0": probs[:, 0], "p1": probs[:, 1], "p2": probs[:, 2]})
    cl = quality(df, label="y", y_proba={0: "p0", 1: "p1", 2: "p2"}).to_dict()["label"][
        "confident_learning"
    ]
    joint, issues = _reference_confident_learning(labels, probs)
    assert cl["confident_joint"] == joint.astype(int).tolist()
    assert cl["estimated_issues"] == pytest.approx(issues, **TOL)

    binary = (labels == 1).astype(np.int64)
    p1 = probs[:, 1]
    df2 = pl.DataFrame({"y": binary, "p": p1, "sex": rng.choice(["f", "m"], n)})
    cl2 = quality(df2, label="y", y_proba="p", sensitive_features="sex").to_dict()["label"][
        "confident_learning"
    ]
    joint2, issues2 = _reference_confident_learning(binary, np.column_stack([1 - p1, p1]))
    assert cl2["confident_joint"] == joint2.astype(int).tolist()
    assert cl2["estimated_issues"] == pytest.approx(issues2, **TOL)
    assert {g["group"] for g in cl2["by_group"]} == {"f", "m"}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_engines_agree(small: pl.DataFrame, engine: str) -> None:
    expected = quality(small, sensitive_features="sex", label="y", min_cell_size=1).to_dict()
    if engine == "pandas":
        native: Any = small.to_pandas()
    else:
        import duckdb

        native = duckdb.from_arrow(small.to_arrow())
    got = quality(native, sensitive_features="sex", label="y", min_cell_size=1).to_dict()
    for payload in (expected, got):
        payload.pop("provenance")
        for col in payload["columns"]:  # pandas keeps integers with a missing value as floats
            col.pop("dtype")
            for k in ("min", "max"):
                if isinstance(col[k], int | float):
                    col[k] = float(col[k])
            col.pop("nan")
    assert got == expected


@pytest.mark.spark
def test_spark_agrees(small: pl.DataFrame) -> None:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("assay-quality-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    expected = quality(small, sensitive_features="sex", label="y", min_cell_size=1).to_dict()
    got = quality(
        spark.createDataFrame(small.to_pandas()),
        sensitive_features="sex",
        label="y",
        min_cell_size=1,
    ).to_dict()
    for payload in (expected, got):
        payload.pop("provenance")
        for col in payload["columns"]:
            col.pop("dtype")
            col.pop("nan")
            for k in ("min", "max"):
                if isinstance(col[k], int | float):
                    col[k] = float(col[k])
    assert got == expected

"""Fixtures shared by the engine, property and schema tests of ``assay.evaluate.fairness``.

- ``eval_frame``: one synthetic table with every kind of column the engine reads (binary labels
  and predictions, probability scores, weights, a regression target, two sensitive features, one
  with missing values);
- ``assert_same_result``: compares two ``to_dict()`` payloads number by number;
- ``spark``: one local PySpark session for the whole run (tests using it are marked ``spark``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest

#: Provenance fields that legitimately change with the run or with the input's engine and form.
VOLATILE = {
    ("provenance", "created_at"),
    ("provenance", "dataset", "engine"),
    ("provenance", "dataset", "digest"),
    ("provenance", "dataset", "digest_of"),
    ("provenance", "dataset", "path"),
}


def make_frame(n: int = 400, seed: int = 0) -> pl.DataFrame:
    """Synthetic predictions with two sensitive features; ``sex`` has missing values.

    Scores are ``k/100 + 0.0005``: a few dozen exact levels (so pandas' slow grouped path stays
    quick), and never on an edge of the 1,000 score bins, the 10 calibration bins or the sweep
    grid, where engines may round a division differently.
    """
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male"], dtype=object), n, p=[0.4, 0.6])
    sex[rng.random(n) < 0.06] = None
    race = rng.choice(["A", "B", "C"], n, p=[0.6, 0.25, 0.15])
    y = rng.random(n) < np.where(race == "A", 0.45, 0.3)
    noise = rng.normal(0.0, 0.22, n)
    score = np.clip(np.floor((0.3 + 0.35 * y + noise) * 100) / 100, 0.0, 0.99) + 0.0005
    target = rng.normal(50.0, 10.0, n)
    return pl.DataFrame(
        {
            "y": y.astype(np.int64),
            "pred": (score >= 0.5).astype(np.int64),
            "score": score,
            "w": 0.5 + rng.random(n),
            "sex": list(sex),
            "race": race,
            "target": target,
            "estimate": target + rng.normal(np.where(race == "C", 2.0, 0.0), 5.0),
            # three classes (0, 1, 2) and predictions of two of them, for multiclass
            "y3": y.astype(np.int64) + (score >= 0.5).astype(np.int64),
            "pred3": 2 * (score >= 0.5).astype(np.int64),
        }
    )


def comparable(payload: Any, path: tuple[str, ...] = ()) -> Any:
    """``payload`` without the provenance fields that depend on the run or the input's form."""
    if isinstance(payload, dict):
        return {
            k: comparable(v, (*path, k)) for k, v in payload.items() if (*path, k) not in VOLATILE
        }
    if isinstance(payload, list):
        return [comparable(v, path) for v in payload]
    return payload


def _differences(a: Any, b: Any, where: str, tol: float) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            yield f"{where}: keys {sorted(a.keys() ^ b.keys())} on one side only"
            return
        for k in a:
            yield from _differences(a[k], b[k], f"{where}/{k}", tol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{where}: {len(a)} items against {len(b)}"
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, f"{where}[{i}]", tol)
    elif (
        isinstance(a, float | int)
        and isinstance(b, float | int)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        if type(a) is not type(b) or not math.isclose(a, b, rel_tol=tol, abs_tol=tol):
            yield f"{where}: {a!r} != {b!r}"
    elif a != b or type(a) is not type(b):
        yield f"{where}: {a!r} != {b!r}"


def assert_same(a: dict[str, Any], b: dict[str, Any], tol: float = 1e-12) -> None:
    """Every key equal and every number equal to ``tol`` (relative or absolute), provenance's
    volatile fields aside."""
    found = list(_differences(comparable(a), comparable(b), "", tol))
    assert not found, f"{len(found)} difference(s), first ones:\n" + "\n".join(found[:15])


@pytest.fixture(scope="session")
def eval_frame() -> pl.DataFrame:
    """The shared synthetic table (400 rows) as a Polars DataFrame."""
    return make_frame()


@pytest.fixture(scope="session")
def assert_same_result() -> Callable[..., None]:
    """``assert_same_result(a, b, tol=1e-12)`` on two ``to_dict()`` payloads."""
    return assert_same


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the run: one core, no UI, one shuffle partition.

    Code generation and adaptive execution only pay off on big data; for the few hundred rows
    here they cost more JIT time than they save.
    """
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("assay-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

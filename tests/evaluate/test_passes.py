"""How many times ``fairness`` reads the rows, and validation gathered by the grouped pass.

With ``y_pred`` (and for regression) one grouped query reads the rows and validation takes what it
needs from the small table; with ``y_score`` one light score pass comes first. Validation must
still catch everything it caught when it scanned separately.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from assay.errors import InputError
from assay.evaluate import _aggregate, fairness


@pytest.fixture
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    return pl.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
            "score": rng.random(n),
            "sex": rng.choice(["f", "m"], n),
            "w": rng.uniform(0.5, 2.0, n),
            "target": rng.normal(size=n),
            "estimate": rng.normal(size=n),
        }
    )


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The row queries ``fairness`` runs, by the aggregate function that ran them."""
    seen: list[str] = []
    original = _aggregate.collect

    def counting(query: Any) -> pl.DataFrame:
        import inspect

        seen.append(inspect.stack()[1].function)
        return original(query)

    monkeypatch.setattr(_aggregate, "collect", counting)
    return seen


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_labels_and_regression_read_the_rows_once(
    frame: pl.DataFrame, queries: list[str], lazy: bool
) -> None:
    data = frame.lazy() if lazy else frame
    fairness(data, y_true="y", y_pred="pred", sensitive_features="sex", sample_weight="w")
    assert queries == ["classification_statistics"]
    queries.clear()
    fairness(data, y_true="target", y_pred="estimate", sensitive_features="sex", task="regression")
    assert queries == ["regression_statistics"]


def test_scores_read_the_rows_twice(frame: pl.DataFrame, queries: list[str]) -> None:
    fairness(frame, y_true="y", y_score="score", sensitive_features="sex")
    assert queries == ["score_profile", "classification_statistics"]


def _scores(distinct: int, rows: int) -> pl.DataFrame:
    """``rows`` rows whose scores take exactly ``distinct`` values in (0, 1)."""
    rng = np.random.default_rng(distinct)
    values = (np.arange(distinct) + 0.5) / distinct
    score = np.concatenate([values, rng.choice(values, rows - distinct)])
    return pl.DataFrame(
        {
            "y": rng.integers(0, 2, rows),
            "score": rng.permutation(score),
            "sex": rng.choice(["f", "m"], rows),
        }
    )


@pytest.mark.parametrize(
    ("distinct", "expected"),
    [
        (600, "exact"),
        (20_000, "exact"),  # the limit itself: settled by an exact count
        (20_001, "1000 equal-width bins"),
        (45_000, "1000 equal-width bins"),  # decided by the estimate alone
    ],
)
@pytest.mark.parametrize("library", ["polars", "pandas"])
def test_auto_score_levels_switch_exactly_at_the_limit(
    distinct: int, expected: str, library: str
) -> None:
    data: Any = _scores(distinct, max(distinct, 1_000))
    if library == "pandas":
        data = data.to_pandas()
    result = fairness(data, y_true="y", y_score="score", sensitive_features="sex", n_bootstrap=100)
    assert result.to_dict()["params"]["score_levels"] == expected


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, r"'w' has 2 missing value\(s\)"),
        (float("nan"), r"'w' has 2 missing value\(s\)"),
        (-1.0, "negative values"),
    ],
)
def test_bad_weights_are_caught_by_the_grouped_pass(
    frame: pl.DataFrame, task: str, bad: float | None, message: str
) -> None:
    data = frame.with_columns(
        w=pl.when(pl.int_range(pl.len()) < 2).then(bad).otherwise(pl.col("w"))
    )
    kwargs: dict[str, Any] = (
        {"y_true": "y", "y_pred": "pred"}
        if task == "classification"
        else {"y_true": "target", "y_pred": "estimate", "task": "regression"}
    )
    with pytest.raises(InputError, match=message):
        fairness(data, sensitive_features="sex", sample_weight="w", **kwargs)


@pytest.mark.parametrize("column", ["target", "estimate"])
@pytest.mark.parametrize("bad", [None, float("nan")])
def test_missing_regression_values_are_refused(
    frame: pl.DataFrame, column: str, bad: float | None
) -> None:
    data = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 4).then(bad).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(InputError, match=rf"'{column}' has 4 missing value\(s\)"):
        fairness(
            data, y_true="target", y_pred="estimate", sensitive_features="sex", task="regression"
        )


def test_nan_labels_are_missing_values(frame: pl.DataFrame) -> None:
    data = frame.with_columns(
        y=pl.when(pl.int_range(pl.len()) < 5).then(float("nan")).otherwise(pl.col("y"))
    )
    with pytest.raises(InputError, match=r"'y' has 5 missing value\(s\)"):
        fairness(data, y_true="y", y_pred="pred", sensitive_features="sex")
    with pytest.raises(InputError, match=r"'y' has 5 missing value\(s\)"):
        fairness(data.to_pandas(), y_true="y", y_pred="pred", sensitive_features="sex")


def test_many_label_values_are_counted_without_listing_them(frame: pl.DataFrame) -> None:
    data = frame.with_columns(y=pl.int_range(pl.len()))
    with pytest.raises(InputError, match=r"'y' has 300 distinct values; fairness evaluation"):
        fairness(data, y_true="y", y_pred="pred", sensitive_features="sex")


def test_validation_on_pandas_matches_polars(frame: pl.DataFrame) -> None:
    data = frame.with_columns(sex=pl.Series([str(i) for i in range(frame.height)]))
    for form in (data, data.to_pandas(), data.lazy()):
        with pytest.raises(InputError, match=r"'sex' has 300 distinct values"):
            fairness(form, y_true="y", y_pred="pred", sensitive_features="sex")
    expected = fairness(frame, y_true="y", y_pred="pred", sensitive_features="sex").to_dict()
    got = fairness(
        pd.DataFrame(frame.to_pandas()), y_true="y", y_pred="pred", sensitive_features="sex"
    ).to_dict()
    assert got["groups"] == expected["groups"]

"""Regression metrics by group against numpy, computed from the formulas in the test."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from assay.evaluate import fairness


@pytest.fixture
def data() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    n = 3000
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    y = rng.normal(50, 10, n)
    pred = y + rng.normal(np.where(group == "c", 3.0, 0.0), 5.0)
    return pl.DataFrame({"g": group, "y": y, "pred": pred, "w": rng.uniform(0.5, 2.0, n)})


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_by_group(data: pl.DataFrame, weighted: bool) -> None:
    result = fairness(
        data, y_true="y", y_pred="pred", sensitive_features="g", task="regression",
        sample_weight="w" if weighted else None,
    )  # fmt: skip
    table = {row["g"]: row for row in result.by_group().iter_rows(named=True)}
    for g in ("a", "b", "c"):
        part = data.filter(pl.col("g") == g)
        y, p = part["y"].to_numpy(), part["pred"].to_numpy()
        w = part["w"].to_numpy() if weighted else None
        assert table[g]["n"] == part.height
        assert table[g]["mae"] == pytest.approx(
            mean_absolute_error(y, p, sample_weight=w), rel=1e-12
        )
        rmse = np.sqrt(mean_squared_error(y, p, sample_weight=w))
        assert table[g]["rmse"] == pytest.approx(rmse, rel=1e-12)
        assert table[g]["mean_prediction"] == pytest.approx(np.average(p, weights=w), rel=1e-12)
        assert table[g]["mean_residual"] == pytest.approx(np.average(p - y, weights=w), rel=1e-9)


def test_regression_interval_of_the_mean_residual(data: pl.DataFrame) -> None:
    result = fairness(data, y_true="y", y_pred="pred", sensitive_features="g", task="regression")
    part = data.filter(pl.col("g") == "c")
    r = (part["pred"] - part["y"]).to_numpy()
    se = r.std(ddof=0) / np.sqrt(r.size)
    entry = next(x for x in result.to_dict()["groups"] if x["group"] == {"g": "c"})
    est = entry["metrics"]["mean_residual"]
    assert est["ci_low"] == pytest.approx(r.mean() - 1.959963984540054 * se, rel=1e-9)
    assert est["ci_high"] == pytest.approx(r.mean() + 1.959963984540054 * se, rel=1e-9)
    ratio = next(d for d in result.to_dict()["disparities"] if d["metric"] == "mean_residual")[
        "ratio"
    ]
    assert ratio["undefined"] == "a ratio is not meaningful for the signed mean_residual"


def test_regression_refuses_classification_thresholds(data: pl.DataFrame) -> None:
    from assay.errors import InputError

    with pytest.raises(InputError, match=r"not a limit on a regression result.*mae_difference"):
        fairness(
            data, y_true="y", y_pred="pred", sensitive_features="g", task="regression",
            thresholds={"demographic_parity_difference": 0.1},
        )  # fmt: skip

"""Regression metrics per group from weighted sums of residual powers.

With residual ``r = ŷ − y``, weights ``w`` and ``W = Σw``:

- mae = Σ w|r| / W;  mean_residual = Σ w r / W;  mean_prediction = Σ w ŷ / W;
- rmse = sqrt(Σ w r² / W).

Intervals are normal approximations on the Kish effective sample size ``n_eff = W² / Σw²``:
a mean ``m`` of a quantity ``q`` has standard error ``sqrt((E[q²] − m²) / n_eff)``; for rmse the
interval of the mean squared error (``q = r²``, using Σ w r⁴) is mapped through the square root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from assay.errors import SchemaError
from assay.evaluate._aggregate import COUNT, W2, WAR, WP, WP2, WR, WR2, WR4, W
from assay.evaluate._groups import Grouping, index_of
from assay.evaluate._metrics import MetricColumn
from assay.evaluate._stats import FloatArray

REGRESSION_METRICS = ("mae", "rmse", "mean_prediction", "mean_residual")


#: The sums a regression result stores per group (its sufficient statistics), JSON name → column.
SUMS = {
    "weight": W,
    "weight_squares": W2,
    "prediction": WP,
    "prediction_squares": WP2,
    "residual": WR,
    "residual_squares": WR2,
    "absolute_residual": WAR,
    "residual_fourth_powers": WR4,
}


def regression_sums(stats: pl.DataFrame, grouping: Grouping) -> dict[str, FloatArray]:
    """The weighted sums (and ``COUNT``) of every group of ``grouping``, keyed by column."""
    sums = [COUNT, *SUMS.values()]
    if grouping.features:
        table = stats.group_by(list(grouping.features)).agg(pl.col(c).sum() for c in sums)
    else:
        table = stats.select(pl.col(c).sum() for c in sums)
    idx = index_of(table, grouping).astype(np.int64)
    g = len(grouping)
    return {
        c: np.bincount(idx, weights=table.get_column(c).to_numpy(), minlength=g).astype(np.float64)
        for c in sums
    }


def regression_columns(
    stats: pl.DataFrame, grouping: Grouping, z: float
) -> tuple[FloatArray, dict[str, MetricColumn]]:
    """Row counts and regression metric columns for the groups of ``grouping``."""
    col = regression_sums(stats, grouping)
    return col[COUNT], columns_from_sums(col, z)


def columns_from_sums(col: dict[str, FloatArray], z: float) -> dict[str, MetricColumn]:
    """The regression metric columns from each group's sums (:func:`regression_sums`)."""
    w = col[W]
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(col[W2] > 0, w * w / col[W2], 0.0)

        def mean_with_se(first: FloatArray, second: FloatArray) -> tuple[FloatArray, FloatArray]:
            m = first / w
            var = np.clip(second / w - m * m, 0.0, None)
            return m, np.sqrt(var / n_eff)

        mae, mae_se = mean_with_se(col[WAR], col[WR2])
        mres, mres_se = mean_with_se(col[WR], col[WR2])
        mpred, mpred_se = mean_with_se(col[WP], col[WP2])
        mse, mse_se = mean_with_se(col[WR2], col[WR4])
        rmse = np.sqrt(mse)
        rmse_low = np.sqrt(np.clip(mse - z * mse_se, 0.0, None))
        rmse_high = np.sqrt(mse + z * mse_se)
        # delta method: se(rmse) = se(mse) / (2 rmse), used for disparities
        rmse_se = np.where(rmse > 0, mse_se / (2 * rmse), 0.0)
    undefined: list[str | None] = [None if n > 0 else "no rows" for n in col[COUNT]]
    return {
        "mae": MetricColumn(
            "mae",
            mae,
            np.clip(mae - z * mae_se, 0.0, None),  # an absolute error is never negative
            mae + z * mae_se,
            undefined,
            "normal",
            se=mae_se,
        ),
        "rmse": MetricColumn(
            "rmse", rmse, rmse_low, rmse_high, list(undefined), "normal", se=rmse_se
        ),
        "mean_prediction": MetricColumn(
            "mean_prediction",
            mpred,
            mpred - z * mpred_se,
            mpred + z * mpred_se,
            list(undefined),
            "normal",
            se=mpred_se,
            signed=True,
        ),
        "mean_residual": MetricColumn(
            "mean_residual",
            mres,
            mres - z * mres_se,
            mres + z * mres_se,
            list(undefined),
            "normal",
            se=mres_se,
            signed=True,
        ),
    }


def stored_sums(entries: Sequence[Mapping[str, Any]]) -> dict[str, FloatArray]:
    """A grouping's sums (as :func:`regression_sums` gives them) rebuilt from the ``sums`` and
    ``n`` its group entries store."""
    try:
        out = {
            column: np.array([float(e["sums"][key]) for e in entries])
            for key, column in SUMS.items()
        }
    except (KeyError, TypeError, ValueError):
        raise SchemaError(
            "This regression result does not record its groups' sums, so it cannot be judged "
            "again; re-run the evaluation with this version of Assay."
        ) from None
    out[COUNT] = np.array([float(e["n"]) for e in entries])
    return out


def sums_entry(sums: dict[str, FloatArray], g: int) -> dict[str, float]:
    """The sums group ``g`` stores: its sufficient statistics, which verdicts are judged from."""
    return {key: float(sums[column][g]) for key, column in SUMS.items()}

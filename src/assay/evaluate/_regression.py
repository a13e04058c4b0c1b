"""Regression metrics per group from weighted sums of residual powers.

With residual ``r = ŷ − y``, weights ``w`` and ``W = Σw``:

- mae = Σ w|r| / W;  mean_residual = Σ w r / W;  mean_prediction = Σ w ŷ / W;
- rmse = sqrt(Σ w r² / W).

Intervals are normal approximations on the Kish effective sample size ``n_eff = W² / Σw²``:
a mean ``m`` of a quantity ``q`` has standard error ``sqrt((E[q²] − m²) / n_eff)``; for rmse the
interval of the mean squared error (``q = r²``, using Σ w r⁴) is mapped through the square root.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from assay.evaluate._aggregate import COUNT, W2, WAR, WP, WP2, WR, WR2, WR4, W
from assay.evaluate._groups import Grouping, index_of
from assay.evaluate._metrics import MetricColumn
from assay.evaluate._stats import FloatArray

REGRESSION_METRICS = ("mae", "rmse", "mean_prediction", "mean_residual")


def regression_columns(
    stats: pl.DataFrame, grouping: Grouping, z: float
) -> tuple[FloatArray, dict[str, MetricColumn]]:
    """Row counts and regression metric columns for the groups of ``grouping``."""
    sums = [COUNT, W, W2, WP, WP2, WR, WR2, WAR, WR4]
    if grouping.features:
        table = stats.group_by(list(grouping.features)).agg(pl.col(c).sum() for c in sums)
    else:
        table = stats.select(pl.col(c).sum() for c in sums)
    idx = index_of(table, grouping).astype(np.int64)
    g = len(grouping)
    col = {
        c: np.bincount(idx, weights=table.get_column(c).to_numpy(), minlength=g).astype(np.float64)
        for c in sums
    }
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
    columns = {
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
    return col[COUNT], columns

"""Reweighing (Kamiran and Calders, 2012): row weights that make the label independent of the
group in the training data.

Each row of group ``g`` with label ``y`` weighs what its cell would hold if group and label were
independent, over what it holds::

    w(g, y) = P(g) · P(y) / P(g, y) = n_g · n_y / (n · n_gy)

so that the weighted share of each label is the same in every group. A ``strength`` s in (0, 1]
raises the weights to the power s: 1 is the full correction, smaller values move part of the way
(what the frontier of the reweighing method is drawn over).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["reweighing_table", "reweighing_weights"]


def reweighing_table(groups: Any, labels: Any) -> pl.DataFrame:
    """One row per (group, label) cell: ``group``, ``label``, ``n`` and its ``weight``.

    >>> t = reweighing_table(["a", "a", "a", "b"], [1, 1, 0, 0])
    >>> t.rows()
    [('a', 0, 1, 1.5), ('a', 1, 2, 0.75), ('b', 0, 1, 0.5)]
    """
    frame = pl.DataFrame(
        {"group": pl.Series(list(groups)).cast(pl.String), "label": pl.Series(list(labels))}
    )
    n = frame.height
    cells = frame.group_by("group", "label").len("n")
    by_group = frame.group_by("group").len("n_group")
    by_label = frame.group_by("label").len("n_label")
    return (
        cells.join(by_group, on="group")
        .join(by_label, on="label")
        .with_columns(
            weight=pl.col("n_group").cast(pl.Float64)
            * pl.col("n_label")
            / (pl.col("n").cast(pl.Float64) * n)
        )
        .select("group", "label", "n", "weight")
        .sort("group", "label")
    )


def reweighing_weights(groups: Any, labels: Any, *, strength: float = 1.0) -> npt.NDArray[Any]:
    """The Kamiran–Calders weight of every row, raised to ``strength``.

    >>> reweighing_weights(["a", "a", "a", "b"], [1, 1, 0, 0]).tolist()
    [0.75, 0.75, 1.5, 0.5]
    """
    table = reweighing_table(groups, labels)
    rows = pl.DataFrame(
        {"group": pl.Series(list(groups)).cast(pl.String), "label": pl.Series(list(labels))}
    ).with_row_index("row")
    joined = rows.join(table, on=["group", "label"], how="left").sort("row")
    weights: npt.NDArray[Any] = joined.get_column("weight").to_numpy() ** strength
    return np.asarray(weights, dtype=np.float64)

"""Marginal group tables derived from the intersectional sufficient statistics.

The grouped pass keys on the intersection of all sensitive features. Counts and weighted sums are
additive, so each single feature's groups, the intersection and the overall population are sums of
those cells — computed here on the small table, never on the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from assay.evaluate._aggregate import COUNT, LEVEL, W2, WS, WS2, YP, YT, W
from assay.evaluate._stats import FloatArray


@dataclass(frozen=True)
class Grouping:
    """One way of splitting the population: by some features (none means the whole population)."""

    features: tuple[str, ...]
    keys: list[tuple[Any, ...]]

    @property
    def label(self) -> str:
        """How the grouping is named in results: ``sex``, ``sex × race`` or ``overall``."""
        return " × ".join(self.features) if self.features else "overall"

    def __len__(self) -> int:
        return len(self.keys)


def json_value(value: Any) -> Any:
    """A value as plain JSON: numbers, strings, booleans and None pass; dates, decimals and other
    scalars become their text; mappings and sequences are converted item by item."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, np.generic):
        return json_value(value.item())
    return str(value)


def group_dict(grouping: Grouping, index: int) -> dict[str, Any]:
    """The ``{feature: value}`` form of one group, JSON-ready."""
    return {f: json_value(v) for f, v in zip(grouping.features, grouping.keys[index], strict=True)}


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, str(type(v).__name__), v if v is not None else 0) for v in row)


def marginal(stats: pl.DataFrame, features: tuple[str, ...], by: list[str]) -> pl.DataFrame:
    """Sum the numeric statistics over everything but ``features`` and ``by``."""
    sums = [c for c in (COUNT, W, W2, WS, WS2) if c in stats.columns]
    keys = [*features, *by]
    if not keys:
        return stats.select(pl.col(c).sum() for c in sums)
    return stats.group_by(keys).agg(pl.col(c).sum() for c in sums)


def grouping_of(stats: pl.DataFrame, features: tuple[str, ...]) -> Grouping:
    """The groups present in the data for ``features``, in a stable sorted order."""
    if not features:
        return Grouping((), [()])
    rows = stats.select(features).unique().rows()
    return Grouping(features, sorted(rows, key=_sort_key))


def index_of(table: pl.DataFrame, grouping: Grouping) -> FloatArray:
    """For each row of a marginal ``table``, the position of its group in ``grouping``."""
    if not grouping.features:
        return np.zeros(table.height, dtype=np.float64)
    where = {key: i for i, key in enumerate(grouping.keys)}
    rows = table.select(grouping.features).rows()
    return np.array([where[r] for r in rows], dtype=np.float64)


@dataclass(frozen=True)
class Confusion:
    """Weighted confusion cells per group, with row counts and squared-weight sums."""

    grouping: Grouping
    n: FloatArray  # rows per group
    cells: dict[str, FloatArray]  # "tp", "fp", "fn", "tn": weighted sums
    counts: dict[str, FloatArray]  # same cells, row counts
    squares: dict[str, FloatArray]  # same cells, sums of squared weights


#: The confusion cells and the (y_true, y_pred) pair each one counts.
CELLS = {"tp": (1, 1), "fp": (0, 1), "fn": (1, 0), "tn": (0, 0)}


def confusion(stats: pl.DataFrame, grouping: Grouping) -> Confusion:
    """Confusion cells for every group of ``grouping``."""
    table = marginal(stats, grouping.features, [YT, YP])
    idx = index_of(table, grouping).astype(np.int64)
    g = len(grouping)
    yt = table.get_column(YT).to_numpy()
    yp = table.get_column(YP).to_numpy()
    count = table.get_column(COUNT).to_numpy().astype(np.float64)
    weight = table.get_column(W).to_numpy().astype(np.float64)
    square = table.get_column(W2).to_numpy().astype(np.float64)
    cells: dict[str, FloatArray] = {}
    counts: dict[str, FloatArray] = {}
    squares: dict[str, FloatArray] = {}
    for name, (t, p) in CELLS.items():
        mask = (yt == t) & (yp == p)
        cells[name] = np.bincount(idx[mask], weights=weight[mask], minlength=g).astype(np.float64)
        counts[name] = np.bincount(idx[mask], weights=count[mask], minlength=g).astype(np.float64)
        squares[name] = np.bincount(idx[mask], weights=square[mask], minlength=g).astype(np.float64)
    n = np.bincount(idx, weights=count, minlength=g).astype(np.float64)
    return Confusion(grouping, n, cells, counts, squares)


@dataclass(frozen=True)
class LevelTable:
    """Score levels per group: dense ``(groups, levels)`` matrices split by the true label.

    ``levels`` holds the level values in ascending order (exact scores, or bin indices when the
    scores were binned). ``pos``/``neg`` are weighted sums, ``pos_n``/``neg_n`` row counts, and
    ``pos_ws``/``neg_ws``/``pos_ws2``/``neg_ws2`` sums of ``w·s`` and ``w·s²``.
    """

    grouping: Grouping
    levels: FloatArray
    pos: FloatArray
    neg: FloatArray
    pos_n: FloatArray
    neg_n: FloatArray
    pos_ws: FloatArray
    neg_ws: FloatArray
    pos_ws2: FloatArray
    neg_ws2: FloatArray


def level_table(stats: pl.DataFrame, grouping: Grouping, levels: FloatArray) -> LevelTable:
    """Dense level matrices for ``grouping`` (``levels``: every level present, ascending)."""
    table = marginal(stats, grouping.features, [YT, LEVEL])
    gi = index_of(table, grouping).astype(np.int64)
    li = np.searchsorted(levels, table.get_column(LEVEL).to_numpy().astype(np.float64))
    yt = table.get_column(YT).to_numpy() == 1
    shape = (len(grouping), levels.size)

    def dense(column: str, mask: np.ndarray[Any, np.dtype[np.bool_]]) -> FloatArray:
        out = np.zeros(shape, dtype=np.float64)
        out[gi[mask], li[mask]] = table.get_column(column).to_numpy().astype(np.float64)[mask]
        return out

    return LevelTable(
        grouping,
        levels,
        dense(W, yt),
        dense(W, ~yt),
        dense(COUNT, yt),
        dense(COUNT, ~yt),
        dense(WS, yt),
        dense(WS, ~yt),
        dense(WS2, yt),
        dense(WS2, ~yt),
    )

"""The passes over the rows behind drift: column summaries, then fine bins and category counts.

Both passes are written once with narwhals, so they run on the engine that holds the data, and
both bring back only small tables:

1. :func:`summarise` — one global aggregation: rows, and for each numeric column the count, mean,
   standard deviation (``ddof=0``), minimum and maximum of its finite values. The reference needs
   it to fix the fine grid; a current batch never does.
2. :func:`sketch` — one query that is the union of one small aggregation per column (and per
   column and protected group): for a numeric column, count, sum, minimum and
   maximum of the values in each cell of a fixed equal-width grid (plus an underflow and an
   overflow cell); for a categorical column, the count of every category. When a dataset has at
   most ``exact_rows`` rows, numeric columns also get their exact value counts.

The grid is frozen in the reference profile, so a batch is binned with exactly the same arithmetic
(``floor((x - low) * bins / (high - low))``, clipped to ``[-bins - 1, 2 * bins]``) whatever its
engine: cells of the same width continue for one grid length either side of the reference's range,
so a moderate shift stays finely resolved; the two end cells collect whatever lies beyond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from assay.evaluate._aggregate import collect
from assay.evaluate._stats import FloatArray

#: Helper column names; they cannot clash with a user's columns by accident.
KIND, COL, BY, GRP = "__assay_kind", "__assay_col", "__assay_by", "__assay_grp"
KEY, CAT, N, SUM, MIN, MAX = (
    "__assay_key",
    "__assay_cat",
    "__assay_n",
    "__assay_sum",
    "__assay_min",
    "__assay_max",
)
_VALUE = "__assay_x"

#: Standard deviations either side of the mean that the fine grid spans (clipped to the data).
GRID_SPAN = 6.0


@dataclass(frozen=True)
class Grid:
    """An equal-width grid of ``bins`` cells over ``[low, high)``, continued for one grid length
    either side; cell ``-bins - 1`` holds everything below that and cell ``2 * bins`` everything
    above."""

    low: float
    high: float
    bins: int

    @property
    def scale(self) -> float:
        """Cells per unit of the column."""
        return self.bins / (self.high - self.low)

    def to_dict(self) -> dict[str, Any]:
        """As stored in a profile."""
        return {"low": self.low, "high": self.high, "bins": self.bins}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Grid:
        """From :meth:`to_dict` output."""
        return cls(float(d["low"]), float(d["high"]), int(d["bins"]))

    @property
    def first(self) -> int:
        """The lowest cell (everything below the continued grid)."""
        return -self.bins - 1

    @property
    def last(self) -> int:
        """The highest cell (everything above the continued grid)."""
        return 2 * self.bins

    def edge(self, key: FloatArray) -> FloatArray:
        """The lower edge of cells ``key`` (−inf for the lowest cell)."""
        k = np.asarray(key, dtype=np.float64)
        out = self.low + k / self.scale
        return np.where(k <= self.first, -np.inf, out)


def make_grid(mean: float, std: float, low: float, high: float, bins: int) -> Grid:
    """The grid for a column with these summary statistics: mean ± 6 sd, clipped to the data.

    When the data's maximum is inside, the grid ends one cell above it, so that the maximum has a
    regular cell of its own.
    """
    lo = max(low, mean - GRID_SPAN * std)
    hi = min(high, mean + GRID_SPAN * std)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        lo, hi = (low, low + 1.0) if np.isfinite(low) else (0.0, 1.0)
    elif hi == high:
        hi = high + (high - lo) / (bins - 1)
    return Grid(float(lo), float(hi), bins)


@dataclass(frozen=True)
class Bins:
    """A numeric column's occupied grid cells (ascending ``key``) and what fell in each."""

    key: FloatArray
    count: FloatArray
    sum: FloatArray
    min: FloatArray
    max: FloatArray

    @property
    def n(self) -> float:
        """Finite values counted."""
        return float(self.count.sum())

    @property
    def atomic(self) -> bool:
        """Whether every cell holds a single distinct value (then the cells are the values)."""
        return bool(np.all(self.min == self.max))

    def to_dict(self) -> dict[str, Any]:
        """As stored in a profile: parallel lists."""
        return {
            "key": [int(k) for k in self.key],
            "count": [int(c) for c in self.count],
            "sum": [float(v) for v in self.sum],
            "min": [float(v) for v in self.min],
            "max": [float(v) for v in self.max],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bins:
        """From :meth:`to_dict` output."""
        arr = {k: np.asarray(d[k], dtype=np.float64) for k in ("key", "count", "sum")}
        return cls(
            arr["key"],
            arr["count"],
            arr["sum"],
            np.asarray(d["min"], dtype=np.float64),
            np.asarray(d["max"], dtype=np.float64),
        )


@dataclass(frozen=True)
class Values:
    """Exact value counts of a numeric column (ascending ``value``)."""

    value: FloatArray
    count: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """As stored in a profile."""
        return {
            "value": [float(v) for v in self.value],
            "count": [int(c) for c in self.count],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Values:
        """From :meth:`to_dict` output."""
        return cls(
            np.asarray(d["value"], dtype=np.float64), np.asarray(d["count"], dtype=np.float64)
        )


@dataclass(frozen=True)
class NumericSketch:
    """What one dataset (or one group of it) holds in a numeric column."""

    missing: int
    bins: Bins
    values: Values | None


@dataclass(frozen=True)
class CategoricalSketch:
    """What one dataset (or one group of it) holds in a categorical column."""

    missing: int
    categories: list[str]
    counts: FloatArray

    @property
    def n(self) -> float:
        """Non-missing values counted."""
        return float(self.counts.sum())


Sketch = NumericSketch | CategoricalSketch


@dataclass(frozen=True)
class Summary:
    """Rows, and the finite-value summary of each numeric column."""

    rows: int
    stats: dict[str, dict[str, float | None]]


def _finite(column: str) -> nw.Expr:
    x = nw.col(column).cast(nw.Float64)
    return nw.when(x.is_finite()).then(x)


def summarise(frame: nw.LazyFrame[Any], numeric: Sequence[str]) -> Summary:
    """Rows, and count, mean, sd (ddof=0), min and max of each numeric column's finite values."""
    if not numeric:
        # A select of literals alone broadcasts to one row, even over an empty frame.
        return Summary(count_rows(frame), {})
    # the finite values are materialised once per column, not once per aggregation
    finite = frame.select(
        nw.lit(1, dtype=nw.Int8).alias("__one"),
        *[_finite(col).alias(f"__f{i}") for i, col in enumerate(numeric)],
    )
    exprs: list[nw.Expr] = [nw.col("__one").count().alias("__rows")]
    for i in range(len(numeric)):
        x = nw.col(f"__f{i}")
        exprs += [
            x.count().alias(f"n{i}"),
            x.mean().alias(f"mean{i}"),
            x.std(ddof=0).alias(f"std{i}"),
            x.min().alias(f"min{i}"),
            x.max().alias(f"max{i}"),
        ]
    row = collect(finite.select(exprs)).row(0, named=True)
    stats: dict[str, dict[str, float | None]] = {}
    for i, col in enumerate(numeric):
        stats[col] = {
            k: (float(row[f"{k}{i}"]) if row[f"{k}{i}"] is not None else None)
            for k in ("n", "mean", "std", "min", "max")
        }
    return Summary(int(row["__rows"]), stats)


def count_rows(frame: nw.LazyFrame[Any]) -> int:
    """Rows of ``frame`` (free for Parquet: Polars reads it from the metadata)."""
    return int(collect(frame.select(nw.len().alias("__rows"))).item())


def _str_lit(value: str | None) -> nw.Expr:
    return nw.lit(value, dtype=nw.String)


def _by_expr(by: str) -> nw.Expr:
    return nw.col(by).cast(nw.String).alias(GRP)


def _shape(
    query: nw.LazyFrame[Any], cols: Sequence[str], kind: str, col: str, by: str | None
) -> nw.LazyFrame[Any]:
    """Bring one per-column aggregation (with columns ``cols``) to the union's common schema."""

    def get(name: str, dtype: Any) -> nw.Expr:
        return nw.col(name).cast(dtype) if name in cols else nw.lit(None, dtype=dtype)

    return query.select(
        _str_lit(kind).alias(KIND),
        _str_lit(col).alias(COL),
        _str_lit(by or "").alias(BY),
        get(GRP, nw.String).alias(GRP),
        get(KEY, nw.Float64).alias(KEY),
        get(CAT, nw.String).alias(CAT),
        nw.col(N).cast(nw.Int64).alias(N),
        get(SUM, nw.Float64).alias(SUM),
        get(MIN, nw.Float64).alias(MIN),
        get(MAX, nw.Float64).alias(MAX),
    )


def sketch(
    frame: nw.LazyFrame[Any],
    *,
    grids: dict[str, Grid],
    categorical: Sequence[str],
    exact: Sequence[str],
    by: Sequence[str],
) -> dict[tuple[str, str | None, str], Sketch]:
    """Fine bins (and exact values for ``exact``) of numeric columns, counts of categorical ones.

    Keys of the answer are ``(feature, group, column)``; ``("", None, column)`` is the whole
    dataset, ``(feature, value, column)`` one protected group (``value`` as text, None for rows
    where the feature is missing).
    """
    parts: list[nw.LazyFrame[Any]] = []
    for feature in ["", *by]:
        # the whole dataset is not grouped by a constant: only protected groups add a key
        group = [_by_expr(feature)] if feature else []
        keys = [GRP] if feature else []
        by_name = feature or None
        for col, grid in grids.items():
            v = nw.col(_VALUE)
            key = ((v - grid.low) * grid.scale).floor().clip(grid.first, grid.last)
            q = (
                frame.select(*group, _finite(col).alias(_VALUE))
                .select(*[nw.col(k) for k in keys], key.alias(KEY), v)
                .group_by([*keys, KEY])
                .agg(
                    nw.len().alias(N),
                    v.sum().alias(SUM),
                    v.min().alias(MIN),
                    v.max().alias(MAX),
                )
            )
            parts.append(_shape(q, [*keys, KEY, N, SUM, MIN, MAX], "b", col, by_name))
            if col in exact:
                q = (
                    frame.select(*group, _finite(col).alias(KEY))
                    .group_by([*keys, KEY])
                    .agg(nw.len().alias(N))
                )
                parts.append(_shape(q, [*keys, KEY, N], "v", col, by_name))
        for col in categorical:
            q = (
                frame.select(*group, nw.col(col).cast(nw.String).alias(CAT))
                .group_by([*keys, CAT])
                .agg(nw.len().alias(N))
            )
            parts.append(_shape(q, [*keys, CAT, N], "c", col, by_name))
    if not parts:
        return {}
    table = collect(nw.concat(parts, how="vertical"))
    return _unpack(table, grids, categorical, exact)


def _unpack(
    table: pl.DataFrame,
    grids: dict[str, Grid],
    categorical: Sequence[str],
    exact: Sequence[str],
) -> dict[tuple[str, str | None, str], Sketch]:
    out: dict[tuple[str, str | None, str], Sketch] = {}
    for (kind, col, by, grp), part in table.group_by([KIND, COL, BY, GRP], maintain_order=True):
        key = (str(by), None if grp is None else str(grp), str(col))
        if kind == "b":
            present = part.filter(pl.col(KEY).is_not_null()).sort(KEY)
            missing = int(part.filter(pl.col(KEY).is_null()).get_column(N).sum())
            bins = Bins(
                present.get_column(KEY).to_numpy().astype(np.float64),
                present.get_column(N).to_numpy().astype(np.float64),
                present.get_column(SUM).to_numpy().astype(np.float64),
                present.get_column(MIN).to_numpy().astype(np.float64),
                present.get_column(MAX).to_numpy().astype(np.float64),
            )
            previous = out.get(key)
            values = previous.values if isinstance(previous, NumericSketch) else None
            out[key] = NumericSketch(missing, bins, values)
        elif kind == "v":
            present = part.filter(pl.col(KEY).is_not_null()).sort(KEY)
            values = Values(
                present.get_column(KEY).to_numpy().astype(np.float64),
                present.get_column(N).to_numpy().astype(np.float64),
            )
            previous = out.get(key)
            if isinstance(previous, NumericSketch):
                out[key] = NumericSketch(previous.missing, previous.bins, values)
            else:
                out[key] = NumericSketch(0, _empty_bins(), values)
        else:
            present = part.filter(pl.col(CAT).is_not_null()).sort(N, CAT, descending=[True, False])
            missing = int(part.filter(pl.col(CAT).is_null()).get_column(N).sum())
            out[key] = CategoricalSketch(
                missing,
                [str(c) for c in present.get_column(CAT).to_list()],
                present.get_column(N).to_numpy().astype(np.float64),
            )
    # a group with no rows at all for a column cannot appear; fill groups seen elsewhere
    groups = {(k[0], k[1]) for k in out}
    for by, grp in groups:
        for col in grids:
            if (by, grp, col) not in out:
                out[(by, grp, col)] = NumericSketch(0, _empty_bins(), None)
            elif col in exact and out[(by, grp, col)].values is None:  # type: ignore[union-attr]
                s = out[(by, grp, col)]
                assert isinstance(s, NumericSketch)
                out[(by, grp, col)] = NumericSketch(s.missing, s.bins, _empty_values())
        for col in categorical:
            if (by, grp, col) not in out:
                out[(by, grp, col)] = CategoricalSketch(0, [], np.zeros(0))
    return out


def _empty_bins() -> Bins:
    z = np.zeros(0, dtype=np.float64)
    return Bins(z, z, z, z, z)


def _empty_values() -> Values:
    z = np.zeros(0, dtype=np.float64)
    return Values(z, z)

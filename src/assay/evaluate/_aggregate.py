"""The passes over the rows, written once with narwhals so they run where the data lives.

With ``y_pred`` (or a regression target) there is **one** pass: :func:`classification_statistics`
(or :func:`regression_statistics`), a grouped aggregation keyed by the intersection of every
sensitive feature and, for classification, the raw label and prediction. Validation reads what it
needs from that small table (:func:`profile_of`: row count, missing values, distinct labels and
groups, weight range), so it costs no scan of its own; the labels are then mapped to 0/1 on the
small table (:func:`relabel`).

With ``y_score`` a light pass comes first, :func:`score_profile` (score range, missing scores and,
for ``score_bins="auto"``, whether there are few distinct scores), because the threshold and the
score levels of the grouped pass depend on it.

Every metric, interval, marginal group and threshold sweep is then derived from the grouped table
without touching the rows again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw
import polars as pl

from assay.errors import InputError

#: Names of the helper columns; chosen so they cannot clash with a user's columns by accident.
YT, YP, LEVEL = "__assay_yt", "__assay_yp", "__assay_level"
COUNT, W, W2, WS, WS2 = "__n", "__w", "__w2", "__ws", "__ws2"
# regression sums
WY, WP, WP2, WR, WR2, WAR, WR4 = "__wy", "__wp", "__wp2", "__wr", "__wr2", "__war", "__wr4"
# validation of the weight column, gathered by the grouped pass
WNULL, WNAN, WMIN = "__wnull", "__wnan", "__wmin"


@dataclass(frozen=True)
class Profile:
    """What validation needs to know about the rows."""

    n_rows: int
    nulls: dict[str, int]
    nans: dict[str, int]
    n_unique: dict[str, int]
    weight_min: float | None


@dataclass(frozen=True)
class ScoreProfile:
    """What the score pass found: row count, missing scores, range and level count."""

    n_rows: int
    nulls: int
    nans: int
    low: float | None
    high: float | None
    few_levels: bool | None  # at most ``level_limit`` distinct scores; None when not asked


def collect(frame: nw.LazyFrame[Any]) -> pl.DataFrame:
    """Run a lazy query on its own engine and bring the (small) answer back as Polars."""
    try:
        result = frame.collect(backend="polars")
    except InputError:
        raise
    except Exception as exc:  # engines raise their own error types for unreadable input
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None
    native = nw.to_native(result)
    assert isinstance(native, pl.DataFrame)
    return native


def score_profile(
    frame: nw.LazyFrame[Any], score: str, *, is_float: bool, level_limit: int | None
) -> ScoreProfile:
    """Rows, missing scores, score range and (when ``level_limit`` is given) whether the scores
    take at most ``level_limit`` distinct values, in one pass over the score column.

    On Polars the level count is first estimated (HyperLogLog, ``approx_n_unique``, about 1 %
    error): an estimate below half or above twice the limit decides, and only an estimate in
    between is settled by an exact count. Counting millions of distinct floats exactly costs more
    than the whole grouped pass.
    """
    native = nw.to_native(frame)
    polars = isinstance(native, pl.LazyFrame)
    ns: Any = pl if polars else nw  # the two expression APIs agree on everything used here
    s = ns.col(score)
    exprs = [
        ns.len().alias("rows"),
        s.null_count().alias("nulls"),
        s.min().cast(ns.Float64).alias("low"),
        s.max().cast(ns.Float64).alias("high"),
    ]
    if is_float:
        exprs.append(s.is_nan().cast(ns.Int64).sum().alias("nans"))
    if level_limit is not None:
        exprs.append((s.approx_n_unique() if polars else s.n_unique()).alias("levels"))
    query = nw.from_native(native.select(exprs)) if polars else frame.select(exprs)
    row = collect(query).row(0, named=True)
    few: bool | None = None
    if level_limit is not None:
        levels = int(row["levels"])
        few = levels <= level_limit
        if polars and level_limit // 2 < levels < 2 * level_limit:
            exact = collect(frame.select(nw.col(score).n_unique().alias("levels")))
            few = int(exact.item()) <= level_limit
    return ScoreProfile(
        n_rows=int(row["rows"]),
        nulls=int(row["nulls"] or 0),
        nans=int(row.get("nans") or 0),
        low=row["low"],
        high=row["high"],
        few_levels=few,
    )


def sorted_values(values: pl.Series) -> list[Any]:
    """Distinct values sorted with nulls last (values of mixed types sort by type name first)."""
    unique = list(dict.fromkeys(values if values.dtype == pl.Object else values.unique()))
    return sorted(unique, key=lambda v: (v is None, str(type(v)), v if v is not None else 0))


def _distinct_count(values: pl.Series) -> int:
    """Distinct values of a key column, nulls included (Python objects counted in Python)."""
    if values.dtype == pl.Object:
        return len(dict.fromkeys(values.to_list()))
    return values.n_unique()


def profile_of(
    table: pl.DataFrame,
    *,
    keyed: list[str],
    summed: dict[str, tuple[str, str | None]],
    features: list[str],
    float_columns: set[str],
    weight: str | None,
) -> Profile:
    """Validation facts from a grouped table.

    ``keyed`` columns are group keys of ``table``: their missing values and distinct values are
    read from the keys, weighted by the row counts. ``summed`` maps other columns to the sums
    that count their nulls and NaNs (``None``: not a float column).
    """
    n_rows = int(table.get_column(COUNT).sum()) if table.height else 0

    def rows_where(mask: pl.Expr) -> int:
        return int(table.filter(mask).get_column(COUNT).sum()) if table.height else 0

    nulls: dict[str, int] = {}
    nans: dict[str, int] = {}
    for col in keyed:
        nulls[col] = rows_where(pl.col(col).is_null())
        if col in float_columns:
            nans[col] = rows_where(pl.col(col).is_nan())
    for col, (null_sum, nan_sum) in summed.items():
        nulls[col] = int(table.get_column(null_sum).sum())
        if nan_sum is not None:
            nans[col] = int(table.get_column(nan_sum).sum())
    weight_min = None
    if weight is not None:
        nulls[weight] = int(table.get_column(WNULL).sum())
        if weight in float_columns:
            nans[weight] = int(table.get_column(WNAN).sum())
        weight_min = table.get_column(WMIN).min() if table.height else None
    n_unique = {c: _distinct_count(table.get_column(c)) for c in [*features, *keyed]}
    return Profile(
        n_rows=n_rows,
        nulls=nulls,
        nans=nans,
        n_unique=n_unique,
        weight_min=None if weight_min is None else float(weight_min),  # type: ignore[arg-type]
    )


WEIGHT = "__assay_w"


def _weight_expr(weight: str | None) -> nw.Expr:
    """The row weight as a derived column (a literal 1.0 when unweighted)."""
    source = nw.col(weight).cast(nw.Float64) if weight else nw.lit(1.0, dtype=nw.Float64)
    return source.alias(WEIGHT)


def _weight_checks(weight: str, is_float: bool) -> tuple[list[nw.Expr], list[str], list[nw.Expr]]:
    """Derived columns, sums and aggregations that validate the weight within the grouped pass."""
    derived = [nw.col(weight).is_null().cast(nw.Int64).alias(WNULL)]
    sums = [WNULL]
    if is_float:
        derived.append(nw.col(weight).is_nan().cast(nw.Int64).alias(WNAN))
        sums.append(WNAN)
    return derived, sums, [nw.col(WEIGHT).min().alias(WMIN)]


def classification_statistics(
    frame: nw.LazyFrame[Any],
    *,
    keys: list[str],
    y_true: str,
    y_pred: str | None,
    y_score: str | None,
    threshold: float | None,
    level: tuple[float, float, int] | None,
    weight: str | None,
    weight_is_float: bool = False,
) -> pl.DataFrame:
    """Confusion cells per intersectional group and raw label, split by score level with scores.

    Keys of the result: the ``keys``, the raw ``y_true`` column and either the raw ``y_pred``
    column or, with ``y_score``, ``YP`` (``y_score >= threshold``) and ``LEVEL``. ``level`` is
    ``(low, high, n_bins)`` for a binned score histogram over ``[low, high]``, or ``None`` for
    exact score levels (each distinct score is its own level). Sums: ``COUNT`` and, with a score,
    ``WS`` and ``WS2`` (sums of ``w·s`` and ``w·s²``); with a weight also ``W``, ``W2`` and the
    weight checks ``WNULL``, ``WNAN`` and ``WMIN``. Labels stay raw so that validation can read
    their values from this table; :func:`relabel` maps them to 0/1 afterwards.

    Every product is a derived column and the aggregation only sums plain columns, so each engine
    runs it natively (no per-group Python fallback).
    """
    derived: list[nw.Expr] = []
    group_keys = [*keys, y_true]
    sums: list[str] = []
    other: list[nw.Expr] = []
    if weight is not None:
        checks, check_sums, other = _weight_checks(weight, weight_is_float)
        derived += [(nw.col(WEIGHT) * nw.col(WEIGHT)).alias(W2), *checks]
        sums += [WEIGHT, W2, *check_sums]
    if y_score is not None:
        s = nw.col(y_score).cast(nw.Float64)
        ws = nw.col(WEIGHT) * s if weight is not None else s
        derived += [
            (s >= threshold).cast(nw.Int8).alias(YP),
            ws.alias(WS),
            (ws * s).alias(WS2),
        ]
        if level is None:
            derived.append(s.alias(LEVEL))
        else:
            low, high, n_bins = level
            # a multiplication by a constant, which every engine evaluates identically
            scale = n_bins / (high - low)
            index = ((s - low) * scale).floor().clip(0, n_bins - 1).cast(nw.Int64)
            derived.append(index.alias(LEVEL))
        group_keys += [YP, LEVEL]
        sums += [WS, WS2]
    else:
        assert y_pred is not None
        group_keys.append(y_pred)
    aggs = [nw.len().alias(COUNT), *(nw.col(c).sum().alias(c) for c in sums), *other]
    query = frame.with_columns(_weight_expr(weight)) if weight is not None else frame
    if derived:
        query = query.with_columns(*derived)
    return collect(query.group_by(group_keys).agg(*aggs)).rename(
        {WEIGHT: W} if weight is not None else {}
    )


def relabel(
    table: pl.DataFrame,
    *,
    keys: list[str],
    y_true: str,
    pos_label: Any,
    y_pred: str | None,
    pred_pos_label: Any,
) -> pl.DataFrame:
    """The grouped table with the labels as 0/1 (``YT``, ``YP``) and the weight sums filled in.

    Both label columns hold at most two values by now, so the mapping is one-to-one and no rows
    merge. Unweighted, ``W`` and ``W2`` are the row count (a sum of ones, exact).
    """
    columns: list[pl.Expr] = [
        *(pl.col(k) for k in keys),
        (pl.col(y_true) == pos_label).cast(pl.Int8).alias(YT),
    ]
    if y_pred is not None:
        columns.append((pl.col(y_pred) == pred_pos_label).cast(pl.Int8).alias(YP))
    else:
        columns += [pl.col(YP), pl.col(LEVEL)]
    count = pl.col(COUNT)
    if W in table.columns:
        columns += [count, pl.col(W), pl.col(W2)]
    else:
        columns += [count, count.cast(pl.Float64).alias(W), count.cast(pl.Float64).alias(W2)]
    columns += [pl.col(c) for c in (WS, WS2) if c in table.columns]
    return table.select(columns)


def regression_statistics(
    frame: nw.LazyFrame[Any],
    *,
    keys: list[str],
    y_true: str,
    y_pred: str,
    weight: str | None,
    float_columns: set[str],
) -> pl.DataFrame:
    """Weighted sums of targets, predictions and residual powers per intersectional group.

    Also counts, per group, the missing values of ``y_true`` and ``y_pred`` (``null:<i>`` and
    ``nan:<i>``, ``i`` = 0 for ``y_true`` and 1 for ``y_pred``) and, with a weight, the weight
    checks ``WNULL``, ``WNAN`` and ``WMIN``, for validation.
    """
    w = nw.col(WEIGHT)
    y = nw.col(y_true).cast(nw.Float64)
    p = nw.col(y_pred).cast(nw.Float64)
    r = p - y
    derived = [
        (w * w).alias(W2),
        (w * y).alias(WY),
        (w * p).alias(WP),
        (w * p * p).alias(WP2),
        (w * r).alias(WR),
        (w * r * r).alias(WR2),
        (w * r.abs()).alias(WAR),
        (w * r * r * r * r).alias(WR4),
    ]
    sums = [WEIGHT, W2, WY, WP, WP2, WR, WR2, WAR, WR4]
    for i, col in enumerate((y_true, y_pred)):
        derived.append(nw.col(col).is_null().cast(nw.Int64).alias(f"__null_{i}"))
        sums.append(f"__null_{i}")
        if col in float_columns:
            derived.append(nw.col(col).is_nan().cast(nw.Int64).alias(f"__nan_{i}"))
            sums.append(f"__nan_{i}")
    other: list[nw.Expr] = []
    if weight is not None:
        checks, check_sums, other = _weight_checks(weight, weight in float_columns)
        derived += checks
        sums += check_sums
    aggs = [nw.len().alias(COUNT), *(nw.col(c).sum().alias(c) for c in sums), *other]
    query = frame.with_columns(_weight_expr(weight)).with_columns(*derived)
    return collect(query.group_by(keys).agg(*aggs)).rename({WEIGHT: W})

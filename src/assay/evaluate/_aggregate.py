"""The two passes over the rows, written once with narwhals so they run where the data lives.

1. :func:`profile` — one global aggregation: row count, missing values, label cardinality and
   score range. It is what validation needs before anything is computed.
2. :func:`sufficient_statistics` — one grouped aggregation keyed by the intersection of every
   sensitive feature and, for classification, the label, the prediction and the score level. The
   result is a small table (cells × levels) from which every metric, interval, marginal group and
   threshold sweep is derived without touching the rows again.
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


@dataclass(frozen=True)
class Profile:
    """What the profiling pass found."""

    n_rows: int
    nulls: dict[str, int]
    nans: dict[str, int]
    n_unique: dict[str, int]
    score_min: float | None
    score_max: float | None
    weight_min: float | None


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


def profile(
    frame: nw.LazyFrame[Any],
    *,
    label_columns: list[str],
    score: str | None,
    weight: str | None,
    float_columns: set[str],
    unique_columns: list[str],
) -> Profile:
    """Count rows, missing values and distinct labels, and find the score range, in one pass."""
    exprs: list[nw.Expr] = [nw.len().alias("__rows")]
    checked = [*label_columns, *([score] if score else []), *([weight] if weight else [])]
    for col in checked:
        exprs.append(nw.col(col).null_count().alias(f"null:{col}"))
        if col in float_columns:
            exprs.append(nw.col(col).is_nan().cast(nw.Int64).sum().alias(f"nan:{col}"))
    for col in unique_columns:
        exprs.append(nw.col(col).n_unique().alias(f"uniq:{col}"))
    if score:
        exprs.append(nw.col(score).min().cast(nw.Float64).alias("__smin"))
        exprs.append(nw.col(score).max().cast(nw.Float64).alias("__smax"))
    if weight:
        exprs.append(nw.col(weight).min().cast(nw.Float64).alias("__wmin"))
    row = collect(frame.select(exprs)).row(0, named=True)

    def _int(key: str) -> int:
        value = row.get(key)
        return int(value) if value is not None else 0

    return Profile(
        n_rows=_int("__rows"),
        nulls={c: _int(f"null:{c}") for c in checked},
        nans={c: _int(f"nan:{c}") for c in checked if c in float_columns},
        n_unique={c: _int(f"uniq:{c}") for c in unique_columns},
        score_min=row.get("__smin"),
        score_max=row.get("__smax"),
        weight_min=row.get("__wmin"),
    )


def distinct_values(frame: nw.LazyFrame[Any], column: str) -> list[Any]:
    """The distinct values of one (low-cardinality) column, sorted with nulls last."""
    values = collect(frame.select(column).unique()).get_column(column).to_list()
    return sorted(values, key=lambda v: (v is None, str(type(v)), v if v is not None else 0))


WEIGHT = "__assay_w"


def _weight_expr(weight: str | None) -> nw.Expr:
    """The row weight as a derived column (a literal 1.0 when unweighted)."""
    source = nw.col(weight).cast(nw.Float64) if weight else nw.lit(1.0, dtype=nw.Float64)
    return source.alias(WEIGHT)


def classification_statistics(
    frame: nw.LazyFrame[Any],
    *,
    keys: list[str],
    y_true: str,
    pos_label: Any,
    y_pred: str | None,
    pred_pos_label: Any,
    y_score: str | None,
    threshold: float | None,
    level: tuple[float, float, int] | None,
    weight: str | None,
) -> pl.DataFrame:
    """Confusion cells per intersectional group, split by score level when scores are given.

    ``level`` is ``(low, high, n_bins)`` for a binned score histogram over ``[low, high]``, or
    ``None`` for exact score levels (each distinct score is its own level). Columns of the result:
    the ``keys``, ``YT``, ``YP``, ``LEVEL`` (only with a score), ``COUNT``, ``W``, ``W2`` and,
    with a score, ``WS`` and ``WS2`` (sums of ``w·s`` and ``w·s²``).

    Every product is a derived column and the aggregation only sums plain columns, so each engine
    runs it natively (no per-group Python fallback).
    """
    derived: list[nw.Expr] = [
        (nw.col(WEIGHT) * nw.col(WEIGHT)).alias(W2),
        (nw.col(y_true) == pos_label).cast(nw.Int8).alias(YT),
    ]
    group_keys = [*keys, YT, YP]
    sums = [WEIGHT, W2]
    if y_score is not None:
        s = nw.col(y_score).cast(nw.Float64)
        derived += [
            (s >= threshold).cast(nw.Int8).alias(YP),
            (nw.col(WEIGHT) * s).alias(WS),
            (nw.col(WEIGHT) * s * s).alias(WS2),
        ]
        if level is None:
            derived.append(s.alias(LEVEL))
        else:
            low, high, n_bins = level
            # a multiplication by a constant, which every engine evaluates identically
            scale = n_bins / (high - low)
            index = ((s - low) * scale).floor().clip(0, n_bins - 1).cast(nw.Int64)
            derived.append(index.alias(LEVEL))
        group_keys.append(LEVEL)
        sums += [WS, WS2]
    else:
        assert y_pred is not None
        derived.append((nw.col(y_pred) == pred_pos_label).cast(nw.Int8).alias(YP))
    aggs = [nw.len().alias(COUNT), *(nw.col(c).sum().alias(c) for c in sums)]
    weighted = frame.with_columns(_weight_expr(weight))
    query = weighted.with_columns(*derived).group_by(group_keys).agg(*aggs)
    return collect(query).rename({WEIGHT: W})


def regression_statistics(
    frame: nw.LazyFrame[Any],
    *,
    keys: list[str],
    y_true: str,
    y_pred: str,
    weight: str | None,
) -> pl.DataFrame:
    """Weighted sums of targets, predictions and residual powers per intersectional group."""
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
    aggs = [nw.len().alias(COUNT), *(nw.col(c).sum().alias(c) for c in sums)]
    query = (
        frame.with_columns(_weight_expr(weight)).with_columns(*derived).group_by(keys).agg(*aggs)
    )
    return collect(query).rename({WEIGHT: W})

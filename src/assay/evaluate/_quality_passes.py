"""The passes over the rows behind the data-quality check, written once with narwhals.

Each returns a small table: column summaries and declared-schema violations (one global
aggregation); rows and missing values per group and label (one grouped aggregation); distinct
rows and feature rows with conflicting labels; category counts of the features that have
population marginals; and the two passes of confident learning (per-class thresholds, then the
confident joint).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import polars as pl

from assay.evaluate._aggregate import collect
from assay.evaluate._quality_spec import ColumnRule

MISS = "__assay_miss_"
ROWS = "__assay_rows"
JSTAR = "__assay_jstar"
LABEL = "__assay_label"


def _is_float(dtype: Any) -> bool:
    return bool(dtype.is_float())


def _missing(col: str, dtype: Any) -> nw.Expr:
    expr = nw.col(col).is_null()
    if _is_float(dtype):
        expr = expr | nw.col(col).is_nan().fill_null(False)
    return expr


def _orderable(col: str, dtype: Any) -> nw.Expr | None:
    if dtype == nw.Boolean:
        return nw.col(col).cast(nw.Int8)
    if dtype.is_numeric() or dtype in (nw.String, nw.Date) or isinstance(dtype, nw.Datetime):
        return nw.col(col)
    return None


@dataclass(frozen=True)
class ColumnPass:
    """What the global pass found."""

    rows: int
    missing: dict[str, int]
    nan: dict[str, int]
    min: dict[str, Any]
    max: dict[str, Any]
    violations: dict[tuple[str, str], int]


def column_pass(
    frame: nw.LazyFrame[Any],
    schema: Mapping[str, Any],
    columns: Sequence[str],
    rules: Mapping[str, ColumnRule],
) -> ColumnPass:
    """Rows; per column missing values, NaN, min and max; and counts of rule violations."""
    exprs: list[nw.Expr] = [nw.len().alias(ROWS)]
    for i, col in enumerate(columns):
        dtype = schema[col]
        exprs.append(_missing(col, dtype).cast(nw.Int64).sum().alias(f"miss{i}"))
        if _is_float(dtype):
            exprs.append(
                nw.col(col).is_nan().fill_null(False).cast(nw.Int64).sum().alias(f"nan{i}")
            )
        orderable = _orderable(col, dtype)
        if orderable is not None:
            exprs += [orderable.min().alias(f"min{i}"), orderable.max().alias(f"max{i}")]
    checks: list[tuple[str, str]] = []
    for col, rule in rules.items():
        if col not in schema:
            continue
        dtype = schema[col]
        present = ~_missing(col, dtype)
        if dtype.is_numeric():
            x = nw.col(col).cast(nw.Float64)
            if rule.min is not None:
                checks.append((col, "min"))
                exprs.append((present & (x < rule.min)).cast(nw.Int64).sum().alias(f"v:{col}:min"))
            if rule.max is not None:
                checks.append((col, "max"))
                exprs.append((present & (x > rule.max)).cast(nw.Int64).sum().alias(f"v:{col}:max"))
        if rule.allowed is not None:
            checks.append((col, "allowed"))
            values = _allowed_values(rule.allowed, dtype)
            outside = present & ~nw.col(col).is_in(values)
            exprs.append(outside.cast(nw.Int64).sum().alias(f"v:{col}:allowed"))
        if rule.pattern is not None and dtype == nw.String:
            checks.append((col, "pattern"))
            unmatched = present & ~nw.col(col).str.contains(rule.pattern).fill_null(False)
            exprs.append(unmatched.cast(nw.Int64).sum().alias(f"v:{col}:pattern"))
    row = collect(frame.select(exprs)).row(0, named=True)
    return ColumnPass(
        rows=int(row[ROWS]),
        missing={c: int(row[f"miss{i}"] or 0) for i, c in enumerate(columns)},
        nan={c: int(row[f"nan{i}"] or 0) for i, c in enumerate(columns) if f"nan{i}" in row},
        min={c: row.get(f"min{i}") for i, c in enumerate(columns)},
        max={c: row.get(f"max{i}") for i, c in enumerate(columns)},
        violations={(c, k): int(row[f"v:{c}:{k}"] or 0) for c, k in checks},
    )


def _allowed_values(allowed: Sequence[Any], dtype: Any) -> list[Any]:
    """The allowed values in the column's type (numbers for numeric columns, text otherwise)."""
    if dtype == nw.Boolean:
        return [v for v in allowed if isinstance(v, bool)]
    if dtype.is_numeric():
        out = []
        for v in allowed:
            try:
                out.append(float(v))
            except (TypeError, ValueError):
                continue
        return out
    return [str(v) for v in allowed]


def grouped_pass(
    frame: nw.LazyFrame[Any],
    schema: Mapping[str, Any],
    keys: Sequence[str],
    columns: Sequence[str],
) -> pl.DataFrame:
    """Rows and missing values of every column per combination of ``keys`` (features, label)."""
    indicators = [
        _missing(col, schema[col]).cast(nw.Int64).alias(f"{MISS}{i}")
        for i, col in enumerate(columns)
    ]
    aggs = [nw.len().alias(ROWS)] + [
        nw.col(f"{MISS}{i}").sum().alias(f"{MISS}{i}") for i in range(len(columns))
    ]
    query = frame.with_columns(*indicators).group_by(list(keys)).agg(*aggs)
    table = collect(query)
    return table.rename({f"{MISS}{i}": f"{MISS}{col}" for i, col in enumerate(columns)})


def distinct_rows(frame: nw.LazyFrame[Any], columns: Sequence[str]) -> int:
    """Distinct rows over ``columns``."""
    return int(collect(frame.select(list(columns)).unique().select(nw.len().alias(ROWS))).item())


def conflicting_labels(
    frame: nw.LazyFrame[Any], features: Sequence[str], label: str
) -> tuple[int, int]:
    """Feature rows that appear with more than one label: (distinct feature rows, rows)."""
    query = (
        frame.group_by(list(features))
        .agg(nw.col(label).n_unique().alias("__k"), nw.len().alias("__n"))
        .filter(nw.col("__k") > 1)
        .select(nw.len().alias("groups"), nw.col("__n").sum().alias("rows"))
    )
    row = collect(query).row(0, named=True)
    return int(row["groups"] or 0), int(row["rows"] or 0)


def category_counts(frame: nw.LazyFrame[Any], features: Sequence[str]) -> dict[str, pl.DataFrame]:
    """Rows per category (as text; None for missing) of each feature, in one query."""
    parts = [
        frame.select(nw.col(f).cast(nw.String).alias("__cat"))
        .group_by("__cat")
        .agg(nw.len().alias("__n"))
        .select(nw.lit(f, dtype=nw.String).alias("__f"), nw.col("__cat"), nw.col("__n"))
        for f in features
    ]
    if not parts:
        return {}
    table = collect(nw.concat(parts, how="vertical"))
    return {f: table.filter(pl.col("__f") == f).select("__cat", "__n") for f in features}


def class_thresholds(
    frame: nw.LazyFrame[Any], label: str, probabilities: Mapping[Any, str]
) -> pl.DataFrame:
    """Confident learning, pass 1: mean predicted probability of each class, by given label."""
    aggs = [nw.len().alias(ROWS)]
    for i, col in enumerate(probabilities.values()):
        aggs.append(nw.col(col).cast(nw.Float64).mean().alias(f"__t{i}"))
    query = frame.filter(~nw.col(label).is_null()).group_by(label).agg(*aggs)
    return collect(query)


def confident_joint(
    frame: nw.LazyFrame[Any],
    label: str,
    probabilities: Mapping[Any, str],
    thresholds: Sequence[float],
    features: Sequence[str],
) -> pl.DataFrame:
    """Confident learning, pass 2: rows per (features, given label, confident class).

    A row's confident class is, among the classes whose predicted probability reaches that
    class's threshold, the one with the highest probability (the first on ties); rows where no
    class reaches its threshold get null.
    """
    cols = list(probabilities.values())
    masked = [
        nw.when(nw.col(c).cast(nw.Float64) >= t)
        .then(nw.col(c).cast(nw.Float64))
        .otherwise(nw.lit(-1.0))
        .alias(f"__m{i}")
        for i, (c, t) in enumerate(zip(cols, thresholds, strict=True))
    ]
    best = nw.max_horizontal(*[nw.col(f"__m{i}") for i in range(len(cols))])
    jstar: Any = nw.lit(None, dtype=nw.Int64)
    for i in reversed(range(len(cols))):
        jstar = nw.when(nw.col(f"__m{i}") == nw.col("__best")).then(nw.lit(i)).otherwise(jstar)
    query = (
        frame.filter(~nw.col(label).is_null())
        .with_columns(*masked)
        .with_columns(best.alias("__best"))
        .with_columns(
            nw.when(nw.col("__best") >= 0).then(jstar).otherwise(nw.lit(None)).alias(JSTAR)
        )
        .group_by([*features, label, JSTAR])
        .agg(nw.len().alias(ROWS))
    )
    return collect(query)

"""Re-identification risk from quasi-identifiers: k-anonymity, uniqueness, l-diversity, and the
combinations of quasi-identifiers that drive the risk.

One grouped pass in the engine that holds the data counts rows per combination of every
quasi-identifier (and the sensitive column); every subset's equivalence classes are then
re-aggregated from that small table.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from assay.errors import InputError
from assay.evaluate._frame import Source, open_frame
from assay.evaluate.pii._result import (
    RISK_SCHEMA,
    ClassSummary,
    ReidentificationPayload,
    ReidentificationRisk,
)

#: With more quasi-identifiers than this, subsets are examined up to size 3 (and the full set).
MAX_FULL_ENUMERATION = 6
_COUNT = "__count"


def _nested(schema: pl.Schema, name: str) -> pl.Expr | None:
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in schema:
            expr = pl.col(head)
            dtype: Any = schema[head]
            for part in parts[cut:]:
                if not isinstance(dtype, pl.Struct):
                    return None
                fields = {f.name: f.dtype for f in dtype.fields}
                if part not in fields:
                    return None
                expr, dtype = expr.struct.field(part), fields[part]
            return expr
    return None


def _frame(source: Source, names: list[str]) -> nw.LazyFrame[Any]:
    frame = source.frame
    schema = frame.collect_schema()
    missing = [n for n in names if n not in schema]
    if not missing:
        return frame.select(names)
    native = frame.to_native()
    if isinstance(native, pl.LazyFrame):
        pl_schema = native.collect_schema()
        exprs = {n: _nested(pl_schema, n) for n in missing}
        if all(e is not None for e in exprs.values()):
            selected = [
                pl.col(n) if n in pl_schema else exprs[n].alias(n)  # type: ignore[union-attr]
                for n in names
            ]
            return nw.from_native(native.select(selected))
    raise InputError(
        f"The column(s) {', '.join(repr(m) for m in missing)} named as quasi-identifiers or "
        f"sensitive are not in the data. Columns are: {', '.join(list(schema)[:50])}."
    )


def _classes(finest: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return finest.group_by(by).agg(pl.col(_COUNT).sum())


def _summary(classes: pl.DataFrame, n: int, k_threshold: int) -> ClassSummary:
    if n == 0:
        return {"k": 0, "classes": 0, "unique_records": 0, "unique_share": 0.0,
                "records_at_risk": 0, "records_at_risk_share": 0.0}  # fmt: skip
    counts = classes.get_column(_COUNT)
    unique = int((counts == 1).sum())
    at_risk = int(counts.filter(counts < k_threshold).sum())
    return {
        "k": int(counts.min()),  # type: ignore[arg-type]
        "classes": classes.height,
        "unique_records": unique,
        "unique_share": round(unique / n, 8),
        "records_at_risk": at_risk,
        "records_at_risk_share": round(at_risk / n, 8),
    }


def _subsets(qis: list[str]) -> list[tuple[str, ...]]:
    m = len(qis)
    sizes = range(1, m + 1) if m <= MAX_FULL_ENUMERATION else [1, 2, 3, m]
    return [c for size in sizes for c in itertools.combinations(qis, size)]


def reidentification_risk(
    data: Any,
    *,
    quasi_identifiers: str | Sequence[str],
    sensitive: str | None = None,
    k_threshold: int = 5,
) -> ReidentificationRisk:
    """How easily rows can be singled out from their quasi-identifiers.

    Parameters
    ----------
    data
        A path or any frame narwhals accepts; the grouping runs on its engine.
    quasi_identifiers
        Columns an attacker could know from elsewhere (age, sex, postcode, ...). Nested fields
        of a Polars frame or JSONL file can be named ``parent.child``.
    sensitive
        A sensitive column for l-diversity (distinct sensitive values per equivalence class).
    k_threshold
        Rows in classes smaller than this count as at risk (prosecutor risk above 1/k).

    Returns
    -------
    ReidentificationRisk
        ``k`` (smallest class), ``unique_share``, ``records_at_risk_share``, ``l_diversity``,
        average and highest prosecutor risk, and every examined subset of the
        quasi-identifiers with its own k and uniqueness; ``drivers`` says how much each
        quasi-identifier adds.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"age": [30, 30, 41, 52], "zip": ["a", "a", "b", "b"]})
    >>> risk = reidentification_risk(df, quasi_identifiers=["age", "zip"])
    >>> risk.k, risk.unique_share
    (1, 0.5)
    """
    qis = _quasi_identifiers(quasi_identifiers, sensitive, k_threshold)
    if isinstance(data, str | Path):
        from assay.evaluate.pii._input import read_path

        source, _ = read_path(Path(data), [])
    else:
        source = open_frame(data)
    names = qis + ([sensitive] if sensitive else [])
    frame = _frame(source, names)
    finest = (
        frame.group_by(names, drop_null_keys=False)
        .agg(nw.len().alias(_COUNT))
        .collect(backend="polars")
        .to_native()
        .with_columns(pl.col(_COUNT).cast(pl.Int64))
    )
    n = int(finest.get_column(_COUNT).sum())
    overall = _summary(_classes(finest, qis), n, k_threshold)
    l_div = None
    if sensitive is not None and n:
        per_class = finest.group_by(qis).agg(pl.col(sensitive).n_unique().alias("__l"))
        l_div = int(per_class.get_column("__l").cast(pl.Int64).min() or 0)
    combos: list[dict[str, Any]] = []
    for subset in _subsets(qis):
        s = _summary(_classes(finest, list(subset)), n, k_threshold)
        combos.append({"columns": list(subset), **s})
    combos.sort(key=lambda c: (len(c["columns"]), -c["unique_share"], c["columns"]))
    payload: ReidentificationPayload = {
        "schema": RISK_SCHEMA,
        "n": n,
        "quasi_identifiers": qis,
        "sensitive": sensitive,
        "k_threshold": k_threshold,
        **overall,
        "l_diversity": l_div,
        "highest_prosecutor_risk": round(1 / overall["k"], 8) if overall["k"] else None,
        "average_prosecutor_risk": round(overall["classes"] / n, 8) if n else None,
        "combinations": combos,
        "drivers": _drivers(finest, qis, combos, overall, n, k_threshold),
        "engine": source.engine,
    }
    return ReidentificationRisk(payload)


def _quasi_identifiers(
    quasi_identifiers: str | Sequence[str], sensitive: str | None, k_threshold: int
) -> list[str]:
    """The quasi-identifiers as a list, once each and apart from the sensitive column."""
    qis = [quasi_identifiers] if isinstance(quasi_identifiers, str) else list(quasi_identifiers)
    if not qis or not all(isinstance(q, str) and q for q in qis):
        raise InputError("quasi_identifiers must name at least one column.")
    if len(set(qis)) != len(qis):
        raise InputError(f"quasi_identifiers names a column twice: {qis}.")
    if sensitive is not None and sensitive in qis:
        raise InputError(
            f"The sensitive column '{sensitive}' is also a quasi-identifier; l-diversity needs "
            "it apart. Remove it from quasi_identifiers."
        )
    if isinstance(k_threshold, bool) or not isinstance(k_threshold, int) or k_threshold < 2:
        raise InputError(f"k_threshold must be a whole number ≥ 2; got {k_threshold!r}.")
    return qis


def _drivers(
    finest: pl.DataFrame,
    qis: list[str],
    combos: list[dict[str, Any]],
    overall: ClassSummary,
    n: int,
    k_threshold: int,
) -> list[dict[str, Any]]:
    """How much each quasi-identifier adds: the uniqueness without it, most telling first."""
    if len(qis) <= 1:
        return []
    by_cols = {tuple(c["columns"]): c for c in combos}
    drivers = []
    for q in qis:
        rest = tuple(x for x in qis if x != q)
        without = by_cols.get(rest) or {"columns": list(rest), **_summary(
            _classes(finest, list(rest)), n, k_threshold)}  # fmt: skip
        drivers.append(
            {
                "column": q,
                "distinct_values": int(finest.get_column(q).n_unique()),
                "k_without": without["k"],
                "unique_share_without": without["unique_share"],
                "unique_share_reduction": round(
                    overall["unique_share"] - without["unique_share"], 8
                ),
            }
        )
    drivers.sort(key=lambda d: -d["unique_share_reduction"])
    return drivers

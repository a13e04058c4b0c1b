"""The column checks of data quality: missing values, constants, the declared schema.

All of them read the one global pass over the rows
(:func:`assay.evaluate._quality_passes.column_pass`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals as nw

from assay.evaluate import _quality_passes as qp
from assay.evaluate._quality_spec import DataSchema
from assay.evaluate._quality_values import interval, jsonable, warn


def type_matches(kind: str, d: Any) -> bool:
    """Whether a column of narwhals type ``d`` holds the declared ``kind``."""
    if kind == "integer":
        return bool(d.is_integer())
    if kind == "float":
        return bool(d.is_float())
    if kind == "number":
        return bool(d.is_numeric())
    if kind == "string":
        return bool(d == nw.String)
    if kind == "boolean":
        return bool(d == nw.Boolean)
    if kind == "categorical":
        return bool(d in (nw.String, nw.Boolean) or isinstance(d, nw.Enum | nw.Categorical))
    if kind == "date":
        return bool(d == nw.Date)
    return bool(isinstance(d, nw.Datetime) or d == nw.Datetime)


def column_entries(
    colpass: qp.ColumnPass, dtypes: Mapping[str, Any], checked: Sequence[str], z: float
) -> list[dict[str, Any]]:
    """One entry per checked column: missing values (with interval), range, constancy."""
    n = colpass.rows
    out = []
    for col in checked:
        miss = colpass.missing[col]
        low, high = interval(miss, n, z)
        lo, hi = colpass.min.get(col), colpass.max.get(col)
        all_missing = miss == n
        orderable = col in colpass.min and lo is not None
        out.append(
            {
                "column": col,
                "dtype": str(dtypes[col]),
                "missing": miss,
                "missing_rate": miss / n,
                "missing_ci": [low, high],
                "nan": colpass.nan.get(col),
                "min": jsonable(lo),
                "max": jsonable(hi),
                "constant": bool(all_missing or (orderable and lo == hi)),
            }
        )
    return out


def column_warnings(entries: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Warnings about missing values (naming the worst column) and constant columns."""
    warnings = []
    constant = [e["column"] for e in entries if e["constant"]]
    missing_cols = [e for e in entries if e["missing"]]
    if missing_cols:
        worst = max(missing_cols, key=lambda e: e["missing_rate"])
        warnings.append(
            warn(
                "missing_values",
                "info" if worst["missing_rate"] < 0.05 else "warning",
                f"{len(missing_cols)} column(s) have missing values; the most is "
                f"'{worst['column']}' with {worst['missing']} of {n} "
                f"({worst['missing_rate']:.1%}).",
            )
        )
    if constant:
        warnings.append(
            warn("constant_columns", "warning", f"Constant column(s): {', '.join(constant)}.")
        )
    return warnings


def schema_check(
    declared: DataSchema, colpass: qp.ColumnPass, dtypes: Mapping[str, Any], n: int
) -> dict[str, Any]:
    """The violations of the declared schema: presence, type, nulls, bounds, values, patterns."""
    violations: list[dict[str, Any]] = []

    def add(col: str, check: str, count: int, message: str) -> None:
        violations.append(
            {"column": col, "check": check, "count": count, "rate": count / n, "message": message}
        )

    for col, rule in declared.columns.items():
        if col not in dtypes:
            if rule.required:
                add(col, "required", n, f"'{col}' is declared but not in the data")
            continue
        dtype = dtypes[col]
        if rule.type is not None and not type_matches(rule.type, dtype):
            add(col, "type", n, f"'{col}' should be {rule.type} but is {dtype}")
        if not rule.nullable:
            miss = colpass.missing.get(col)
            if miss is None:
                miss = 0
            if miss:
                add(
                    col,
                    "nullable",
                    miss,
                    f"'{col}' has {miss} missing value(s) but is not nullable",
                )
        for check, bound, word in (("min", rule.min, "below"), ("max", rule.max, "above")):
            count = colpass.violations.get((col, check), 0)
            if count:
                add(col, check, count, f"'{col}' has {count} value(s) {word} {bound}")
        count = colpass.violations.get((col, "allowed"), 0)
        if count:
            add(col, "allowed", count, f"'{col}' has {count} value(s) outside the allowed values")
        count = colpass.violations.get((col, "pattern"), 0)
        if count:
            add(
                col, "pattern", count, f"'{col}' has {count} value(s) not matching {rule.pattern!r}"
            )
        bounded = rule.min is not None or rule.max is not None
        if rule.type is None and bounded and not dtype.is_numeric():
            add(col, "type", n, f"'{col}' has min/max rules but is {dtype}, not numeric")
    if not declared.allow_extra_columns:
        for col in dtypes:
            if col not in declared.columns:
                add(col, "extra", 0, f"'{col}' is in the data but not declared")
    return {
        "passed": not violations,
        "violations": violations,
        "columns_declared": len(declared.columns),
    }


def schema_warnings(checked: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One error naming the first few violations of the declared schema, if any."""
    if not (checked and checked["violations"]):
        return []
    violations = checked["violations"]
    return [
        warn(
            "schema",
            "error",
            f"{len(violations)} violation(s) of the declared schema: "
            + "; ".join(v["message"] for v in violations[:5])
            + ("; ..." if len(violations) > 5 else ""),
        )
    ]

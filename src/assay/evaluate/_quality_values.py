"""Small value helpers shared by the data-quality checks.

JSON-safe values, a stable order for group values of mixed types (missing last), Wilson
intervals of one count, and the warning records every check appends to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from assay.evaluate._stats import wilson


def warn(check: str, severity: str, message: str) -> dict[str, Any]:
    """One warning of the quality result."""
    return {"check": check, "severity": severity, "message": message}


def q_text(q: float) -> str:
    """A q-value for a message; one that underflows double precision is shown as a bound."""
    return "q < 1e-300" if q < 1e-300 else f"q = {q:.3g}"


def text(value: Any) -> str:
    """A group value for a message."""
    return "(missing)" if value is None else str(value)


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it (numpy scalars unwrapped, dates in ISO format)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def interval(x: float, n: float, z: float) -> tuple[float | None, float | None]:
    """The Wilson interval of ``x`` of ``n``; an undefined bound is ``None``."""
    low, high = wilson(np.array([x], dtype=np.float64), np.array([n], dtype=np.float64), z)
    lo, hi = float(low[0]), float(high[0])
    return (lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None)


def sorted_values(values: Sequence[Any]) -> list[Any]:
    """Group values in a stable order whatever their types, the missing value last."""
    return sorted(
        values, key=lambda v: (v is None, str(type(v).__name__), v if v is not None else 0)
    )


def eq(col: str, value: Any) -> pl.Expr:
    """Rows whose ``col`` is ``value`` (the missing value included)."""
    return pl.col(col).is_null() if value is None else pl.col(col) == value


def key(value: Any) -> Any:
    """A dictionary key for a group value that keeps ``None`` apart from every real value."""
    return ("__none__",) if value is None else value

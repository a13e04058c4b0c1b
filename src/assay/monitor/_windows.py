"""Production log batches → time windows, with every fault kept as a reported problem.

Batches are read lazily with Polars (Parquet, CSV, TSV, JSON lines). Each is checked against the
reference profile: a batch that fails to parse is reported and skipped, a column that is missing
or changed type is reported and read as missing in that batch, rows without a timestamp are
counted and left out. The rest is split into calendar windows (UTC; weeks start on Monday) by the
event-time column, or one window per batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from assay.evaluate import ReferenceProfile, column_kind, open_frame

STEP = {
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(weeks=1),
}
_TRUNCATE = {"hourly": "1h", "daily": "1d", "weekly": "1w"}
WINDOW = "__assay_window"
_BATCH_KEY = dt.datetime(1970, 1, 1)


@dataclass
class Batch:
    """One input file (or frame) and what reading it found."""

    name: str
    frame: pl.LazyFrame | None
    #: What identifies the batch from run to run: a file's absolute path, else its name.
    source: str = ""
    rows: dict[dt.datetime, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    modified: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """As recorded in a run's result."""
        return {
            "batch": self.name,
            "status": "failed" if self.error else "read",
            "error": self.error,
            "rows": sum(self.rows.values()),
            "windows": [k.isoformat() for k in sorted(self.rows)],
            "problems": self.problems,
        }


@dataclass(frozen=True)
class Window:
    """One window and the rows of every batch that fall in it."""

    start: dt.datetime
    end: dt.datetime
    rows: int
    frame: pl.LazyFrame | None
    batches: list[str]
    problems: list[dict[str, Any]]
    sources: list[str]


def _problem(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"problem": kind, "message": message} | extra


def _native_lazy(data: Any, name: str) -> pl.LazyFrame:
    source = open_frame(data, parameter=f"batch {name}")
    native = nw.to_native(source.frame)
    if isinstance(native, pl.LazyFrame):
        return native
    if isinstance(native, pl.DataFrame):
        return native.lazy()
    # another engine: bring the batch to Polars through Arrow (a batch is one period of logs)
    return pl.from_arrow(nw.from_native(native).lazy().collect(backend="pyarrow").to_arrow()).lazy()  # type: ignore[union-attr]


def _window_key(ts: pl.Expr, dtype: pl.DataType, size: str) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        t = ts.dt.convert_time_zone("UTC").dt.replace_time_zone(None) if dtype.time_zone else ts
    elif isinstance(dtype, pl.Date):
        t = ts.cast(pl.Datetime("us"))
    elif dtype == pl.String:
        t = ts.str.to_datetime(strict=False, time_zone="UTC").dt.replace_time_zone(None)
    else:
        raise TypeError(str(dtype))
    return t.dt.truncate(_TRUNCATE[size]).cast(pl.Datetime("us"))


def read_batch(
    data: Any,
    name: str,
    *,
    profile: ReferenceProfile,
    timestamp: str | None,
    size: str,
    extra_columns: Sequence[str],
) -> Batch:
    """Open one batch, check it against the profile and count its rows per window."""
    source = str(Path(data).resolve()) if isinstance(data, str | Path) else name
    try:
        lazy = _native_lazy(data, name)
        schema = lazy.collect_schema()
    except Exception as exc:
        return Batch(name, None, source, error=f"could not be read: {_reason(exc)}")
    batch = Batch(name, None, source)
    if isinstance(data, str | Path):
        mtime = Path(data).stat().st_mtime
        batch.modified = dt.datetime.fromtimestamp(mtime, dt.UTC)
    wanted = _wanted(profile, schema, name, batch)
    for col in extra_columns:
        if col not in wanted:
            wanted[col] = pl.col(col) if col in schema else pl.lit(None).alias(col)
    if timestamp is not None:
        if timestamp not in schema:
            batch.error = f"has no timestamp column '{timestamp}' (data.timestamp in the spec)"
            return batch
        dtype = schema[timestamp]
        try:
            key = _window_key(pl.col(timestamp), dtype, size)
        except TypeError:
            batch.error = (
                f"its timestamp column '{timestamp}' is {dtype}; it must be a datetime, a date or "
                "ISO 8601 text"
            )
            return batch
    else:
        key = pl.lit(None, dtype=pl.Datetime("us"))
    frame = lazy.select(*wanted.values(), key.alias(WINDOW))
    try:
        counts = frame.group_by(WINDOW).agg(pl.len().alias("n")).collect()
    except Exception as exc:
        batch.error = f"could not be read: {_reason(exc)}"
        return batch
    for start, n in counts.iter_rows():
        if start is None and timestamp is not None:
            batch.problems.append(
                _problem(
                    "missing_timestamp",
                    f"{n} row(s) of {name} have no readable '{timestamp}' and were left out.",
                    rows=int(n),
                )
            )
            continue
        batch.rows[start if start is not None else _BATCH_KEY] = int(n)
    batch.frame = frame
    return batch


def _wanted(
    profile: ReferenceProfile, schema: Mapping[str, Any], name: str, batch: Batch
) -> dict[str, pl.Expr]:
    """The profile's columns as the reference typed them; a column missing from the batch, or
    of another type, is read as missing and noted in the batch's problems."""
    wanted: dict[str, pl.Expr] = {}
    for col, entry in profile.view()["columns"].items():
        target = pl.Float64 if entry["type"] == "numeric" else pl.String
        if col not in schema:
            kind = "labels_not_available" if entry["role"] == "label" else "missing_column"
            batch.problems.append(
                _problem(kind, f"'{col}' is in the reference but not in {name}.", column=col)
            )
            wanted[col] = pl.lit(None, dtype=target).alias(col)
            continue
        found = column_kind(nw.from_native(pl.DataFrame(schema=[(col, schema[col])])).schema[col])
        if found != entry["type"]:
            batch.problems.append(
                _problem(
                    "type_changed",
                    f"'{col}' was {entry['dtype']} in the reference and is {schema[col]} in "
                    f"{name}; read as missing.",
                    column=col,
                )
            )
            wanted[col] = pl.lit(None, dtype=target).alias(col)
            continue
        wanted[col] = pl.col(col).cast(target).alias(col)
    return wanted


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


def windows(batches: Sequence[Batch], size: str, *, clock: dt.datetime) -> list[Window]:
    """The windows the batches cover, gaps included (as empty windows), in time order."""
    if size == "batch":
        out: list[Window] = []
        taken: set[dt.datetime] = set()
        for b in batches:
            if b.frame is None:
                continue
            start = (b.modified or clock).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
            while start in taken:  # two batches written in the same second
                start += dt.timedelta(seconds=1)
            taken.add(start)
            rows = sum(b.rows.values())
            out.append(Window(start, start, rows, b.frame, [b.name], list(b.problems), [b.source]))
        return out
    starts = sorted({k for b in batches for k in b.rows})
    if not starts:
        return []
    step = STEP[size]
    out = []
    current = starts[0]
    while current <= starts[-1]:
        parts = [b for b in batches if current in b.rows]
        frames = [b.frame.filter(pl.col(WINDOW) == current) for b in parts if b.frame is not None]
        rows = sum(b.rows[current] for b in parts)
        problems = [p | {"batch": b.name} for b in parts for p in b.problems]
        frame = pl.concat(frames, how="diagonal_relaxed") if frames else None
        names, sources = [b.name for b in parts], [b.source for b in parts]
        out.append(Window(current, current + step, rows, frame, names, problems, sources))
        current = _next(current, size)
    return out


def _next(start: dt.datetime, size: str) -> dt.datetime:
    return start + STEP[size]

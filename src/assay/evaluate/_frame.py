"""Turning what the caller passed into a narwhals LazyFrame, and describing where it came from.

A path is scanned lazily with Polars (parquet, csv, jsonl); any frame narwhals accepts (pandas,
Polars eager or lazy, pyarrow, DuckDB relation, PySpark DataFrame, ...) is wrapped as it is, so
that aggregations run on the engine that holds the data.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from assay.errors import InputError, NotFoundError

_SCANNERS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


@dataclass(frozen=True)
class Source:
    """A frame ready for aggregation, with what provenance needs to know about it."""

    frame: nw.LazyFrame[Any]
    engine: str
    path: Path | None
    eager_native: Any | None


def open_frame(data: Any, *, parameter: str = "data") -> Source:
    """Wrap ``data`` (a path or a dataframe) as a lazy narwhals frame.

    Raises
    ------
    NotFoundError
        The path does not exist.
    InputError
        The file type is not supported, or ``data`` is not a dataframe narwhals knows.
    """
    if isinstance(data, str | Path):
        path = Path(data)
        if not path.exists():
            raise NotFoundError(f"The file '{path}' given as {parameter} does not exist.")
        if path.is_dir():
            raise InputError(
                f"'{path}' given as {parameter} is a folder; pass a .parquet, .csv or .jsonl file."
            )
        kind = _SCANNERS.get(path.suffix.lower())
        if kind is None:
            raise InputError(
                f"Cannot read '{path.name}': Assay reads .parquet, .csv, .tsv and .jsonl files "
                f"(got the suffix '{path.suffix or '(none)'}'). Convert the file or rename it."
            )
        lazy = _scan(path, kind)
        return Source(nw.from_native(lazy), "polars", path, None)
    try:
        wrapped = nw.from_native(data)
    except TypeError:
        raise InputError(
            f"{parameter} of type {type(data).__module__}.{type(data).__qualname__} is not a "
            "dataframe Assay can read. Pass a file path (parquet, csv, jsonl) or a pandas, Polars, "
            "pyarrow, DuckDB or PySpark frame."
        ) from None
    if isinstance(wrapped, nw.Series):
        raise InputError(f"{parameter} is a single series; pass a dataframe with named columns.")
    engine = str(wrapped.implementation).split(".")[-1].lower()
    if isinstance(wrapped, nw.DataFrame):
        return Source(wrapped.lazy(), engine, None, data)
    return Source(wrapped, engine, None, None)


def _scan(path: Path, kind: str) -> pl.LazyFrame:
    if kind == "parquet":
        return pl.scan_parquet(path)
    if kind == "csv":
        return pl.scan_csv(path, infer_schema_length=10_000)
    if kind == "tsv":
        return pl.scan_csv(path, separator="\t", infer_schema_length=10_000)
    return pl.scan_ndjson(path, infer_schema_length=10_000)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def columns_digest(native: Any, columns: list[str]) -> str:
    """sha256 of the Arrow IPC stream of ``columns`` of an in-memory frame."""
    frame = nw.from_native(native, eager_only=True).select(columns).to_arrow()
    import pyarrow as pa

    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, frame.schema) as writer:
        writer.write_table(frame)
    return "sha256:" + hashlib.sha256(sink.getvalue()).hexdigest()

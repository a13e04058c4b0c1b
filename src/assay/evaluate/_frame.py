"""Turning what the caller passed into a narwhals LazyFrame, and describing where it came from.

A path is scanned lazily with Polars (parquet, csv, jsonl); any frame narwhals accepts (pandas,
Polars eager or lazy, pyarrow, DuckDB relation, PySpark DataFrame, ...) is wrapped as it is, so
that aggregations run on the engine that holds the data.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
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
        if path.stat().st_size == 0:
            raise InputError(
                f"The file '{path}' given as {parameter} is empty (0 bytes); it has no columns "
                "and no rows. Check that it was written completely."
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


def has_no_rows(frame: nw.LazyFrame[Any]) -> bool:
    """Whether ``frame`` holds no rows; reads at most one."""
    try:
        return int(frame.head(1).select(nw.len()).collect().item()) == 0
    except Exception:  # an unreadable frame is reported by the caller's own read
        return False


def _scan(path: Path, kind: str) -> pl.LazyFrame:
    if kind == "parquet":
        return pl.scan_parquet(path)
    if kind == "csv":
        return pl.scan_csv(path, infer_schema_length=10_000)
    if kind == "tsv":
        return pl.scan_csv(path, separator="\t", infer_schema_length=10_000)
    return pl.scan_ndjson(path, infer_schema_length=10_000)


def start_digest(source: Source, columns: list[str]) -> Future[str] | None:
    """Start the dataset digest on a worker thread: of the file's bytes for a path, of
    ``columns`` for an in-memory frame; ``None`` for a lazy source (nothing to hash in place).

    hashlib, Arrow's casts and NumPy release the GIL while they work on large buffers, so the
    digest runs beside the engine's grouped pass instead of after it. A failure surfaces when
    the result is asked for.
    """
    job: Callable[[], str]
    if source.path is not None:
        job = partial(file_digest, source.path)
    elif source.eager_native is not None:
        job = partial(columns_digest, source.eager_native, columns)
    else:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assay-digest")
    try:
        return pool.submit(job)
    finally:
        pool.shutdown(wait=False)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


#: What :func:`columns_digest` hashes, as recorded in provenance (``dataset.digest_of``).
COLUMNS_DIGEST_OF = "values of the columns read (Assay columns digest v1)"
#: Rows hashed at a time, so that a digest needs a few MB of memory whatever the frame's size.
DIGEST_PIECE_ROWS = 1 << 20
_DIGEST_PREFIX = b"assay.columns-digest/v1\n"


def columns_digest(native: Any, columns: list[str]) -> str:
    """sha256 of the values of ``columns`` of an in-memory frame (Assay columns digest v1).

    The digest depends on the column names, their types and their values in row order, and on
    nothing else: not on how the frame is split into chunks, nor on which library holds it when
    the Arrow types agree (a pandas, Polars and pyarrow frame with the same values and types have
    the same digest). Defined as::

        sha256( "assay.columns-digest/v1\n"
                + for each column, in the order given:
                  header + "\n" + sha256(validity) + sha256(lengths) + sha256(values) )

    - ``header``: the JSON object ``{"name", "nulls", "rows", "type"}`` (keys sorted, UTF-8),
      where ``type`` is the Arrow type with dictionaries decoded and every string type written
      ``string`` (every binary type ``binary``).
    - ``validity``: one byte per row (1 valid, 0 null); empty when the column has no nulls.
    - ``lengths``: strings and binaries only, each value's length in bytes as a little-endian
      uint32 (0 for a null); empty for other types.
    - ``values``: fixed-width types (integers, floats, temporal, decimals): each value's bytes as
      Arrow stores them (little-endian), zeros for a null; booleans: one byte per row (0 or 1, 0
      for a null); strings and binaries: the bytes of the values, concatenated; any other type
      (lists, structs): one line of JSON per value.

    It is computed column by column (columns on parallel threads for large frames), in pieces of
    ``DIGEST_PIECE_ROWS`` rows, without copying the frame.
    """
    table = _arrow_columns(native, columns)
    records = [partial(_column_digest, name, table.column(name)) for name in columns]
    workers = min(len(records), os.cpu_count() or 1)
    if workers > 1 and table.num_rows >= DIGEST_PIECE_ROWS:
        # columns are independent and their hashing releases the GIL: one thread per core
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assay-digest") as pool:
            done = list(pool.map(lambda record: record(), records))
    else:
        done = [record() for record in records]
    outer = hashlib.sha256(_DIGEST_PREFIX)
    for record in done:
        outer.update(record)
    return "sha256:" + outer.hexdigest()


def _arrow_columns(native: Any, columns: list[str]) -> Any:
    """The columns as a pyarrow Table, zero-copy for Polars (strings stay string views)."""
    import pyarrow as pa

    if isinstance(native, pl.DataFrame):
        return _typed(native.select(columns)).to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(native, pa.Table):
        return native.select(columns)
    return nw.from_native(native, eager_only=True).select(columns).to_arrow()


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its Python-object columns given their value type.

    Polars exports an ``Object`` column to Arrow as the addresses of the Python objects, which
    differ from process to process: hashing them would give every run another digest. Such a
    column (strings and ``None`` in a NumPy object array, typically) is rebuilt from its values;
    one whose values have no single type is refused.
    """
    objects = [name for name, dtype in frame.schema.items() if dtype == pl.Object]
    for name in objects:
        try:
            rebuilt = pl.Series(name, frame.get_column(name).to_list(), strict=True)
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            rebuilt = frame.get_column(name)
        if rebuilt.dtype == pl.Object:
            raise InputError(
                f"The column '{name}' holds Python objects of mixed types, so its values cannot "
                "be hashed reproducibly for the dataset digest. Cast it to one type first (for "
                f"example pl.col('{name}').cast(pl.String), or astype(str) in pandas)."
            )
        frame = frame.with_columns(rebuilt)
    return frame


def _digest_kind(arrow_type: Any) -> tuple[str, str]:
    """How a column of ``arrow_type`` is hashed, and the type name its header records."""
    import pyarrow as pa

    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "var", "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return "var", "binary"
    if pa.types.is_boolean(t):
        return "bool", "bool"
    if pa.types.is_null(t):
        return "null", "null"
    if pa.types.is_nested(t):
        return "json", str(t)
    try:
        width = t.bit_width
    except ValueError:  # not a fixed-width type
        return "json", str(t)
    return ("fixed", str(t)) if width % 8 == 0 else ("json", str(t))


def _column_digest(name: str, column: Any) -> bytes:
    """The digest record of one column (a pyarrow ChunkedArray): header and three stream hashes."""
    kind, type_name = _digest_kind(column.type)
    nulls = _null_count(column)
    header = {"name": name, "nulls": nulls, "rows": len(column), "type": type_name}
    validity, lengths, values = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    has_nulls = nulls > 0
    for piece in _pieces(column):
        valid = None
        if has_nulls:
            valid = piece.is_valid().to_numpy(zero_copy_only=False)
            _feed(validity, valid.view(np.uint8))
        if kind == "fixed":
            _feed(values, _fixed_bytes(piece, valid))
        elif kind == "bool":
            first, skip = divmod(piece.offset, 8)
            packed = _buffer(piece, 1)[first : first + (skip + len(piece) + 7) // 8]
            flags = np.unpackbits(packed, bitorder="little")[skip : skip + len(piece)]
            _feed(values, flags if valid is None else np.where(valid, flags, np.uint8(0)))
        elif kind == "var":
            _update_var(piece, type_name, lengths, values)
        elif kind == "json":
            text = "".join(
                json.dumps(v, default=str, sort_keys=True, ensure_ascii=False) + "\n"
                for v in piece.to_pylist()
            )
            values.update(text.encode())
    record = json.dumps(header, sort_keys=True, ensure_ascii=False).encode() + b"\n"
    return record + validity.digest() + lengths.digest() + values.digest()


def _pieces(column: Any) -> Iterator[Any]:
    """Slices of at most ``DIGEST_PIECE_ROWS`` rows of a ChunkedArray, dictionaries decoded."""
    import pyarrow as pa

    for chunk in column.chunks:
        for start in range(0, len(chunk), DIGEST_PIECE_ROWS):
            piece = chunk.slice(start, DIGEST_PIECE_ROWS)
            yield _decoded(piece) if isinstance(piece, pa.DictionaryArray) else piece


def _decoded(piece: Any) -> Any:
    """A dictionary-encoded piece as plain values (views are cast first: take has no kernel)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = piece.dictionary
    if pa.types.is_string_view(values.type):
        values = pc.cast(values, pa.large_string())
    elif pa.types.is_binary_view(values.type):
        values = pc.cast(values, pa.large_binary())
    return values.take(piece.indices)


def _null_count(column: Any) -> int:
    """Nulls of a column, counting the rows whose dictionary entry is itself null."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type) and any(c.dictionary.null_count for c in column.chunks):
        return sum(piece.null_count for piece in _pieces(column))
    return int(column.null_count)


def _buffer(array: Any, index: int, dtype: Any = np.uint8) -> np.ndarray[Any, Any]:
    """Buffer ``index`` of an Arrow array as a flat array (empty when Arrow left it out)."""
    buf = array.buffers()[index]
    if buf is None:
        return np.zeros(0, dtype)
    item = np.dtype(dtype).itemsize
    return np.frombuffer(buf, dtype=dtype, count=buf.size // item)


def _fixed_bytes(piece: Any, valid: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any]:
    width = piece.type.bit_width // 8
    raw = _buffer(piece, 1)[piece.offset * width : (piece.offset + len(piece)) * width]
    if raw.size < len(piece) * width:  # an all-null array may come without a values buffer
        raw = np.zeros(len(piece) * width, np.uint8)
    if valid is not None and not valid.all():
        raw = raw.reshape(len(piece), width).copy()
        raw[~valid] = 0
    return np.ascontiguousarray(raw)


def _update_var(piece: Any, type_name: str, lengths: Any, values: Any) -> None:
    """Hash the lengths and bytes of a string or binary piece; a null counts as empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string_view(piece.type) or pa.types.is_binary_view(piece.type):
        # 32-bit offsets are much cheaper to build; a piece over 2 GiB needs 64-bit ones
        small, large = (
            (pa.string(), pa.large_string())
            if type_name == "string"
            else (pa.binary(), pa.large_binary())
        )
        try:
            piece = pc.cast(piece, small)
        except pa.ArrowInvalid:
            piece = pc.cast(piece, large)
    if piece.null_count:
        piece = pc.fill_null(piece, pa.scalar(b"" if type_name == "binary" else "", piece.type))
    wide = pa.types.is_large_string(piece.type) or pa.types.is_large_binary(piece.type)
    offsets = _buffer(piece, 1, "<i8" if wide else "<i4")
    offsets = offsets[piece.offset : piece.offset + len(piece) + 1]
    sizes = np.diff(offsets)
    if wide:
        if sizes.size and int(sizes.max()) >= 1 << 32:
            raise InputError("A value is 4 GiB or larger; the dataset digest cannot describe it.")
        sizes = sizes.astype("<u4")
    _feed(lengths, sizes.view("<u4"))
    _feed(values, _buffer(piece, 2)[int(offsets[0]) : int(offsets[-1])])


def _feed(digest: Any, array: np.ndarray[Any, Any]) -> None:
    """Hash an array's bytes in memory order."""
    digest.update(np.ascontiguousarray(array).data)

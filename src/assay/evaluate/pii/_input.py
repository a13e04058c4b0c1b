"""Reading what a scan looks at: any file or frame, flattened to text columns, leniently.

Nested fields (structs, lists) become one text column per leaf (``customer.email``). Columns
that cannot hold text (binary, floats, booleans) are skipped with a reason. Files are read
leniently: invalid UTF-8 is replaced (and counted later as cells holding U+FFFD), CSV cells are
read as text so mixed types never fail, and a JSONL file with malformed lines is parsed without
them (counted) or, failing that, scanned line by line as text. No message here ever quotes the
data.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import narwhals as nw
import polars as pl

from assay.errors import InputError, NotFoundError
from assay.evaluate._frame import Source, open_frame

LINE_COLUMN = "line"

T = TypeVar("T")


@dataclass(frozen=True)
class TextColumn:
    """One scanned column: its (flattened) name, the source type, how it was turned into text."""

    name: str
    dtype: str
    expr: pl.Expr = field(repr=False, compare=False)


@dataclass
class Prepared:
    """A Polars frame of text columns ready to scan, and what reading it found."""

    frame: pl.LazyFrame
    columns: list[TextColumn]
    skipped: list[dict[str, Any]]
    notes: list[str]
    source: Source
    #: Rows and non-null cells counted by the engine that holds the data (generic engines only:
    #: their frame here holds only the rows with a candidate).
    n_rows: int | None = None
    non_null: dict[str, int] | None = None
    malformed_lines: int = 0
    #: The whole input as a Polars lazy frame (not for generic engines): redaction writes it.
    base: pl.LazyFrame | None = None


def is_jsonl(data: Any) -> bool:
    """Whether ``data`` names a JSONL file (whose lazy scan can fail late on a bad line)."""
    return isinstance(data, str | Path) and Path(data).suffix.lower() in (".jsonl", ".ndjson")


def read_failed(data: Any, exc: Exception) -> InputError:
    """An error for data that failed while being read, naming the kind of failure only."""
    name = Path(data).name if isinstance(data, str | Path) else "the data"
    return InputError(
        f"Could not read {name} ({type(exc).__name__}). Check that it is a valid file of its "
        "kind; Assay does not quote the content in messages."
    )


def read_leniently(data: Any, run: Callable[[bool], T]) -> T:
    """``run(False)``; when Polars fails on a JSONL file while reading it, ``run(True)`` (lenient,
    see :func:`_jsonl`). A failure that remains is an :class:`InputError` naming its kind only."""
    try:
        return run(False)
    except pl.exceptions.PolarsError as exc:
        if not is_jsonl(data):
            raise read_failed(data, exc) from None
    try:
        return run(True)
    except pl.exceptions.PolarsError as exc:
        raise read_failed(data, exc) from None


def _path_error(path: Path, exc: Exception) -> InputError:
    # Polars' messages can quote the offending cell; say what kind of problem it was instead.
    return InputError(
        f"Could not read '{path.name}' ({type(exc).__name__}). Check that it is a valid "
        f"{path.suffix.lstrip('.') or 'data'} file; for logs, one JSON object per line."
    )


def _utf8_ok(path: Path) -> bool:
    with path.open("rb") as fh:
        tail = b""
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            data = tail + chunk
            try:
                data.decode("utf-8")
                tail = b""
            except UnicodeDecodeError as exc:
                # A multi-byte character cut by the chunk boundary is not an error.
                if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
                    tail = data[exc.start :]
                    continue
                return False
        return not tail


def _read_lines(path: Path) -> pl.DataFrame:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    lines = pl.Series(LINE_COLUMN, raw.splitlines(), dtype=pl.String)
    return pl.DataFrame([lines]).filter(pl.col(LINE_COLUMN).str.strip_chars() != "")


def _jsonl(path: Path, notes: list[str], lenient: bool) -> tuple[pl.LazyFrame, int]:
    """A lazy frame of the JSONL file and the number of malformed lines left out.

    The fast path scans the file lazily; a malformed line deep in the file only shows when it
    is parsed, so callers retry with ``lenient=True``, which parses line by line.
    """
    if lenient:
        pass
    elif _utf8_ok(path):
        lazy = pl.scan_ndjson(path, infer_schema_length=10_000)
        try:
            lazy.select(pl.len()).collect()
            return lazy, 0
        except (pl.exceptions.PolarsError, OSError, ValueError):
            pass
    else:
        notes.append("invalid UTF-8 bytes were replaced with U+FFFD before parsing")
    lines = _read_lines(path)
    looks_like_object = pl.col(LINE_COLUMN).str.contains(r"^\s*\{.*\}\s*$")
    good = lines.filter(looks_like_object)
    malformed = lines.height - good.height
    try:
        text = good.select(pl.col(LINE_COLUMN).str.join("\n")).item() if good.height else ""
        parsed = pl.read_ndjson(io.BytesIO(text.encode("utf-8")), infer_schema_length=None)
        if malformed:
            notes.append(f"{malformed} line(s) are not JSON objects and were scanned as text")
            extra = lines.filter(~looks_like_object).rename({LINE_COLUMN: "_unparsed_line"})
            parsed = pl.concat([parsed, extra], how="diagonal_relaxed")
        return parsed.lazy(), malformed
    except (pl.exceptions.PolarsError, ValueError):
        notes.append("the file is not valid JSONL; each line was scanned as one text cell")
        return lines.lazy(), lines.height


def read_path(path: Path, notes: list[str], lenient: bool = False) -> tuple[Source, int]:
    """Open a file leniently; returns the source and the count of malformed lines."""
    if not path.exists():
        raise NotFoundError(f"The file '{path}' given as data does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            lazy = pl.scan_csv(
                path,
                separator="\t" if suffix == ".tsv" else ",",
                infer_schema=False,
                encoding="utf8-lossy",
                truncate_ragged_lines=True,
            )
            return Source(nw.from_native(lazy), "polars", path, None), 0
        if suffix in (".jsonl", ".ndjson"):
            lazy, malformed = _jsonl(path, notes, lenient)
            return Source(nw.from_native(lazy), "polars", path, None), malformed
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise _path_error(path, exc) from None
    return open_frame(path), 0


def _flatten(name: str, expr: pl.Expr, dtype: Any, out: list[TextColumn],
             skipped: list[dict[str, Any]]) -> None:  # fmt: skip
    kind = str(dtype)
    if dtype == pl.String:
        out.append(TextColumn(name, kind, expr))
    elif (
        isinstance(dtype, pl.Categorical | pl.Enum)
        or dtype.is_integer()
        or (dtype.is_temporal() and not isinstance(dtype, pl.Duration | pl.Time))
    ):
        out.append(TextColumn(name, kind, expr.cast(pl.String)))
    elif isinstance(dtype, pl.Struct):
        for f in dtype.fields:
            _flatten(f"{name}.{f.name}", expr.struct.field(f.name), f.dtype, out, skipped)
    elif isinstance(dtype, pl.List | pl.Array):
        inner = dtype.inner
        as_list = expr.arr.to_list() if isinstance(dtype, pl.Array) else expr
        if inner == pl.String:
            out.append(TextColumn(name, kind, as_list.list.join("\n")))
        elif isinstance(inner, pl.Categorical | pl.Enum) or (inner is not None and (
                inner.is_integer())):  # fmt: skip
            out.append(
                TextColumn(
                    name, kind, as_list.list.eval(pl.element().cast(pl.String)).list.join(" ")
                )
            )
        elif isinstance(inner, pl.Struct):
            encoded = as_list.list.eval(pl.element().struct.json_encode()).list.join("\n")
            out.append(TextColumn(name, kind, encoded))
        else:
            skipped.append({"column": name, "dtype": kind, "reason": "list of non-text values"})
    elif dtype == pl.Binary:
        skipped.append({"column": name, "dtype": kind, "reason": "binary"})
    elif dtype == pl.Null:
        skipped.append({"column": name, "dtype": kind, "reason": "empty (every value is null)"})
    else:
        skipped.append({"column": name, "dtype": kind, "reason": "cannot hold text"})


def _select(
    all_columns: list[TextColumn], wanted: list[str] | None, skipped: list[dict[str, Any]]
) -> tuple[list[TextColumn], list[dict[str, Any]]]:
    if wanted is None:
        return all_columns, skipped
    known = [c.name for c in all_columns] + [s["column"] for s in skipped]
    missing = [w for w in wanted if not any(k == w or k.startswith(w + ".") for k in known)]
    if missing:
        raise InputError(
            f"The column(s) {', '.join(repr(m) for m in missing)} named in columns are not in "
            f"the data. Columns are: {', '.join(known[:50])}{' ...' if len(known) > 50 else ''}."
        )

    def chosen(name: str) -> bool:
        return any(name == w or name.startswith(w + ".") for w in wanted)

    return [c for c in all_columns if chosen(c.name)], [s for s in skipped if chosen(s["column"])]


def _eager_to_polars(native: Any, notes: list[str]) -> pl.DataFrame:
    """An in-memory frame of another library as Polars; object columns of mixed types are
    turned into text column by column."""
    frame = nw.from_native(native, eager_only=True)
    try:
        converted: pl.DataFrame = frame.to_polars()
        return converted
    except Exception:
        pass
    columns: list[pl.Series] = []
    mixed = []
    for name in frame.columns:
        try:
            columns.append(frame.select(name).to_polars().to_series())
        except Exception:
            mixed.append(name)
            # Only a column pyarrow cannot convert is walked in Python, to make it text.
            values = frame.get_column(name).to_list()
            columns.append(
                pl.Series(
                    name,
                    [_as_text(x) for x in values],
                    dtype=pl.String,
                )
            )
    if mixed:
        notes.append(f"mixed-type column(s) read as text: {', '.join(mixed)}")
    return pl.DataFrame(columns)


def _as_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def prepare(data: Any, columns: list[str] | None, *, lenient: bool = False) -> Prepared:
    """Open ``data`` and choose the text columns to scan (``lenient``: see :func:`_jsonl`)."""
    notes: list[str] = []
    malformed = 0
    if isinstance(data, str | Path):
        source, malformed = read_path(Path(data), notes, lenient)
    else:
        source = open_frame(data)
    native = source.frame.to_native()
    if isinstance(native, pl.LazyFrame):
        lazy = native
    elif source.eager_native is not None:
        lazy = _eager_to_polars(source.eager_native, notes).lazy()
    else:
        return _prepare_generic(source, columns, notes)
    try:
        schema = lazy.collect_schema()
    except pl.exceptions.PolarsError as exc:
        name = source.path.name if source.path else "the data"
        raise InputError(
            f"Could not read the schema of {name} ({type(exc).__name__}); check the file."
        ) from None
    flat: list[TextColumn] = []
    skipped: list[dict[str, Any]] = []
    for name, dtype in schema.items():
        _flatten(name, pl.col(name), dtype, flat, skipped)
    flat, skipped = _select(flat, columns, skipped)
    frame = lazy.select([c.expr.alias(c.name) for c in flat])
    return Prepared(frame, flat, skipped, notes, source, malformed_lines=malformed, base=lazy)


def _prepare_generic(source: Source, columns: list[str] | None, notes: list[str]) -> Prepared:
    """A lazy frame of another engine (DuckDB, PySpark, ...): the engine counts rows and
    non-null cells and keeps only rows where some column matches a candidate pattern; only those
    rows come to Polars."""
    from assay.evaluate.pii._recognizers import RECOGNIZERS

    lf = source.frame
    schema = lf.collect_schema()
    flat: list[TextColumn] = []
    skipped: list[dict[str, Any]] = []
    for name, dtype in schema.items():
        if dtype == nw.String or dtype.is_integer() or dtype in (nw.Categorical, nw.Enum):
            flat.append(TextColumn(name, str(dtype), pl.col(name)))
        elif dtype == nw.Binary:
            skipped.append({"column": name, "dtype": str(dtype), "reason": "binary"})
        elif dtype in (nw.Struct, nw.List, nw.Array):
            skipped.append(
                {
                    "column": name,
                    "dtype": str(dtype),
                    "reason": "nested (on this engine flatten it first, or pass a Polars frame)",
                }
            )
        else:
            skipped.append({"column": name, "dtype": str(dtype), "reason": "cannot hold text"})
    flat, skipped = _select(flat, columns, skipped)
    if not flat:
        counts = lf.select(nw.len().alias("__n")).collect(backend="polars").to_native()
        return Prepared(pl.LazyFrame(), [], skipped, notes, source, int(counts["__n"][0]), {})
    union = "|".join(f"(?:{r.pattern})" for r in RECOGNIZERS if r.needs != "column")
    text = [nw.col(c.name).cast(nw.String).alias(c.name) for c in flat]
    counted = lf.select(
        nw.len().alias("__n"), *[nw.col(c.name).count().alias(c.name) for c in flat]
    ).collect(backend="polars")
    counts_row = counted.to_native().row(0, named=True)
    hinted = [c.name for c in flat if _column_only_hint(c.name)]
    conditions = [nw.col(c.name).cast(nw.String).str.contains(union) for c in flat]
    conditions += [~nw.col(h).is_null() for h in hinted]
    candidates = lf.filter(nw.any_horizontal(*conditions, ignore_nulls=True)).select(text)
    frame = candidates.collect(backend="polars").to_native().lazy()
    flat = [TextColumn(c.name, c.dtype, pl.col(c.name)) for c in flat]
    notes.append(
        f"rows and non-null cells were counted on {source.engine}; only rows with a candidate "
        "match were brought to Polars for validation"
    )
    return Prepared(
        frame,
        flat,
        skipped,
        notes,
        source,
        int(counts_row.pop("__n")),
        {k: int(v) for k, v in counts_row.items()},
    )


def _column_only_hint(name: str) -> bool:
    from assay.evaluate.pii._recognizers import RECOGNIZERS, column_entities

    hinted = column_entities(name)
    return any(r.needs == "column" and r.entity in hinted for r in RECOGNIZERS)

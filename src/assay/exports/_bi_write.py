"""A BI table as CSV, Parquet or JSON rows: the formats Power BI and Tableau read.

CSV: UTF-8, a header of the stable column names, ``\\n`` line ends, empty cells for missing
values, dates as ``YYYY-MM-DD``, instants as ISO 8601 UTC (``2026-12-07T17:00:00Z``), flags as
``true``/``false``. Parquet carries the column types (``date32``, ``timestamp[us, UTC]``,
``int64``, ``double``, ``bool``, ``string``) so nothing has to be parsed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.exports._bi import BiTable, BiValue
from assay.exports._csv_cells import csv_text

__all__ = ["BI_FORMATS", "bi_bytes", "bi_csv", "bi_json_rows", "bi_parquet", "write_bi"]

BI_FORMATS = ("csv", "parquet")
"""The file formats of ``assay export TABLE --format``."""


def _text(value: BiValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _instant(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _instant(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, whole seconds kept as they are."""
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.isoformat().replace("+00:00", "Z")


def bi_csv(table: BiTable, *, header: bool = True) -> str:
    """The table as CSV text (``header=False`` for the second page on of a paged feed); text
    cells that a spreadsheet would run as a formula start with ``'`` (:func:`csv_text`)."""
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    if header:
        writer.writerow([c.name for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_text(v) if isinstance(v, str) else _text(v) for v in row])
    return sink.getvalue()


def bi_json_rows(table: BiTable) -> list[dict[str, Any]]:
    """The rows as JSON objects: dates and instants as the CSV writes them."""
    return [
        {k: v if v is None or isinstance(v, bool | int | float) else _text(v) for k, v in r.items()}
        for r in table.records()
    ]


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }[kind]


def bi_parquet(table: BiTable) -> bytes:
    """The table as a Parquet file (typed columns, zstd-compressed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [pa.field(c.name, _arrow_type(c.type), metadata={"description": c.description})
         for c in table.columns],
        metadata={"assay.table": table.kind},
    )  # fmt: skip
    data = {c.name: [row[i] for row in table.rows] for i, c in enumerate(table.columns)}
    sink = io.BytesIO()
    pq.write_table(pa.table(data, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def bi_bytes(table: BiTable, fmt: str) -> bytes:
    """The table in ``fmt`` (one of :data:`BI_FORMATS`)."""
    if fmt == "csv":
        return bi_csv(table).encode("utf-8")
    if fmt == "parquet":
        return bi_parquet(table)
    raise InputError(f"--format must be one of {', '.join(BI_FORMATS)}, not {fmt!r}.")


def write_bi(table: BiTable, fmt: str, path: str | Path) -> Path:
    """Write the table in ``fmt`` to ``path`` and return the path."""
    out = Path(path)
    out.write_bytes(bi_bytes(table, fmt))
    return out

"""Rows of a database source in batches, for the checks that need the values (PII).

The rows are fetched through a server-side cursor (SQLAlchemy ``stream_results``), a batch at a
time, and written batch by batch to a Parquet spool file that the scan then reads lazily: the
client holds one batch, whatever the size of the table.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.sources._opened import OpenedSource

if TYPE_CHECKING:  # SQLAlchemy is imported when rows are streamed, not by every command
    import sqlalchemy as sa

__all__ = ["BATCH_ROWS", "rows_to_scan", "spool_rows"]

#: Rows fetched per round trip and held by the client at once.
BATCH_ROWS = 50_000


def _statement(engine: sa.Engine, opened: OpenedSource) -> sa.TextClause:
    import sqlalchemy as sa

    spec = opened.spec
    if spec.query is not None:
        return sa.text(spec.query)
    assert spec.table is not None
    quote = engine.dialect.identifier_preparer.quote
    return sa.text("SELECT * FROM " + ".".join(quote(p) for p in spec.table.split(".")))


def spool_rows(opened: OpenedSource, *, batch_rows: int = BATCH_ROWS) -> Path:
    """Stream the source's rows into a Parquet file in a temporary folder (removed on close).

    The Arrow schema comes from the database's column types (through Ibis), so every batch has
    the same types whatever values it holds.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    import sqlalchemy as sa

    from assay.sources._database import parse_url

    assert opened.spec.database is not None
    schema: Any = opened.data.schema().to_pyarrow()
    folder = Path(tempfile.mkdtemp(prefix="assay-spool-"))
    opened.closers.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    target = folder / "rows.parquet"
    engine = sa.create_engine(parse_url(opened.spec.database))
    try:
        with engine.connect() as conn, pq.ParquetWriter(target, schema) as writer:
            rows = conn.execution_options(stream_results=True, max_row_buffer=batch_rows).execute(
                _statement(engine, opened)
            )
            while batch := rows.fetchmany(batch_rows):
                columns = list(zip(*batch, strict=True))
                arrays = [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)]
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
    finally:
        engine.dispose()
    return target


def rows_to_scan(opened: OpenedSource) -> Any:
    """What a check that reads every value (the PII scan) reads: the source itself, or for a
    database its rows streamed to a spool file."""
    if opened.spec.database is not None:
        return spool_rows(opened)
    return opened.data

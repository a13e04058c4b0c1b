"""Opening a source: one function for every kind of place the data lives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assay.errors import InputError, NotFoundError
from assay.sources._opened import OpenedSource, source_error
from assay.sources._spec import SourceSpec, is_remote

__all__ = ["open_source", "opened_source"]


def open_source(spec: SourceSpec) -> OpenedSource:
    """Open ``spec`` and check that it can be read (its schema, not its rows).

    Close the result when done (or use :func:`opened_source`).

    Raises
    ------
    InputError
        The options conflict, or the source cannot be reached or read.
    NotFoundError
        A local file does not exist.
    """
    spec = spec.checked()
    if spec.database is not None:
        from assay.sources._database import open_database

        return open_database(spec)
    if spec.engine == "spark":
        from assay.sources._spark import open_spark

        return open_spark(spec)
    assert spec.path is not None
    if is_remote(spec.path):
        from assay.sources._storage import open_object

        return open_object(spec)
    return _open_file(spec)


@contextmanager
def opened_source(spec: SourceSpec) -> Iterator[OpenedSource]:
    """:func:`open_source` as a context manager that closes the source on the way out."""
    opened = open_source(spec)
    try:
        yield opened
    finally:
        opened.close()


def _open_file(spec: SourceSpec) -> OpenedSource:
    """A local file: the path itself for Polars (as before), a relation for DuckDB."""
    assert spec.path is not None
    path = Path(spec.path)
    described = {"kind": "file", "path": str(path)}
    if spec.engine == "polars":
        return OpenedSource(spec, path, "polars", described)
    if not path.is_file():
        raise NotFoundError(f"The file '{path}' does not exist (or is a folder). Check the path.")
    import duckdb

    connection = duckdb.connect()
    opened = OpenedSource(spec, None, "duckdb", described, closers=[connection.close])
    suffix = path.suffix.lower()
    readers = {".parquet": "read_parquet", ".pq": "read_parquet", ".csv": "read_csv",
               ".tsv": "read_csv", ".jsonl": "read_json", ".ndjson": "read_json"}  # fmt: skip
    reader = readers.get(suffix)
    if reader is None:
        opened.close()
        raise InputError(f"Cannot read '{path.name}' with DuckDB: give .parquet, .csv or .jsonl.")
    try:
        opened.data = getattr(connection, reader)(str(path))
    except Exception as exc:
        opened.close()
        raise source_error(opened.label, exc, []) from None
    return opened

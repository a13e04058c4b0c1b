"""Ibis' PostgreSQL backend, with what the pushed-down passes need changed.

- **A boolean cast to an integer.** PostgreSQL casts a boolean to ``integer`` but not to
  ``bigint`` or ``smallint``; the evaluation counts flags with ``flag.cast(Int64).sum()``, so a
  boolean is cast through ``integer`` first.
- **No server-side cursor.** Ibis fetches every result through ``DECLARE … CURSOR``, and
  PostgreSQL never plans a cursor's query in parallel: the one ``GROUP BY`` of a fairness report
  ran on one core while ``psql`` ran the same statement on three. Results are streamed instead
  (libpq's chunked-rows mode, 17 and later): the statement runs as sent, may run in parallel,
  costs one round trip, and the client still holds one chunk at a time. An older libpq keeps
  Ibis' cursor.
- **Fewer round trips.** Ibis wraps every statement it sends for itself (the time zone, the
  current schema, the session's temporary schema) in ``BEGIN`` … ``COMMIT``: three round trips
  for one statement on a connection that autocommits anyway. Here each is one; to a database
  across a network, each round trip saved is a network latency saved.
- **The schema of a query** is read from a temporary view whose statements are written out (with
  newer sqlglot releases Ibis' ``DROP VIEW`` loses the view's name).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

import sqlglot.expressions as sge
from ibis.backends.postgres import Backend as _IbisPostgresBackend
from ibis.backends.sql.compilers.postgres import PostgresCompiler as _IbisPostgresCompiler

__all__ = ["PostgresBackend", "PostgresCompiler"]

#: libpq's version from which rows can be streamed in chunks rather than one at a time.
_CHUNKED_ROWS_LIBPQ = 170000


class PostgresCompiler(_IbisPostgresCompiler):  # type: ignore[misc]
    """Ibis' compiler for PostgreSQL, casting booleans to integers through ``integer``."""

    def visit_Cast(self, op: Any, *, arg: Any, to: Any) -> Any:  # noqa: N802  # Ibis' name
        if op.arg.dtype.is_boolean() and to.is_integer():
            arg = sge.Cast(this=arg, to=sge.DataType.build("INT"))
        return super().visit_Cast(op, arg=arg, to=to)


class PostgresBackend(_IbisPostgresBackend):  # type: ignore[misc]
    """Ibis' PostgreSQL backend, changed as the module docstring says."""

    compiler = PostgresCompiler()

    def _post_connect(self) -> None:
        with self.con.cursor() as cursor:  # the connection autocommits: one round trip each
            cursor.execute("SET TIMEZONE = UTC")
            if schema := self._con_kwargs.get("schema"):
                cursor.execute("SELECT set_config('search_path', %s, false)", (schema,))

    @property
    def current_database(self) -> str | None:
        row = self.con.execute("SELECT current_schema()").fetchone()
        return None if row is None else row[0]

    @property
    def _session_temp_db(self) -> str | None:
        sql = "SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()"
        row = self.con.execute(sql).fetchone()
        return None if row is None else row[0]

    def _get_schema_using_query(self, query: str) -> Any:
        name = f"assay_query_{uuid.uuid4().hex[:16]}"
        con = self.con
        with con.cursor() as cursor, con.transaction():
            cursor.execute(f'CREATE TEMPORARY VIEW "{name}" AS {query}')
        try:
            return self.get_schema(name)
        finally:
            with con.cursor() as cursor, con.transaction():
                cursor.execute(f'DROP VIEW IF EXISTS "{name}"')

    def to_pyarrow_batches(
        self,
        expr: Any,
        /,
        *,
        params: Mapping[Any, Any] | None = None,
        limit: int | str | None = None,
        chunk_size: int = 1_000_000,
        **kwargs: Any,
    ) -> Any:
        import psycopg
        import pyarrow as pa

        if psycopg.pq.version() < _CHUNKED_ROWS_LIBPQ:
            return super().to_pyarrow_batches(
                expr, params=params, limit=limit, chunk_size=chunk_size, **kwargs
            )
        self._run_pre_execute_hooks(expr)
        schema = expr.as_table().schema()
        query = self.compile(expr, limit=limit, params=params)
        struct = schema.as_struct().to_pyarrow()

        def batches() -> Iterator[Any]:
            with self.con.cursor() as cursor:
                rows = cursor.stream(query, size=chunk_size)
                while chunk := list(islice(rows, chunk_size)):
                    yield pa.RecordBatch.from_struct_array(pa.array(chunk, type=struct))

        return pa.RecordBatchReader.from_batches(schema.to_pyarrow(), batches())

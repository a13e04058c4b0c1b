"""Ibis' PostgreSQL compiler, with the one cast PostgreSQL lacks.

PostgreSQL casts a boolean to ``integer`` but not to ``bigint`` or ``smallint``; the evaluation
counts flags with ``flag.cast(Int64).sum()``, so a boolean is cast through ``integer`` first.
"""

from __future__ import annotations

from typing import Any

import sqlglot.expressions as sge
from ibis.backends.sql.compilers.postgres import PostgresCompiler as _IbisPostgresCompiler

__all__ = ["PostgresCompiler"]


class PostgresCompiler(_IbisPostgresCompiler):  # type: ignore[misc]
    """Ibis' compiler for PostgreSQL, casting booleans to integers through ``integer``."""

    def visit_Cast(self, op: Any, *, arg: Any, to: Any) -> Any:  # noqa: N802  # Ibis' name
        if op.arg.dtype.is_boolean() and to.is_integer():
            arg = sge.Cast(this=arg, to=sge.DataType.build("INT"))
        return super().visit_Cast(op, arg=arg, to=to)


def schema_of_query(backend: Any, query: str) -> Any:
    """The Ibis schema of a query's result, read from a temporary view.

    Ibis does the same, but with newer sqlglot releases its ``DROP VIEW`` statement loses the
    view's name; here the statements are written out.
    """
    import uuid

    name = f"assay_query_{uuid.uuid4().hex[:16]}"
    con = backend.con
    with con.cursor() as cursor, con.transaction():
        cursor.execute(f'CREATE TEMPORARY VIEW "{name}" AS {query}')
    try:
        return backend.get_schema(name)
    finally:
        with con.cursor() as cursor, con.transaction():
            cursor.execute(f'DROP VIEW IF EXISTS "{name}"')

"""SQL databases: a SQLAlchemy URL and a table or query, read through Ibis so that the grouped
passes of :mod:`assay.evaluate` compile to SQL and run in the database.

narwhals wraps an Ibis table as a lazy frame; every ``group_by().agg()`` the evaluation writes
becomes one ``SELECT ... GROUP BY`` and only the grouped rows come back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from assay.errors import InputError
from assay.sources._opened import OpenedSource, source_error
from assay.sources._redact import redact_url
from assay.sources._spec import SourceSpec

__all__ = ["open_database", "parse_url"]

#: SQLAlchemy dialect → Ibis backend, where the names differ.
_IBIS_BACKENDS = {"postgresql": "postgres", "mssql": "mssql", "mysql": "mysql", "oracle": "oracle"}


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, or a clear error that does not repeat its password."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise InputError(
            "--source-db is not a database URL (it is not repeated here: it may hold a password); "
            "write it as SQLAlchemy does, e.g. postgresql+psycopg://USER@HOST:5432/DATABASE "
            "(put the password in PGPASSWORD or ~/.pgpass rather than on the command line)."
        ) from None


def _require_ibis() -> None:
    try:
        import ibis  # noqa: F401
    except ImportError:
        raise InputError(
            "--source-db needs Ibis, which runs the grouped passes in the database: "
            "pip install 'assay-rai[sql]'."
        ) from None


def _connect(url: URL) -> Any:
    import ibis

    dialect = url.get_backend_name()
    if dialect == "postgresql":
        from assay.sources._postgres import PostgresBackend

        return PostgresBackend().connect(
            host=url.host, port=url.port, user=url.username, password=url.password,
            database=url.database, **{k: str(v) for k, v in url.query.items()},
        )  # fmt: skip
    name = _IBIS_BACKENDS.get(dialect, dialect)
    return ibis.connect(url.set(drivername=name).render_as_string(hide_password=False))


def open_database(spec: SourceSpec) -> OpenedSource:
    """Connect, and check that the table or query can be read (its schema only).

    Raises
    ------
    InputError
        The URL is malformed, the server unreachable, the credentials wrong, the table missing
        or the query invalid; the message names the source without its password.
    """
    assert spec.database is not None
    url = parse_url(spec.database)
    described = {"kind": "database", "url": url.render_as_string(hide_password=True)}
    described["url"] = redact_url(described["url"])
    if spec.table is not None:
        described["table"] = spec.table
    else:
        assert spec.query is not None
        described["query"] = spec.query
    secrets = [url.password] if isinstance(url.password, str) else []
    opened = OpenedSource(spec, None, "database", described, secrets)
    _require_ibis()
    try:
        backend = _connect(url)
    except Exception as exc:
        raise source_error(opened.label, exc, secrets) from None
    opened.closers.append(backend.disconnect)
    try:
        if spec.table is not None:
            schema, _, name = spec.table.rpartition(".")
            table = backend.table(name, database=schema or None)
        else:
            table = backend.sql(spec.query)
        table.schema()
    except Exception as exc:
        opened.close()
        raise source_error(opened.label, exc, secrets) from None
    opened.data = table
    return opened

"""Database URLs and engines: SQLite (WAL, immediate writes) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from assay.errors import InputError, PermissionDeniedError, UnavailableError

__all__ = [
    "SCOPE_OPTION",
    "WRITE_OPTION",
    "connection_scope",
    "create_engine",
    "mask_url",
    "normalize_url",
    "sqlite_url",
]

WRITE_OPTION = "assay_write"
"""Execution option marking a connection whose transaction writes (see :func:`create_engine`)."""

SCOPE_OPTION = "assay_scope"
"""Execution option carrying the organisations the connection's reader may see
(:meth:`assay.store.Store.scoped`)."""


def connection_scope(conn: Connection) -> frozenset[str] | None:
    """The organisations a reader on ``conn`` may see; None: every one."""
    scope = conn.get_execution_options().get(SCOPE_OPTION)
    return scope if isinstance(scope, frozenset) else None


SQLITE_BUSY_TIMEOUT_S = 60.0
# Connections per engine: 5 kept open, up to 40 in all under a burst, as many as the threads
# Starlette runs sync handlers on (40), so a busy web worker queues on its threads rather than
# failing after the pool's 30 s wait; the overflow is closed again when returned.
POOL_SIZE = 5
MAX_OVERFLOW = 35


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file at ``path``.

    >>> sqlite_url(Path("/tmp/x/assay.db"))
    'sqlite:////tmp/x/assay.db'
    """
    return f"sqlite:///{path}"


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: safe to print, even when it cannot be parsed.

    >>> mask_url("postgresql+psycopg://ada:s3cret@db.example:5432/assay")
    'postgresql+psycopg://ada:***@db.example:5432/assay'
    >>> mask_url("postgresql://ada:s3cret@db.example:notaport/assay")
    'postgresql://ada:***@db.example:notaport/assay'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    # user:password@host: the password may hold ':', '/' or even '@' when typed unencoded
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


def normalize_url(url: str) -> str:
    """Check a database URL and name the driver Assay uses.

    ``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://`` (psycopg 3).

    >>> normalize_url("postgresql://u@db.example/assay")
    'postgresql+psycopg://u@db.example/assay'
    >>> normalize_url("sqlite:///work/.assay/assay.db")
    'sqlite:///work/.assay/assay.db'
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise InputError(
            f"The database URL {mask_url(url)!r} cannot be parsed (is the port a number?). Use "
            "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DBNAME."
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return url
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise InputError(
                f"The database URL uses the driver {parsed.get_driver_name()!r}; Assay talks to "
                "PostgreSQL through psycopg 3. Write the URL as postgresql+psycopg://..."
            )
        return url
    raise InputError(
        f"Assay stores its records in SQLite or PostgreSQL, not {backend!r}. "
        "Use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DBNAME."
    )


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself, so a write can ask for BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A write takes the write lock up front: two deferred transactions that both read and then
    # write would otherwise fail with SQLITE_BUSY instead of waiting their turn.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _refused(url: str) -> Any:
    """A ``handle_error`` listener: a failed connect becomes one clear :class:`UnavailableError`."""

    def listener(context: Any) -> None:
        if context.connection is not None or not isinstance(context.original_exception, Exception):
            return  # an error inside a working connection: not a connect failure
        if not isinstance(context.sqlalchemy_exception, sa.exc.OperationalError):
            return
        reason = " ".join(str(context.original_exception).split()).rstrip(".")
        check = (
            "that the database file's folder exists and can be written"
            if url.startswith("sqlite")
            else "that the server is running, and the host, port, user and password"
        )
        raise UnavailableError(
            f"Cannot connect to the database {mask_url(url)}: {reason}. Check {check} (the URL "
            "comes from --db, ASSAY_DATABASE_URL or [database] url in .assay/config.toml)."
        ) from None

    return listener


def _create_private_file(database: str | None) -> None:
    """Create a new SQLite file with mode 0600 (SQLite would use 0644, less the umask): the
    database holds every record and credential. Its -wal and -shm files take the same mode."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return  # an existing database keeps its mode; a missing folder is reported on connect
    with contextlib.suppress(FileExistsError):  # another process created it meanwhile
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _denied(context: Any) -> None:
    """A ``handle_error`` listener: PostgreSQL refusing a statement for lack of privilege (SQLSTATE
    42501, as a per-person role meets outside its grants) is a clear refusal, not a bug."""
    if getattr(context.original_exception, "sqlstate", None) != "42501":
        return
    reason = " ".join(str(context.original_exception).split()).rstrip(".")
    raise PermissionDeniedError(
        f"The database refused this: {reason}. A person's own database role reads the "
        "workspace and writes only as its user; managing users, migrations and the server need "
        "the owner's role (see docs/security.md)."
    ) from None


def create_engine(url: str) -> Engine:
    """Create the engine for a (normalised) database URL.

    Parameters
    ----------
    url
        ``sqlite:///PATH`` or ``postgresql+psycopg://...``; see :func:`normalize_url`.

    Returns
    -------
    Engine
        For SQLite: WAL journal, foreign keys on, a 60 s busy timeout and ``BEGIN IMMEDIATE`` for
        connections with the :data:`WRITE_OPTION` execution option; a new database file is
        created with mode 0600.
    """
    url = normalize_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _create_private_file(parsed.database)
        engine = sa.create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=POOL_SIZE,
            max_overflow=MAX_OVERFLOW,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _refused(url))
        return engine
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "This workspace uses PostgreSQL, which needs psycopg 3. "
            "Install it with: pip install 'assay-rai[postgres]'"
        ) from exc
    engine = sa.create_engine(
        url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW
    )
    event.listen(engine, "handle_error", _refused(url))
    event.listen(engine, "handle_error", _denied)
    return engine

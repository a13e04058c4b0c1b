"""Where the data lives, as the user named it: a path (local or object storage), a database
table or query, and the engine that reads a path.

A :class:`SourceSpec` is checked before anything is opened, so options that do not go together
(a query and a table, a database and a path, DuckDB on a bucket) are refused up front.
"""

from __future__ import annotations

from dataclasses import dataclass

from assay.errors import InputError

__all__ = ["ENGINES", "REMOTE_SCHEMES", "SourceSpec", "is_remote"]

#: The engines that read a path; Polars is the default.
ENGINES = ("polars", "duckdb", "spark")
#: URL schemes of object storage, read by Polars' native cloud reader (or by Spark).
REMOTE_SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "az://", "abfs://", "abfss://")


def is_remote(path: str) -> bool:
    """Whether ``path`` names an object in object storage rather than a local file."""
    return path.lower().startswith(REMOTE_SCHEMES)


@dataclass(frozen=True)
class SourceSpec:
    """The data a command reads: exactly one of ``path``, ``table`` or ``query``.

    ``database`` (a SQLAlchemy URL) goes with ``table`` or ``query``; without it a ``table`` is a
    Spark catalog table (``engine="spark"``). ``engine`` reads a path or a catalog table.
    """

    path: str | None = None
    database: str | None = None
    table: str | None = None
    query: str | None = None
    engine: str = "polars"
    spark_master: str = "local[*]"

    @property
    def names_data(self) -> bool:
        """Whether any data was named (a command with other inputs may have none)."""
        return any(v is not None for v in (self.path, self.table, self.query, self.database))

    def checked(self) -> SourceSpec:
        """This spec, once its options are known to go together.

        Raises
        ------
        InputError
            Options are missing or conflict; the message says which and how to fix it.
        """
        if self.engine not in ENGINES:
            raise InputError(f"--engine must be one of {', '.join(ENGINES)}; got '{self.engine}'.")
        named = [n for n, v in (("DATA", self.path), ("--table", self.table),
                                ("--query", self.query)) if v]  # fmt: skip
        if len(named) != 1:
            raise InputError(
                "Name the data once: a file or s3:// / gs:// / az:// path as DATA, or "
                "--source-db URL with --table NAME or --query SQL"
                + (f" (got {' and '.join(named)})." if named else " (got none).")
            )
        if self.database is not None and self.path is not None:
            raise InputError("--source-db reads a --table or --query; drop DATA or --source-db.")
        if self.query is not None and self.database is None:
            raise InputError("--query runs in a database: give --source-db URL as well.")
        if self.table is not None and self.database is None and self.engine != "spark":
            raise InputError(
                "--table names a database table (give --source-db URL) or a Spark catalog "
                "table (give --engine spark)."
            )
        if self.database is not None and self.engine != "polars":
            raise InputError(
                "--engine applies to files and Spark tables; a --source-db query runs in the "
                "database itself. Drop --engine."
            )
        if self.path is not None and is_remote(self.path) and self.engine == "duckdb":
            raise InputError(
                f"--engine duckdb reads local files; read '{self.path}' with --engine polars "
                "(the default) or --engine spark."
            )
        return self

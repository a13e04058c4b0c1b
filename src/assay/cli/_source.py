"""The source options every data-reading command shares, declared once.

``@with_source("data")`` adds ``--source-db``, ``--table``, ``--query``, ``--engine`` and
``--spark-master`` to a command and hands it a ``source`` (an :class:`assay.sources.SourceSpec`)
built from them and the command's own DATA argument, which may then be a local path, an
``s3://``, ``gs://`` or ``az://`` path, or left out for a database table or query.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from assay.result import Result
    from assay.sources import OpenedSource, SourceSpec

    R = TypeVar("R", bound=Result[Any])

__all__ = ["DATA_HELP", "open_for_command", "read_source", "with_source"]

#: The help of a command's DATA: what it may name besides a local file.
DATA_HELP = (
    ".parquet, .csv, .tsv or .jsonl, local or s3://, gs://, az:// (or --source-db with "
    "--table/--query, or --engine spark --table db.name)."
)

_HELP = "Data source"
_OPTIONS: list[tuple[str, Any, Any]] = [
    (
        "source_db",
        str | None,
        typer.Option(
            None,
            "--source-db",
            envvar="ASSAY_SOURCE_DB",
            show_envvar=False,
            help="SQLAlchemy URL of a database to read --table or --query from (the grouped "
            "work runs there). Keep the password out of it: PGPASSWORD, ~/.pgpass.",
            rich_help_panel=_HELP,
        ),
    ),
    (
        "table",
        str | None,
        typer.Option(
            None,
            "--table",
            help="A table in --source-db, or a Spark catalog table (db.name) with --engine spark.",
            rich_help_panel=_HELP,
        ),
    ),
    (
        "query",
        str | None,
        typer.Option(None, "--query", help="SQL run in --source-db.", rich_help_panel=_HELP),
    ),
    (
        "engine",
        str,
        typer.Option(
            "polars",
            "--engine",
            help="polars, duckdb or spark: the engine that reads DATA.",
            rich_help_panel=_HELP,
        ),
    ),
    (
        "spark_master",
        str,
        typer.Option(
            "local[*]",
            "--spark-master",
            help="With --engine spark: the master (SPARK_REMOTE selects Spark Connect instead).",
            rich_help_panel=_HELP,
        ),
    ),
]


def with_source(data: str | None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared source options; ``data`` names its DATA parameter (``None``:
    the command's own inputs are separate, and the source is one more, when named).

    The command declares ``source`` as its last parameter; the command line never sees it.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command)
        kept = [p for name, p in signature.parameters.items() if name != "source"]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=t)
            for name, t, default in _OPTIONS
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            from assay.sources import SourceSpec

            given = {name: kwargs.pop(name) for name, _, _ in _OPTIONS}
            path = kwargs.get(data) if data is not None else None
            spec = SourceSpec(
                path=None if path is None else str(path), database=given["source_db"],
                table=given["table"], query=given["query"], engine=given["engine"],
                spark_master=given["spark_master"],
            )  # fmt: skip
            command(**kwargs, source=spec)

        annotations = {k: v for k, v in command.__annotations__.items() if k != "source"}
        wrapper.__annotations__ = annotations | {name: t for name, t, _ in _OPTIONS}
        wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
        return wrapper

    return decorate


@contextmanager
def open_for_command(spec: SourceSpec | None) -> Iterator[OpenedSource]:
    """Open the source for the length of a command (wrap its reads in ``opened.reading()``)."""
    from assay.sources import opened_source

    assert spec is not None, "the command is not decorated with @with_source"
    with opened_source(spec) as opened:
        yield opened


def read_source(
    spec: SourceSpec | None, evaluate: Callable[[Any], R], *, values: bool = False
) -> R:
    """Open the source, run ``evaluate`` on what it holds (``values``: its rows, for a check that
    reads every value), record the source in the result's provenance and close it. A failure
    while reading names the source without its secrets."""
    from assay.sources import rows_to_scan, stamp_source

    with open_for_command(spec) as opened, opened.reading():
        return stamp_source(evaluate(rows_to_scan(opened) if values else opened.data), opened)

"""An opened source: what the evaluation functions read, and how to name it safely."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from assay.errors import AssayError, InputError
from assay.sources._redact import scrub
from assay.sources._spec import SourceSpec

__all__ = ["OpenedSource", "source_error"]


@dataclass
class OpenedSource:
    """A source ready to read.

    ``data`` is what :func:`assay.evaluate.fairness` and its siblings accept: a local path, a
    Polars lazy frame over object storage, a DuckDB relation, a Spark DataFrame or an Ibis table
    whose queries run in the database. ``described`` names the source for provenance and
    messages, without credentials.
    """

    spec: SourceSpec
    data: Any
    engine: str
    described: dict[str, str]
    secrets: list[str] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The source in one line, for messages (no secrets)."""
        d = self.described
        where = d.get("url") or d.get("path", "")
        what = f"table {d['table']}" if "table" in d else ("query" if "query" in d else "")
        return f"{what} at {where}" if what and where else (what or where)

    @property
    def is_local_file(self) -> bool:
        """A local file read by Polars: its provenance is the file's bytes, as always."""
        return self.described.get("kind") == "file" and self.engine == "polars"

    def close(self) -> None:
        """Release connections and sessions, last opened first."""
        while self.closers:
            with suppress(Exception):  # a connection that is already gone needs no closing
                self.closers.pop()()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Turn any failure while the engine reads into an :class:`InputError` naming the
        source without its secrets."""
        try:
            yield
        except AssayError as exc:
            text = str(exc)
            if scrub(text, self.secrets) == text:
                raise
            raise InputError(scrub(text, self.secrets)) from None
        except Exception as exc:  # each engine and driver raises its own error types
            raise source_error(self.label, exc, self.secrets) from None


def source_error(label: str, exc: BaseException, secrets: list[str]) -> InputError:
    """A clear error for a source that could not be read, without its secrets."""
    detail = scrub(f"{type(exc).__name__}: {exc}".strip(), secrets)
    first = detail.splitlines()[0] if detail else type(exc).__name__
    return InputError(
        f"The data source {label} could not be read: {first}. Check that it is reachable, the "
        "credentials are right and the table, query or object exists."
    )

"""Provenance of a remote source: what was read, and a digest that is the same on every engine.

A table, a query or an object is not hashed byte by byte (the rows never leave the engine).
Its dataset digest is instead::

    digest( canonical_json({"source": <URL or path without credentials>,
                            "table": <name> | "query": <SQL text>,
                            "statistics": <statistics digest>}) )

where the statistics digest is ``digest(canonical_json(result without "provenance"))``: every
number of the result is derived from the grouped sufficient statistics of one pass, and results
agree across engines, so the statistics digest is the same on Polars, DuckDB, Spark and in the
database for the same data.
"""

from __future__ import annotations

from typing import Any, TypeVar

from assay.canonical import canonical_json, content_digest, digest
from assay.result import Result
from assay.sources._opened import OpenedSource

__all__ = ["SOURCE_DIGEST_OF", "source_digest", "stamp_source", "statistics_digest"]

R = TypeVar("R", bound=Result[Any])

#: What the digest of a remote source covers, as recorded in ``provenance.dataset.digest_of``.
SOURCE_DIGEST_OF = (
    "source URL without credentials, table or query text, and the digest of the result's "
    "statistics (Assay source digest v1)"
)


def source_digest(described: dict[str, str], statistics: str) -> str:
    """The dataset digest of a remote source (see the module docstring)."""
    where = described.get("url") or described.get("path") or ""
    what = {k: described[k] for k in ("table", "query") if k in described}
    return digest(canonical_json({"source": where, **what, "statistics": statistics}))


def statistics_digest(payload: dict[str, Any]) -> str:
    """The digest of a result's numbers: its payload without provenance."""
    return content_digest({k: v for k, v in payload.items() if k != "provenance"})


def stamp_source(result: R, opened: OpenedSource) -> R:
    """``result`` with its dataset provenance naming the source; a local Polars file keeps the
    digest of its bytes."""
    if opened.is_local_file:
        return result
    payload = result.to_dict()
    provenance = payload.get("provenance")
    if not isinstance(provenance, dict):
        return result
    dataset = dict(provenance.get("dataset") or {})
    stats = statistics_digest(payload)
    dataset |= {
        "source": dict(opened.described),
        "engine": opened.engine if opened.engine != "database" else "database (pushed down)",
        "statistics_digest": stats,
        "digest": source_digest(opened.described, stats),
        "digest_of": SOURCE_DIGEST_OF,
    }
    dataset.pop("path", None)
    provenance["dataset"] = dataset
    return type(result).from_dict(payload)

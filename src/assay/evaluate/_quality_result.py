"""The result of a data-quality check: frozen, JSON-serialisable, schema ``assay.quality/v1``."""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import polars as pl

from assay.errors import SchemaError
from assay.result import Result

QUALITY_SCHEMA = "assay.quality/v1"


class QualityFindings(TypedDict):
    """What the checks of :func:`assay.evaluate.quality` found, in the order they ran."""

    n: int
    columns: list[dict[str, Any]]
    constant_columns: list[str]
    duplicates: dict[str, Any] | None
    schema_check: dict[str, Any] | None
    label: dict[str, Any] | None
    missingness_by_group: list[dict[str, Any]]
    cells: dict[str, Any] | None
    representativeness: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class QualitySummary(TypedDict):
    """The ``summary`` of an ``assay.quality/v1`` result."""

    n_warnings: int
    errors: int
    checks: list[str]


class QualityPayload(QualityFindings):
    """The ``assay.quality/v1`` payload: the findings, their summary, methods and provenance."""

    schema: str
    summary: QualitySummary
    methods: dict[str, str]
    params: dict[str, Any]
    provenance: dict[str, Any]


class QualityResult(Result[QualityPayload]):
    """What :func:`assay.evaluate.quality` found.

    :attr:`warnings` lists every finding with its check, severity (``info``, ``warning``,
    ``error``) and a message; :meth:`columns` gives one row per column; the full detail (groups,
    intervals, tests, methods) is in :meth:`to_dict`.
    """

    SCHEMA = QUALITY_SCHEMA
    Payload = QualityPayload
    HTML_REPORT = "assay.documents:render_quality_html"

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"QualityResult(n={p['n']}, columns={len(p['columns'])}, "
            f"warnings={[w['check'] for w in p['warnings']]!r})"
        )

    @property
    def n(self) -> int:
        """Rows checked."""
        return int(self._payload["n"])

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Every finding: ``check``, ``severity`` and ``message``."""
        return copy.deepcopy(self._payload["warnings"])

    @property
    def passed(self) -> bool:
        """True when no finding has severity ``error`` (a declared-schema violation)."""
        return not any(w["severity"] == "error" for w in self._payload["warnings"])

    def column(self, name: str) -> dict[str, Any]:
        """The entry of one column."""
        for entry in self._payload["columns"]:
            if entry["column"] == name:
                return copy.deepcopy(entry)
        names = ", ".join(e["column"] for e in self._payload["columns"])
        raise SchemaError(f"The result has no column '{name}'; it has: {names}.")

    def columns(self) -> pl.DataFrame:
        """One row per column: type, missing values and rate, min, max, constant."""
        rows = [
            {k: e[k] for k in ("column", "dtype", "missing", "missing_rate", "constant")}
            | {
                "min": None if e["min"] is None else str(e["min"]),
                "max": None if e["max"] is None else str(e["max"]),
            }
            for e in self._payload["columns"]
        ]
        return pl.DataFrame(rows, infer_schema_length=None)

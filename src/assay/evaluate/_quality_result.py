"""The result of a data-quality check: frozen, JSON-serialisable, schema ``assay.quality/v1``."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from assay.errors import SchemaError

QUALITY_SCHEMA = "assay.quality/v1"


@dataclass(frozen=True)
class QualityResult:
    """What :func:`assay.evaluate.quality` found.

    :attr:`warnings` lists every finding with its check, severity (``info``, ``warning``,
    ``error``) and a message; :meth:`columns` gives one row per column; the full detail (groups,
    intervals, tests, methods) is in :meth:`to_dict`.
    """

    _payload: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"QualityResult(n={p['n']}, columns={len(p['columns'])}, "
            f"warnings={[w['check'] for w in p['warnings']]!r})"
        )

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> QualityResult:
        """Rebuild a result from :meth:`to_dict` output."""
        if not isinstance(payload, dict) or payload.get("schema") != QUALITY_SCHEMA:
            found = payload.get("schema") if isinstance(payload, dict) else type(payload).__name__
            raise SchemaError(f"Expected a result with schema '{QUALITY_SCHEMA}', found {found!r}.")
        missing = [
            k for k in ("n", "columns", "warnings", "params", "provenance") if k not in payload
        ]
        if missing:
            raise SchemaError(
                f"The '{QUALITY_SCHEMA}' result is missing the keys: {', '.join(missing)}."
            )
        return cls(copy.deepcopy(payload))

    @classmethod
    def from_json(cls, text: str) -> QualityResult:
        """Rebuild a result from :meth:`to_json` output."""
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"The result is not valid JSON: {exc}.") from None
        return cls.from_dict(payload)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the result as plain JSON types."""
        return copy.deepcopy(self._payload)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self._payload, indent=indent, ensure_ascii=False)

    @property
    def schema(self) -> str:
        """``assay.quality/v1``."""
        return str(self._payload["schema"])

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

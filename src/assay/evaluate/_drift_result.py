"""The result of a drift check: frozen, JSON-serialisable, schema ``assay.drift/v1``."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from assay.errors import SchemaError

DRIFT_SCHEMA = "assay.drift/v1"


@dataclass(frozen=True)
class DriftResult:
    """What :func:`assay.evaluate.drift` found.

    :meth:`by_column` gives one row per column (statistics, test, BH-adjusted q-value, effect size
    and decision); :meth:`by_group` the same per protected group; :attr:`drifted` names the
    columns that drifted. Everything, including the rule that chose each test, is in
    :meth:`to_dict`.
    """

    _payload: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        s = self._payload["summary"]
        return (
            f"DriftResult(columns={s['n_tested']}, drifted={s['drifted']!r}, "
            f"dataset_drift={s['dataset_drift']})"
        )

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> DriftResult:
        """Rebuild a result from :meth:`to_dict` output."""
        if not isinstance(payload, dict) or payload.get("schema") != DRIFT_SCHEMA:
            found = payload.get("schema") if isinstance(payload, dict) else type(payload).__name__
            raise SchemaError(f"Expected a result with schema '{DRIFT_SCHEMA}', found {found!r}.")
        keys = ("reference", "current", "columns", "groups", "summary", "rule", "params")
        missing = [k for k in (*keys, "provenance") if k not in payload]
        if missing:
            raise SchemaError(
                f"The '{DRIFT_SCHEMA}' result is missing the keys: {', '.join(missing)}."
            )
        return cls(copy.deepcopy(payload))

    @classmethod
    def from_json(cls, text: str) -> DriftResult:
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
        """``assay.drift/v1``."""
        return str(self._payload["schema"])

    @property
    def drifted(self) -> list[str]:
        """Columns whose drift decision is positive."""
        return list(self._payload["summary"]["drifted"])

    @property
    def dataset_drift(self) -> bool:
        """Whether the share of drifted columns reached ``drift_share``."""
        return bool(self._payload["summary"]["dataset_drift"])

    @property
    def problems(self) -> list[dict[str, Any]]:
        """What could not be compared, and why (missing columns, type changes, empty data)."""
        return copy.deepcopy(self._payload["problems"])

    def column(self, name: str) -> dict[str, Any]:
        """The full entry of one column."""
        for entry in self._payload["columns"]:
            if entry["column"] == name:
                return copy.deepcopy(entry)
        names = ", ".join(e["column"] for e in self._payload["columns"])
        raise SchemaError(f"The result has no column '{name}'; it has: {names}.")

    def by_column(self) -> pl.DataFrame:
        """One row per column: test, statistic, p, q, effect size, decision."""
        return pl.DataFrame([_flat(e) for e in self._payload["columns"]], infer_schema_length=None)

    def by_group(self) -> pl.DataFrame:
        """One row per protected group and column."""
        rows = [
            {"by": g["by"], "group": g["group"]} | _flat(e)
            for g in self._payload["groups"]
            for e in g["columns"]
        ]
        return pl.DataFrame(rows, infer_schema_length=None)


def _flat(e: dict[str, Any]) -> dict[str, Any]:
    s = e.get("statistics") or {}
    effect = e.get("effect") or {}
    return {
        "column": e["column"],
        "role": e.get("role"),
        "type": e.get("type"),
        "n_reference": e.get("n_reference"),
        "n_current": e.get("n_current"),
        "test": e.get("test"),
        "p_value": e.get("p_value"),
        "q_value": e.get("q_value"),
        "effect": effect.get("name"),
        "effect_value": effect.get("value"),
        "threshold": effect.get("threshold"),
        "drift": e.get("drift"),
        "psi": (s.get("psi") or {}).get("value"),
        "jensen_shannon": (s.get("jensen_shannon") or {}).get("value"),
        "resolution": e.get("resolution"),
    }

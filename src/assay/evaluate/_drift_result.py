"""The result of a drift check: frozen, JSON-serialisable, schema ``assay.drift/v1``."""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import polars as pl

from assay.errors import SchemaError
from assay.result import Result

DRIFT_SCHEMA = "assay.drift/v1"


class DriftGroupSummary(TypedDict):
    """A protected group in which some columns drifted."""

    by: str
    group: Any
    columns: list[str]


class DriftSummary(TypedDict):
    """The ``summary`` of an ``assay.drift/v1`` result."""

    n_columns: int
    n_tested: int
    n_drifted: int
    drifted: list[str]
    share_drifted: float
    dataset_drift: bool
    prediction_drift: bool | None
    label_drift: bool | None
    groups_with_drift: list[DriftGroupSummary]
    n_problems: int


class DriftPayload(TypedDict):
    """The ``assay.drift/v1`` payload."""

    schema: str
    reference: dict[str, Any]
    current: dict[str, Any]
    columns: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    summary: DriftSummary
    problems: list[dict[str, Any]]
    rule: dict[str, Any]
    methods: dict[str, str]
    params: dict[str, Any]
    provenance: dict[str, Any]


class DriftResult(Result[DriftPayload]):
    """What :func:`assay.evaluate.drift` found.

    :meth:`by_column` gives one row per column (statistics, test, BH-adjusted q-value, effect size
    and decision); :meth:`by_group` the same per protected group; :attr:`drifted` names the
    columns that drifted. Everything, including the rule that chose each test, is in
    :meth:`to_dict`.
    """

    SCHEMA = DRIFT_SCHEMA
    Payload = DriftPayload
    HTML_REPORT = "assay.evaluate._drift_report:render_drift_html"

    def __repr__(self) -> str:
        s = self._payload["summary"]
        return (
            f"DriftResult(columns={s['n_tested']}, drifted={s['drifted']!r}, "
            f"dataset_drift={s['dataset_drift']})"
        )

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

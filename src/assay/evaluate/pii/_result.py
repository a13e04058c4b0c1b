"""The result of a PII scan: frozen, JSON-serialisable, schema ``assay.pii/v1``.

Nothing in it is a raw value: examples are masked (``j***@e***.com``) before they enter it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from assay.errors import SchemaError

SCHEMA = "assay.pii/v1"
RISK_SCHEMA = "assay.reidentification/v1"

_REQUIRED = ("n_rows", "n_scanned", "columns", "totals", "skipped", "params", "provenance")


def _load(payload: Any, schema: str, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(payload, dict) or payload.get("schema") != schema:
        found = payload.get("schema") if isinstance(payload, dict) else type(payload).__name__
        raise SchemaError(f"Expected a result with schema '{schema}', found {found!r}.")
    missing = [k for k in required if k not in payload]
    if missing:
        raise SchemaError(f"The '{schema}' result is missing the keys: {', '.join(missing)}.")
    return copy.deepcopy(payload)


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"The result is not valid JSON: {exc.msg} (line {exc.lineno}).") from None


@dataclass(frozen=True)
class ReidentificationRisk:
    """How identifiable rows are from their quasi-identifiers (``assay.reidentification/v1``).

    ``k`` is the size of the smallest equivalence class (rows sharing every quasi-identifier
    value); ``unique_share`` the share of rows alone in their class; ``l_diversity`` the smallest
    number of distinct sensitive values in a class; ``combinations`` which subsets of the
    quasi-identifiers already single people out.
    """

    _payload: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"ReidentificationRisk(quasi_identifiers={p['quasi_identifiers']!r}, k={p['k']}, "
            f"unique_share={p['unique_share']:.4f}, n={p['n']})"
        )

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ReidentificationRisk:
        """Rebuild from :meth:`to_dict` output."""
        return cls(_load(payload, RISK_SCHEMA, ("n", "k", "quasi_identifiers", "combinations")))

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain JSON types."""
        return copy.deepcopy(self._payload)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self._payload, indent=indent, ensure_ascii=False)

    @property
    def k(self) -> int:
        """k-anonymity: rows in the smallest equivalence class (0 for no rows)."""
        return int(self._payload["k"])

    @property
    def unique_share(self) -> float:
        """Share of rows that are unique on the quasi-identifiers."""
        return float(self._payload["unique_share"])

    @property
    def l_diversity(self) -> int | None:
        """Distinct sensitive values in the least diverse class; None without a sensitive
        column."""
        value = self._payload.get("l_diversity")
        return None if value is None else int(value)

    def combinations(self) -> pl.DataFrame:
        """k and uniqueness of each subset of the quasi-identifiers that was examined."""
        rows = [
            {
                "columns": " + ".join(c["columns"]),
                "size": len(c["columns"]),
                "k": c["k"],
                "unique_records": c["unique_records"],
                "unique_share": c["unique_share"],
            }
            for c in self._payload["combinations"]
        ]
        return pl.DataFrame(rows, infer_schema_length=None)


@dataclass(frozen=True)
class PiiScanResult:
    """What :func:`assay.evaluate.pii.scan` found, in the ``assay.pii/v1`` schema.

    :meth:`inventory` is the column inventory (column → entity, prevalence, confidence, masked
    examples); :attr:`risk` and :attr:`minimisation` are present when quasi-identifiers or model
    features were given.
    """

    _payload: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        p = self._payload
        found = ", ".join(f"{e}={t['matches']}" for e, t in p["totals"]["entities"].items())
        return (
            f"PiiScanResult(n_rows={p['n_rows']}, n_scanned={p['n_scanned']}, "
            f"pii_columns={p['totals']['pii_columns']!r}, found=[{found}])"
        )

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> PiiScanResult:
        """Rebuild a result from :meth:`to_dict` output (for example a recorded evidence file)."""
        return cls(_load(payload, SCHEMA, _REQUIRED))

    @classmethod
    def from_json(cls, text: str) -> PiiScanResult:
        """Rebuild a result from :meth:`to_json` output."""
        return cls.from_dict(_parse(text))

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the result as plain JSON types."""
        return copy.deepcopy(self._payload)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self._payload, indent=indent, ensure_ascii=False)

    def to_markdown(self) -> str:
        """The report as Markdown."""
        from assay.evaluate.pii._render import render_markdown

        return render_markdown(self._payload)

    def to_html(self) -> str:
        """The report as one self-contained HTML page."""
        from assay.evaluate.pii._render import render_html

        return render_html(self._payload)

    @property
    def schema(self) -> str:
        """The schema identifier, ``assay.pii/v1``."""
        return str(self._payload["schema"])

    @property
    def n_rows(self) -> int:
        """Rows in the data."""
        return int(self._payload["n_rows"])

    @property
    def n_scanned(self) -> int:
        """Rows scanned (all of them, or the sample)."""
        return int(self._payload["n_scanned"])

    @property
    def pii_columns(self) -> list[str]:
        """Columns where personal data was found."""
        return list(self._payload["totals"]["pii_columns"])

    @property
    def entities(self) -> dict[str, int]:
        """Matches found of each entity type."""
        return {e: int(t["matches"]) for e, t in self._payload["totals"]["entities"].items()}

    @property
    def risk(self) -> ReidentificationRisk | None:
        """Re-identification risk for the quasi-identifiers given, if any."""
        risk = self._payload.get("risk")
        return None if risk is None else ReidentificationRisk(copy.deepcopy(risk))

    @property
    def minimisation(self) -> dict[str, Any] | None:
        """The data-minimisation comparison with the model's features, if features were given."""
        value = self._payload.get("minimisation")
        return None if value is None else copy.deepcopy(value)

    def inventory(self) -> pl.DataFrame:
        """One row per (column, entity type) found: rows, matches, prevalence, confidence, masked
        examples."""
        rows = []
        for col in self._payload["columns"]:
            for ent in col["entities"]:
                ci = ent.get("prevalence_ci") or [None, None]
                rows.append(
                    {
                        "column": col["column"],
                        "entity": ent["entity"],
                        "rows": ent["rows"],
                        "matches": ent["matches"],
                        "prevalence": ent["prevalence"],
                        "prevalence_low": ci[0],
                        "prevalence_high": ci[1],
                        "confidence": ent["confidence"],
                        "examples": ", ".join(ent["examples"]),
                    }
                )
        schema = {
            "column": pl.String,
            "entity": pl.String,
            "rows": pl.Int64,
            "matches": pl.Int64,
            "prevalence": pl.Float64,
            "prevalence_low": pl.Float64,
            "prevalence_high": pl.Float64,
            "confidence": pl.Float64,
            "examples": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

"""The result of a PII scan: frozen, JSON-serialisable, schema ``assay.pii/v1``.

Nothing in it is a raw value: examples are masked (``j***@e***.com``) before they enter it.
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import polars as pl

from assay.result import Result

SCHEMA = "assay.pii/v1"
RISK_SCHEMA = "assay.reidentification/v1"


class ClassSummary(TypedDict):
    """The equivalence classes of some quasi-identifiers: k, classes, unique and at-risk rows."""

    k: int
    classes: int
    unique_records: int
    unique_share: float
    records_at_risk: int
    records_at_risk_share: float


class ReidentificationPayload(ClassSummary):
    """The ``assay.reidentification/v1`` payload: the classes of every quasi-identifier together
    (the keys of :class:`ClassSummary`), then l-diversity, prosecutor risk and the subsets."""

    schema: str
    n: int
    quasi_identifiers: list[str]
    sensitive: str | None
    k_threshold: int
    l_diversity: int | None
    highest_prosecutor_risk: float | None
    average_prosecutor_risk: float | None
    combinations: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    engine: str


class ReidentificationRisk(Result[ReidentificationPayload]):
    """How identifiable rows are from their quasi-identifiers (``assay.reidentification/v1``).

    ``k`` is the size of the smallest equivalence class (rows sharing every quasi-identifier
    value); ``unique_share`` the share of rows alone in their class; ``l_diversity`` the smallest
    number of distinct sensitive values in a class; ``combinations`` which subsets of the
    quasi-identifiers already single people out.
    """

    SCHEMA = RISK_SCHEMA
    Payload = ReidentificationPayload

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"ReidentificationRisk(quasi_identifiers={p['quasi_identifiers']!r}, k={p['k']}, "
            f"unique_share={p['unique_share']:.4f}, n={p['n']})"
        )

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


class PiiTotals(TypedDict):
    """The ``totals`` of an ``assay.pii/v1`` result."""

    matches: int
    rows_with_pii: int
    pii_columns: list[str]
    entities: dict[str, dict[str, Any]]


class PiiPayload(TypedDict):
    """The ``assay.pii/v1`` payload. Nothing in it is a raw value."""

    schema: str
    n_rows: int
    n_scanned: int
    sample: dict[str, Any] | None
    columns: list[dict[str, Any]]
    totals: PiiTotals
    skipped: list[dict[str, Any]]
    input: dict[str, Any]
    risk: dict[str, Any] | None
    minimisation: dict[str, Any] | None
    params: dict[str, Any]
    provenance: dict[str, Any]


class PiiScanResult(Result[PiiPayload]):
    """What :func:`assay.evaluate.pii.scan` found, in the ``assay.pii/v1`` schema.

    :meth:`inventory` is the column inventory (column → entity, prevalence, confidence, masked
    examples); :attr:`risk` and :attr:`minimisation` are present when quasi-identifiers or model
    features were given.
    """

    SCHEMA = SCHEMA
    Payload = PiiPayload
    HTML_REPORT = "assay.evaluate.pii._render:render_html"

    def __repr__(self) -> str:
        p = self._payload
        found = ", ".join(f"{e}={t['matches']}" for e, t in p["totals"]["entities"].items())
        return (
            f"PiiScanResult(n_rows={p['n_rows']}, n_scanned={p['n_scanned']}, "
            f"pii_columns={p['totals']['pii_columns']!r}, found=[{found}])"
        )

    def to_markdown(self) -> str:
        """The report as Markdown."""
        from assay.evaluate.pii._render import render_markdown

        return render_markdown(self._payload)

    def to_html(self) -> str:
        """The report as one self-contained HTML page."""
        from assay.evaluate.pii._render import render_html

        return render_html(self._payload)

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
        return None if risk is None else ReidentificationRisk.from_dict(risk)

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

"""Results of robustness runs and of explanations: frozen, JSON-serialisable, versioned."""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import polars as pl

from assay.errors import SchemaError
from assay.result import Result

ROBUSTNESS_SCHEMA = "assay.robustness/v1"
EXPLANATION_SCHEMA = "assay.explanation/v1"

#: Worst first: the outcome of a run is the worst verdict of its probes.
VERDICT_ORDER = ("error", "fail", "insufficient_evidence", "pass", "none")


def worst(verdicts: list[str]) -> str:
    """The worst of several verdicts (``none`` when there are none)."""
    for level in VERDICT_ORDER:
        if level in verdicts:
            return level
    return "none"


class RobustnessPayload(TypedDict):
    """The ``assay.robustness/v1`` payload."""

    schema: str
    task: str
    n: int
    model: dict[str, Any]
    outcome: str
    error: str | None
    baseline: dict[str, Any] | None
    probes: list[dict[str, Any]]
    notes: list[str]
    methods: dict[str, str]
    params: dict[str, Any]
    timing: dict[str, Any]
    provenance: dict[str, Any]


class RobustnessResult(Result[RobustnessPayload]):
    """What :func:`assay.robustness.run_robustness` found, in the ``assay.robustness/v1`` schema.

    ``probes`` holds one entry per probe with its status (``ok`` or ``errored`` with a reason),
    what it changed, metric deltas against the baseline with intervals overall and by group,
    the checks against limits and the probe's verdict; ``outcome`` is the worst verdict.
    """

    SCHEMA = ROBUSTNESS_SCHEMA
    Payload = RobustnessPayload
    HTML_REPORT = "assay.robustness:render_robustness_html"

    def __repr__(self) -> str:
        p = self._payload
        return f"RobustnessResult(n={p['n']}, probes={len(p['probes'])}, outcome={p['outcome']!r})"

    @property
    def n(self) -> int:
        """Rows evaluated."""
        return int(self._payload["n"])

    @property
    def outcome(self) -> str:
        """``error``, ``fail``, ``insufficient_evidence``, ``pass`` or ``none`` (no limits)."""
        return str(self._payload["outcome"])

    @property
    def probes(self) -> list[dict[str, Any]]:
        """Every probe's entry."""
        return copy.deepcopy(self._payload["probes"])

    def summary(self) -> pl.DataFrame:
        """One row per probe: name, kind, status, verdict, and the overall changes."""
        rows = []
        for p in self._payload["probes"]:
            overall = next((d for d in p.get("deltas", []) if not d["by"]), None)
            metrics = overall["metrics"] if overall else {}

            def delta(name: str, m: dict[str, Any] = metrics) -> float | None:
                entry = m.get(name)
                if entry is None:
                    return None
                value = entry.get("delta", entry) if isinstance(entry, dict) else None
                return value.get("value") if isinstance(value, dict) else None

            rows.append(
                {
                    "probe": p["name"],
                    "kind": p["kind"],
                    "status": p["status"],
                    "verdict": p["verdict"],
                    "accuracy_change": delta("accuracy"),
                    "selection_rate_change": delta("selection_rate"),
                    "flip_rate": delta("flip_rate"),
                }
            )
        return pl.DataFrame(rows, infer_schema_length=None)


class ExplanationPayload(TypedDict):
    """The ``assay.explanation/v1`` payload."""

    schema: str
    n: int
    model: dict[str, Any]
    permutation: dict[str, Any]
    shap: dict[str, Any]
    methods: dict[str, str]
    params: dict[str, Any]
    timing: dict[str, Any]
    provenance: dict[str, Any]


class ExplanationResult(Result[ExplanationPayload]):
    """Feature importances overall and by group, in the ``assay.explanation/v1`` schema."""

    SCHEMA = EXPLANATION_SCHEMA
    Payload = ExplanationPayload
    HTML_REPORT = "assay.robustness:render_explanation_html"

    def __repr__(self) -> str:
        p = self._payload
        top = [e["feature"] for e in p["permutation"]["overall"][:3]]
        return f"ExplanationResult(n={p['n']}, top_features={top})"

    @property
    def n(self) -> int:
        """Rows explained."""
        return int(self._payload["n"])

    def importances(self, by: str | None = None) -> pl.DataFrame:
        """Permutation importance per feature: overall, or one column per group of ``by``."""
        perm = self._payload["permutation"]
        if by is None:
            return pl.DataFrame(
                [
                    {
                        "feature": e["feature"],
                        "importance": e["importance"]["value"],
                        "ci_low": e["importance"]["ci_low"],
                        "ci_high": e["importance"]["ci_high"],
                    }
                    for e in perm["overall"]
                ]
            )
        rows: dict[str, dict[str, Any]] = {}
        for g in perm["by_group"]:
            if g["by"] != [by]:
                continue
            label = str(g["group"][by])
            for e in g["importances"]:
                rows.setdefault(e["feature"], {"feature": e["feature"]})[label] = e["importance"][
                    "value"
                ]
        if not rows:
            raise SchemaError(f"The explanation has no groups by '{by}'.")
        return pl.DataFrame(list(rows.values()), infer_schema_length=None)

"""The result of a fairness evaluation: frozen, JSON-serialisable, with MetricFrame-like views."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, TypedDict

import polars as pl

from assay.errors import InputError
from assay.result import Result

SCHEMA = "assay.fairness/v1"


class _VerdictRequired(TypedDict):
    rule: str
    by: list[str]
    limit: float
    direction: str
    estimate: dict[str, Any]
    method: str
    comparisons: int
    verdict: str
    reason: str


class FairnessVerdict(_VerdictRequired, total=False):
    """The verdict of one limit on one grouping (an entry of ``verdicts``)."""

    min_group_size: int
    ci_level: float
    sample_size: dict[str, dict[str, Any]]
    """For an ``insufficient_evidence`` verdict: each limiting group's rows, ``have`` and ``need``.
    """
    sample_size_power: float


class FairnessPayload(TypedDict):
    """The ``assay.fairness/v1`` payload (``docs/schemas/fairness-v1.schema.json``)."""

    schema: str
    task: str
    n: int
    groups: list[dict[str, Any]]
    overall: dict[str, Any]
    disparities: list[dict[str, Any]]
    summaries: list[dict[str, Any]]
    four_fifths: list[dict[str, Any]]
    verdicts: list[FairnessVerdict]
    calibration: list[dict[str, Any]]
    threshold_sweep: list[dict[str, Any]]
    notes: list[str]
    methods: dict[str, str]
    params: dict[str, Any]
    provenance: dict[str, Any]


class FairnessResult(Result[FairnessPayload]):
    """What :func:`assay.evaluate.fairness` found, in the ``assay.fairness/v1`` schema.

    The views follow Fairlearn's ``MetricFrame`` vocabulary: :attr:`overall`, :meth:`by_group`,
    :meth:`difference` and :meth:`ratio`. Every value also carries its confidence interval in
    :meth:`to_dict`; undefined values are ``None`` with a reason, never NaN.
    """

    SCHEMA = SCHEMA
    Payload = FairnessPayload
    HTML_REPORT = "assay.documents:render_fairness_html"

    def __repr__(self) -> str:
        p = self._payload
        verdicts = ", ".join(
            f"{v['rule']}[{' × '.join(v['by'])}]={v['verdict']}" for v in p["verdicts"]
        )
        return (
            f"FairnessResult(task={p['task']!r}, n={p['n']}, "
            f"sensitive_features={p['params']['sensitive_features']!r}, verdicts=[{verdicts}])"
        )

    @property
    def n(self) -> int:
        """Rows evaluated."""
        return int(self._payload["n"])

    @property
    def overall(self) -> dict[str, float | None]:
        """Each metric over the whole population."""
        return {k: v["value"] for k, v in self._payload["overall"]["metrics"].items()}

    @property
    def verdicts(self) -> list[dict[str, Any]]:
        """The verdict of every threshold on every grouping."""
        return [dict(v) for v in copy.deepcopy(self._payload["verdicts"])]

    @property
    def outcome(self) -> str:
        """``fail`` if any verdict fails, else ``insufficient_evidence`` if any is, else ``pass``;
        ``none`` when no thresholds were given."""
        found = {v["verdict"] for v in self._payload["verdicts"]}
        for level in ("fail", "insufficient_evidence", "pass"):
            if level in found:
                return level
        return "none"

    def _by(self, by: str | Sequence[str] | None) -> list[str]:
        features: list[str] = list(self._payload["params"]["sensitive_features"])
        chosen = features if by is None else [by] if isinstance(by, str) else list(by)
        known = [g["by"] for g in self._payload["groups"]]
        if chosen not in known:
            options = sorted({" × ".join(k) for k in known})
            raise InputError(
                f"No groups by {chosen}; the result has groups by: {', '.join(options)}."
            )
        return chosen

    def by_group(self, by: str | Sequence[str] | None = None) -> pl.DataFrame:
        """One row per group (by the given features; default all of them together) with ``n`` and
        every metric's value."""
        chosen = self._by(by)
        rows = []
        for g in self._payload["groups"]:
            if g["by"] == chosen:
                row = {f: g["group"][f] for f in chosen} | {"n": g["n"]}
                row |= {k: v["value"] for k, v in g["metrics"].items()}
                rows.append(row)
        return pl.DataFrame(rows, infer_schema_length=None)

    def _disparity(self, by: str | Sequence[str] | None, kind: str) -> dict[str, float | None]:
        chosen = self._by(by)
        return {
            d["metric"]: d[kind]["value"] for d in self._payload["disparities"] if d["by"] == chosen
        }

    def difference(self, by: str | Sequence[str] | None = None) -> dict[str, float | None]:
        """max − min across groups of each metric."""
        return self._disparity(by, "difference")

    def ratio(self, by: str | Sequence[str] | None = None) -> dict[str, float | None]:
        """min / max across groups of each metric."""
        return self._disparity(by, "ratio")

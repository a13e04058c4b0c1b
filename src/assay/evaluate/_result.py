"""The result of a fairness evaluation: frozen, JSON-serialisable, with MetricFrame-like views."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from assay.errors import InputError, SchemaError

SCHEMA = "assay.fairness/v1"


@dataclass(frozen=True)
class FairnessResult:
    """What :func:`assay.evaluate.fairness` found, in the ``assay.fairness/v1`` schema.

    The views follow Fairlearn's ``MetricFrame`` vocabulary: :attr:`overall`, :meth:`by_group`,
    :meth:`difference` and :meth:`ratio`. Every value also carries its confidence interval in
    :meth:`to_dict`; undefined values are ``None`` with a reason, never NaN.
    """

    _payload: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        p = self._payload
        verdicts = ", ".join(
            f"{v['rule']}[{' × '.join(v['by'])}]={v['verdict']}" for v in p["verdicts"]
        )
        return (
            f"FairnessResult(task={p['task']!r}, n={p['n']}, "
            f"sensitive_features={p['params']['sensitive_features']!r}, verdicts=[{verdicts}])"
        )

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> FairnessResult:
        """Rebuild a result from :meth:`to_dict` output (for example a recorded evidence file)."""
        if not isinstance(payload, dict) or payload.get("schema") != SCHEMA:
            found = payload.get("schema") if isinstance(payload, dict) else type(payload).__name__
            raise SchemaError(f"Expected a result with schema '{SCHEMA}', found {found!r}.")
        missing = [
            k
            for k in ("n", "groups", "overall", "disparities", "verdicts", "params", "provenance")
            if k not in payload
        ]
        if missing:
            raise SchemaError(f"The '{SCHEMA}' result is missing the keys: {', '.join(missing)}.")
        return cls(copy.deepcopy(payload))

    @classmethod
    def from_json(cls, text: str) -> FairnessResult:
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
        """The result as JSON text (keys in a stable order)."""
        return json.dumps(self._payload, indent=indent, ensure_ascii=False)

    @property
    def schema(self) -> str:
        """The schema identifier, ``assay.fairness/v1``."""
        return str(self._payload["schema"])

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
        return copy.deepcopy(self._payload["verdicts"])

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

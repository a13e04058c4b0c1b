"""The result of a mitigation run (``assay.mitigation/v1``): the method and constraint, the
model's accuracy and disparity before and after on held-out rows with their intervals, the
frontier over the method's settings, what was written, and both fairness evaluations in full."""

from __future__ import annotations

from typing import Any, TypedDict

from assay.result import Result

__all__ = [
    "MITIGATION_SCHEMA",
    "MitigationEstimate",
    "MitigationPayload",
    "MitigationPoint",
    "MitigationResult",
    "MitigationSide",
]

MITIGATION_SCHEMA = "assay.mitigation/v1"


class MitigationEstimate(TypedDict):
    """A value with its confidence interval (None where undefined)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None


class MitigationSide(TypedDict):
    """The model before or after mitigation, on the held-out rows."""

    accuracy: MitigationEstimate
    disparity: MitigationEstimate
    verdict: str | None
    """The verdict of the disparity against ``limit`` (None without a limit)."""
    selection_rate: MitigationEstimate


class MitigationPoint(TypedDict):
    """One setting of the method on the frontier."""

    setting: float | None
    label: str
    chosen: bool
    accuracy: MitigationEstimate
    disparity: MitigationEstimate


class MitigationPayload(TypedDict):
    """A mitigation run: before, after, the frontier and the artefact written."""

    schema: str
    method: str
    constraint: str
    disparity_metric: str
    limit: float | None
    n_train: int
    n_test: int
    chosen: MitigationPoint
    before: MitigationSide
    after: MitigationSide
    frontier: list[MitigationPoint]
    artefact: dict[str, Any]
    """What was written (``kind`` thresholds or model, ``path``, ``sha256``) and, for the
    threshold method, the per-group thresholds; for reweighing, the weight of each cell."""
    evaluations: dict[str, Any]
    """The fairness results (``assay.fairness/v1``) of the model ``before`` and ``after``."""
    notes: list[str]
    params: dict[str, Any]
    provenance: dict[str, Any]


class MitigationResult(Result[MitigationPayload]):
    """A mitigation's before/after evidence (``assay.mitigation/v1``)."""

    SCHEMA = MITIGATION_SCHEMA
    Payload = MitigationPayload

    @property
    def before(self) -> MitigationSide:
        """Accuracy and disparity of the model as it was."""
        return self._payload["before"]

    @property
    def after(self) -> MitigationSide:
        """Accuracy and disparity of the mitigated model at the chosen setting."""
        return self._payload["after"]

    @property
    def frontier(self) -> list[MitigationPoint]:
        """Accuracy and disparity at every setting, in the order they were run."""
        return self._payload["frontier"]

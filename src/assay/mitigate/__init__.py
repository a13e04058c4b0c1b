"""Mitigation: reduce a model's disparity and show what it cost, as evidence.

:func:`mitigate` wraps Fairlearn's post-processing (``threshold``: per-group thresholds on the
score, ThresholdOptimizer) and reductions (``exponentiated_gradient``, ``grid_search``), and
Kamiran–Calders reweighing as pre-processing (:func:`reweighing_weights`), for a model
:func:`assay.robustness.load_model` loads. It judges the model before and after on held-out rows
with :func:`assay.evaluate.fairness` (same intervals and verdicts), runs the method over its
settings for the accuracy–disparity frontier, writes the thresholds or the mitigated model, and
returns a :class:`MitigationResult` (``assay.mitigation/v1``) to record as ``mitigation``
evidence. Fairlearn and scikit-learn are the ``[mitigate]`` extra, imported when a run starts.
"""

from __future__ import annotations

from assay.mitigate._options import (
    CONSTRAINTS,
    DEFAULT_STRENGTHS,
    DEFAULT_TOLERANCES,
    METHODS,
    MISSING_EXTRA,
    MitigationOptions,
    check_options,
)
from assay.mitigate._result import (
    MITIGATION_SCHEMA,
    MitigationEstimate,
    MitigationPayload,
    MitigationPoint,
    MitigationResult,
    MitigationSide,
)
from assay.mitigate._reweighing import reweighing_table, reweighing_weights
from assay.mitigate._run import Mitigation, mitigate

__all__ = [
    "CONSTRAINTS",
    "DEFAULT_STRENGTHS",
    "DEFAULT_TOLERANCES",
    "METHODS",
    "MISSING_EXTRA",
    "MITIGATION_SCHEMA",
    "Mitigation",
    "MitigationEstimate",
    "MitigationOptions",
    "MitigationPayload",
    "MitigationPoint",
    "MitigationResult",
    "MitigationSide",
    "check_options",
    "mitigate",
    "reweighing_table",
    "reweighing_weights",
]

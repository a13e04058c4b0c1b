"""Pure computation over the user's data: fairness and performance by subgroup.

Everything here reads a frame (or a file) and returns a frozen result; nothing writes to a store.
"""

from __future__ import annotations

from assay.evaluate._drift import drift
from assay.evaluate._drift_profile import ReferenceProfile, reference_profile
from assay.evaluate._drift_result import DriftResult
from assay.evaluate._fairness import fairness
from assay.evaluate._metrics import CONFUSION_METRICS
from assay.evaluate._quality import quality
from assay.evaluate._quality_result import QualityResult
from assay.evaluate._quality_spec import DataSchema, Population
from assay.evaluate._regression import REGRESSION_METRICS
from assay.evaluate._result import FairnessResult
from assay.evaluate._scores import SCORE_METRICS
from assay.evaluate._verdicts import rule_names as threshold_names

__all__ = [
    "CONFUSION_METRICS",
    "REGRESSION_METRICS",
    "SCORE_METRICS",
    "DataSchema",
    "DriftResult",
    "FairnessResult",
    "Population",
    "QualityResult",
    "ReferenceProfile",
    "drift",
    "fairness",
    "quality",
    "reference_profile",
    "threshold_names",
]

"""Pure computation over the user's data: fairness and performance by subgroup.

Everything here reads a frame (or a file) and returns a frozen result; nothing writes to a store.
Names are imported on first use, so ``from assay.evaluate import threshold_names`` (the policy's
validation) does not load the dataframe and statistics stack that ``fairness`` needs.
"""

from __future__ import annotations

import importlib
import typing
from typing import Any

if typing.TYPE_CHECKING:
    from assay.evaluate._drift import drift
    from assay.evaluate._drift_profile import (
        ProfilePayload,
        ReferenceProfile,
        column_kind,
        reference_profile,
    )
    from assay.evaluate._drift_result import (
        DriftGroupSummary,
        DriftPayload,
        DriftResult,
        DriftSummary,
    )
    from assay.evaluate._fairness import fairness
    from assay.evaluate._frame import (
        COLUMNS_DIGEST_OF,
        Source,
        columns_digest,
        file_digest,
        open_frame,
    )
    from assay.evaluate._group_limit import MAX_GROUPS, check_group_count
    from assay.evaluate._limits import regression_rule_names as regression_threshold_names
    from assay.evaluate._limits import rule_names as threshold_names
    from assay.evaluate._limits import validate_thresholds
    from assay.evaluate._metrics import CONFUSION_METRICS
    from assay.evaluate._plan import SampleSizePlan, plan_sample_size
    from assay.evaluate._quality import quality
    from assay.evaluate._quality_result import (
        QualityFindings,
        QualityPayload,
        QualityResult,
        QualitySummary,
    )
    from assay.evaluate._quality_spec import DataSchema, Population
    from assay.evaluate._regression import REGRESSION_METRICS
    from assay.evaluate._result import FairnessPayload, FairnessResult, FairnessVerdict
    from assay.evaluate._scores import SCORE_METRICS
    from assay.evaluate._stats import holm_reject, newcombe, wilson, z_value
    from assay.evaluate._threshold import check_threshold
    from assay.evaluate._verdicts import judge

#: public name → (module, attribute)
_LAZY: dict[str, tuple[str, str]] = {
    "COLUMNS_DIGEST_OF": ("assay.evaluate._frame", "COLUMNS_DIGEST_OF"),
    "CONFUSION_METRICS": ("assay.evaluate._metrics", "CONFUSION_METRICS"),
    "MAX_GROUPS": ("assay.evaluate._group_limit", "MAX_GROUPS"),
    "REGRESSION_METRICS": ("assay.evaluate._regression", "REGRESSION_METRICS"),
    "SCORE_METRICS": ("assay.evaluate._scores", "SCORE_METRICS"),
    "DataSchema": ("assay.evaluate._quality_spec", "DataSchema"),
    "DriftGroupSummary": ("assay.evaluate._drift_result", "DriftGroupSummary"),
    "DriftPayload": ("assay.evaluate._drift_result", "DriftPayload"),
    "DriftResult": ("assay.evaluate._drift_result", "DriftResult"),
    "DriftSummary": ("assay.evaluate._drift_result", "DriftSummary"),
    "FairnessPayload": ("assay.evaluate._result", "FairnessPayload"),
    "FairnessResult": ("assay.evaluate._result", "FairnessResult"),
    "FairnessVerdict": ("assay.evaluate._result", "FairnessVerdict"),
    "Population": ("assay.evaluate._quality_spec", "Population"),
    "ProfilePayload": ("assay.evaluate._drift_profile", "ProfilePayload"),
    "QualityFindings": ("assay.evaluate._quality_result", "QualityFindings"),
    "QualityPayload": ("assay.evaluate._quality_result", "QualityPayload"),
    "QualityResult": ("assay.evaluate._quality_result", "QualityResult"),
    "QualitySummary": ("assay.evaluate._quality_result", "QualitySummary"),
    "ReferenceProfile": ("assay.evaluate._drift_profile", "ReferenceProfile"),
    "SampleSizePlan": ("assay.evaluate._plan", "SampleSizePlan"),
    "Source": ("assay.evaluate._frame", "Source"),
    "check_group_count": ("assay.evaluate._group_limit", "check_group_count"),
    "check_threshold": ("assay.evaluate._threshold", "check_threshold"),
    "column_kind": ("assay.evaluate._drift_profile", "column_kind"),
    "columns_digest": ("assay.evaluate._frame", "columns_digest"),
    "drift": ("assay.evaluate._drift", "drift"),
    "fairness": ("assay.evaluate._fairness", "fairness"),
    "file_digest": ("assay.evaluate._frame", "file_digest"),
    "holm_reject": ("assay.evaluate._stats", "holm_reject"),
    "judge": ("assay.evaluate._verdicts", "judge"),
    "newcombe": ("assay.evaluate._stats", "newcombe"),
    "open_frame": ("assay.evaluate._frame", "open_frame"),
    "plan_sample_size": ("assay.evaluate._plan", "plan_sample_size"),
    "quality": ("assay.evaluate._quality", "quality"),
    "reference_profile": ("assay.evaluate._drift_profile", "reference_profile"),
    "regression_threshold_names": ("assay.evaluate._limits", "regression_rule_names"),
    "threshold_names": ("assay.evaluate._limits", "rule_names"),
    "validate_thresholds": ("assay.evaluate._limits", "validate_thresholds"),
    "wilson": ("assay.evaluate._stats", "wilson"),
    "z_value": ("assay.evaluate._stats", "z_value"),
}

__all__ = [
    "COLUMNS_DIGEST_OF",
    "CONFUSION_METRICS",
    "MAX_GROUPS",
    "REGRESSION_METRICS",
    "SCORE_METRICS",
    "DataSchema",
    "DriftGroupSummary",
    "DriftPayload",
    "DriftResult",
    "DriftSummary",
    "FairnessPayload",
    "FairnessResult",
    "FairnessVerdict",
    "Population",
    "ProfilePayload",
    "QualityFindings",
    "QualityPayload",
    "QualityResult",
    "QualitySummary",
    "ReferenceProfile",
    "SampleSizePlan",
    "Source",
    "check_group_count",
    "check_threshold",
    "column_kind",
    "columns_digest",
    "drift",
    "fairness",
    "file_digest",
    "holm_reject",
    "judge",
    "newcombe",
    "open_frame",
    "plan_sample_size",
    "quality",
    "reference_profile",
    "regression_threshold_names",
    "threshold_names",
    "validate_thresholds",
    "wilson",
    "z_value",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'assay.evaluate' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""Robustness and stress tests, and explanations, for tabular binary classifiers.

Load a model (:func:`load_model`: scikit-learn files, ONNX, MLflow, HTTP endpoints), run probes
declared in a scenario or the defaults (:func:`run_robustness`, :func:`run_default_probes`),
explain it overall and by group (:func:`explain`), and render the report
(:func:`render_robustness_html`, :func:`render_robustness_markdown`).

Models loaded from pickle or joblib files run code while they load: load only trusted files.
"""

from __future__ import annotations

from assay.robustness._explain import explain
from assay.robustness._models import (
    Model,
    ModelCallError,
    ModelInfo,
    PickleWarning,
    Predictions,
    load_model,
)
from assay.robustness._report import (
    render_explanation_html,
    render_explanation_markdown,
    render_robustness_html,
    render_robustness_markdown,
)
from assay.robustness._result import (
    ExplanationPayload,
    ExplanationResult,
    RobustnessPayload,
    RobustnessResult,
)
from assay.robustness._runner import default_scenario, run_default_probes, run_robustness
from assay.robustness._scenarios import (
    CHECKS,
    DEFAULT_LIMITS,
    PROBE_KINDS,
    Scenario,
    load_scenario,
    parse_scenario,
    scenario_json_schema,
)

__all__ = [
    "CHECKS",
    "DEFAULT_LIMITS",
    "PROBE_KINDS",
    "ExplanationPayload",
    "ExplanationResult",
    "Model",
    "ModelCallError",
    "ModelInfo",
    "PickleWarning",
    "Predictions",
    "RobustnessPayload",
    "RobustnessResult",
    "Scenario",
    "default_scenario",
    "explain",
    "load_model",
    "load_scenario",
    "parse_scenario",
    "render_explanation_html",
    "render_explanation_markdown",
    "render_robustness_html",
    "render_robustness_markdown",
    "run_default_probes",
    "run_robustness",
    "scenario_json_schema",
]

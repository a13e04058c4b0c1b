"""The policy gate for CI/CD and model registries: ``assay gate``.

It applies the policy's metric limits to evaluation results and checks the governance state of a
model version (open risks without waivers, expired waivers, missing or stale evidence,
completeness, approval of that exact version). Exit codes: 0 pass, 1 fail, 2 error.
"""

from __future__ import annotations

from assay.gate._controls import check_control, gate_controls
from assay.gate._model import (
    GATE_SCHEMA,
    GateCounts,
    GatePayload,
    GateResult,
    RuleOutcome,
    RuleOutcomePayload,
)
from assay.gate._notify import post_gate_to_webhook
from assay.gate._outputs import to_json, to_junit, to_markdown, to_sarif
from assay.gate._rules import evaluate_gate, record_gate, run_gate

__all__ = [
    "GATE_SCHEMA",
    "GateCounts",
    "GatePayload",
    "GateResult",
    "RuleOutcome",
    "RuleOutcomePayload",
    "check_control",
    "evaluate_gate",
    "gate_controls",
    "post_gate_to_webhook",
    "record_gate",
    "run_gate",
    "to_json",
    "to_junit",
    "to_markdown",
    "to_sarif",
]

"""Policy as code: evidence requirements per risk tier and checkpoint, and metric limits.

A policy is a YAML file validated against :class:`Policy` (JSON Schema in
``docs/schemas/policy-v1.schema.json``); errors name the file, the line and the field.
"""

from __future__ import annotations

from assay.policy._load import load_policy, load_yaml_model, parse_yaml_model, policy_json_schema
from assay.policy._model import (
    EVIDENCE_KINDS,
    POLICY_SCHEMA,
    POLICY_TIERS,
    Checkpoint,
    EvidenceRequirement,
    Policy,
    Thresholds,
    Tier,
)

__all__ = [
    "EVIDENCE_KINDS",
    "POLICY_SCHEMA",
    "POLICY_TIERS",
    "Checkpoint",
    "EvidenceRequirement",
    "Policy",
    "Thresholds",
    "Tier",
    "load_policy",
    "load_yaml_model",
    "parse_yaml_model",
    "policy_json_schema",
]

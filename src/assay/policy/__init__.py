"""Policy as code, and the home of every governance rule.

A policy is a YAML file validated against :class:`Policy` (JSON Schema in
``docs/schemas/policy-v1.schema.json``); errors name the file, the line and the field. Besides the
policy file, each rule has one module here: evidence kinds (:mod:`._kinds`), risk-rating bands
(:mod:`._ratings`), which open risks block (:mod:`._blocking`), waiver aging
(:mod:`._waiver_aging`), reporting periods (:mod:`._periods`), completeness minimums
(:mod:`._minimums`), evidence freshness (:mod:`._freshness`), roles and permissions
(:mod:`._roles`), risk tiers (:mod:`._tiers`), separation of duties (:mod:`._duties`) and API
token lifetime (:mod:`._tokens`).
Governance, the gate, documents, the web app and the CLI call them; nothing else writes a rule.
"""

from __future__ import annotations

from assay.policy._blocking import (
    OPEN_RISK_STATUSES,
    RiskLike,
    blocking_ratings,
    blocking_risks,
)
from assay.policy._duties import (
    INDEPENDENT_ACCEPTANCE,
    check_packet_signer,
    check_risk_acceptance,
    check_round_decision,
    needs_independent_acceptance,
)
from assay.policy._freshness import Dated, evidence_age_days, evidence_is_fresh, max_age_days
from assay.policy._kinds import (
    EVALUATION_KINDS,
    EVIDENCE_KINDS,
    KINDS,
    REQUIRABLE_KINDS,
    RESERVED_KINDS,
    EvidenceKind,
    evidence_kind,
    find_kind,
    kind_for_schema,
    stored_kinds,
)
from assay.policy._load import load_policy, load_yaml_model, parse_yaml_model, policy_json_schema
from assay.policy._minimums import DEFAULT_MINIMUM_COMPLETENESS, meets_minimum, minimum_percent
from assay.policy._model import (
    POLICY_SCHEMA,
    Checkpoint,
    EvidenceRequirement,
    Policy,
    Thresholds,
    Tier,
)
from assay.policy._periods import TREND_PERIODS, period_label, reporting_period, reporting_periods
from assay.policy._ratings import (
    HEAT_MAP_AXES,
    RATING_BANDS,
    RATING_FILL,
    RATINGS,
    current_scores,
    describe_bands,
    rating,
    rating_of_score,
    rating_rank,
)
from assay.policy._roles import ROLE_PERMISSIONS, ROLES, Role
from assay.policy._tiers import (
    ASSESSED_TIERS,
    DEFAULT_CHECKPOINT,
    POLICY_TIERS,
    RISK_TIERS,
    UNASSESSED,
)
from assay.policy._tokens import DEFAULT_TOKEN_DAYS, token_days
from assay.policy._waiver_aging import (
    WAIVER_AGE_BANDS,
    WAIVER_AGING_DAYS,
    waiver_age_band,
    waiver_age_days,
    waiver_over_aged,
)

__all__ = [
    "ASSESSED_TIERS",
    "DEFAULT_CHECKPOINT",
    "DEFAULT_MINIMUM_COMPLETENESS",
    "DEFAULT_TOKEN_DAYS",
    "EVALUATION_KINDS",
    "EVIDENCE_KINDS",
    "HEAT_MAP_AXES",
    "INDEPENDENT_ACCEPTANCE",
    "KINDS",
    "OPEN_RISK_STATUSES",
    "POLICY_SCHEMA",
    "POLICY_TIERS",
    "RATINGS",
    "RATING_BANDS",
    "RATING_FILL",
    "REQUIRABLE_KINDS",
    "RESERVED_KINDS",
    "RISK_TIERS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "TREND_PERIODS",
    "UNASSESSED",
    "WAIVER_AGE_BANDS",
    "WAIVER_AGING_DAYS",
    "Checkpoint",
    "Dated",
    "EvidenceKind",
    "EvidenceRequirement",
    "Policy",
    "RiskLike",
    "Role",
    "Thresholds",
    "Tier",
    "blocking_ratings",
    "blocking_risks",
    "check_packet_signer",
    "check_risk_acceptance",
    "check_round_decision",
    "current_scores",
    "describe_bands",
    "evidence_age_days",
    "evidence_is_fresh",
    "evidence_kind",
    "find_kind",
    "kind_for_schema",
    "load_policy",
    "load_yaml_model",
    "max_age_days",
    "meets_minimum",
    "minimum_percent",
    "needs_independent_acceptance",
    "parse_yaml_model",
    "period_label",
    "policy_json_schema",
    "rating",
    "rating_of_score",
    "rating_rank",
    "reporting_period",
    "reporting_periods",
    "stored_kinds",
    "token_days",
    "waiver_age_band",
    "waiver_age_days",
    "waiver_over_aged",
]

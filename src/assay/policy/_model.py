"""The policy file's schema: evidence requirements per risk tier and checkpoint, and metric limits.

Validated with pydantic; the JSON Schema in ``docs/schemas/policy-v1.schema.json`` is generated from
these models (``assay policy schema``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assay.errors import InputError
from assay.evaluate import regression_threshold_names, threshold_names, validate_thresholds
from assay.policy._duties import INDEPENDENT_ACCEPTANCE
from assay.policy._kinds import EVIDENCE_KINDS, KINDS
from assay.policy._minimums import DEFAULT_MINIMUM_COMPLETENESS
from assay.policy._ratings import RATINGS
from assay.policy._roles import ROLES
from assay.policy._tiers import POLICY_TIERS
from assay.policy._tokens import DEFAULT_TOKEN_DAYS

POLICY_SCHEMA = "assay.policy/v1"

#: What a requirement can repeat over: one item per training dataset or per sensitive feature.
FOR_EACH = ("training_dataset", "sensitive_feature")
#: The document kinds whose requirement may name sections.
_SECTIONED = tuple(k.name for k in KINDS if k.schema == "assay.sections/v1")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceRequirement(_Strict):
    """One piece of evidence a checkpoint needs."""

    kind: Literal[EVIDENCE_KINDS]  # type: ignore[valid-type]
    for_each: Literal[FOR_EACH] | None = None  # type: ignore[valid-type]
    max_age_days: int | None = Field(default=None, gt=0)
    sections: tuple[str, ...] = ()
    every_risk_has_owner: bool = False

    @model_validator(mode="after")
    def _sections_only_for_cards(self) -> EvidenceRequirement:
        if self.sections and self.kind not in _SECTIONED:
            raise ValueError(f"'sections' applies to {', '.join(_SECTIONED)}, not to '{self.kind}'")
        if self.every_risk_has_owner and self.kind != "risk_assessment":
            raise ValueError("'every_risk_has_owner' applies to kind 'risk_assessment' only")
        return self


class Checkpoint(_Strict):
    """What one governance checkpoint of a tier requires."""

    approvers: tuple[Literal[ROLES], ...] = ()  # type: ignore[valid-type]
    evidence: tuple[EvidenceRequirement, ...] = ()
    block_on_open_risks: tuple[Literal[RATINGS], ...] = (RATINGS[0],)  # type: ignore[valid-type]


class Tier(_Strict):
    """A risk tier's description and checkpoints."""

    description: str = ""
    checkpoints: dict[str, Checkpoint]

    @field_validator("checkpoints")
    @classmethod
    def _not_empty(cls, value: dict[str, Checkpoint]) -> dict[str, Checkpoint]:
        if not value:
            raise ValueError("a tier needs at least one checkpoint, for example 'pre-launch'")
        return value


class Thresholds(_Strict):
    """Metric limits used by verdicts."""

    fairness: dict[str, float] = Field(default_factory=dict)
    """Limits on classification rates (binary, and class by class for multiclass results)."""
    regression: dict[str, float] = Field(default_factory=dict)
    """Limits on gaps in error and mean prediction between groups of a regression result."""
    min_group_size: int = Field(default=30, ge=1)
    ci_level: float = Field(default=0.95, ge=0.5, lt=1.0)

    @field_validator("fairness")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        known = threshold_names()
        for name in value:
            if name not in known:
                raise ValueError(f"unknown fairness threshold '{name}'; known: {', '.join(known)}")
        return value

    @field_validator("regression")
    @classmethod
    def _known_regression_limits(cls, value: dict[str, float]) -> dict[str, float]:
        known = regression_threshold_names()
        for name in value:
            if name not in known:
                raise ValueError(
                    f"unknown regression threshold '{name}'; known: {', '.join(known)}"
                )
        try:
            validate_thresholds(value, "regression")
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return value


class Policy(_Strict):
    """A whole policy file."""

    schema_: Literal["assay.policy/v1"] = Field(alias="schema")
    name: str
    version: str = "1"
    minimum_completeness: float = Field(default=DEFAULT_MINIMUM_COMPLETENESS, ge=0.0, le=1.0)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    independent_acceptance: tuple[Literal[RATINGS], ...] = INDEPENDENT_ACCEPTANCE  # type: ignore[valid-type]
    """Risk ratings that only someone other than the risk's filer may accept."""
    api_token_days: int = Field(default=DEFAULT_TOKEN_DAYS, ge=1, le=366)
    """How long an API token lives at most (days)."""
    tiers: dict[Literal[POLICY_TIERS], Tier]  # type: ignore[valid-type]
    soa_exclusions: dict[str, str] = Field(default_factory=dict)
    """ISO/IEC 42001 Annex A controls the organisation excludes from its statement of
    applicability: control id (``A.10.4``) → the justification (required)."""

    @field_validator("soa_exclusions")
    @classmethod
    def _justified(cls, value: dict[str, str]) -> dict[str, str]:
        for control, why in value.items():
            if not why.strip():
                raise ValueError(
                    f"the exclusion of {control} has no justification; ISO/IEC 42001 6.1.3 "
                    "asks for one: write why the control does not apply"
                )
        return value

    def checkpoint(self, tier: str, checkpoint: str) -> Checkpoint:
        """The requirements of one tier's checkpoint, or a clear error naming what exists."""
        from assay.errors import InputError

        if tier not in self.tiers:
            defined = ", ".join(self.tiers)
            raise InputError(
                f"The policy '{self.name}' has no tier '{tier}'; it defines: {defined}."
            )
        points = self.tiers[tier].checkpoints
        if checkpoint not in points:
            raise InputError(
                f"Tier '{tier}' of policy '{self.name}' has no checkpoint '{checkpoint}'; "
                f"it defines: {', '.join(points)}."
            )
        return points[checkpoint]

"""What a gate run decides: one outcome per rule, and the decision over all of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Self, TypedDict

from assay.errors import SchemaError
from assay.result import Result

__all__ = [
    "GATE_SCHEMA",
    "GateCounts",
    "GatePayload",
    "GateResult",
    "RuleOutcome",
    "RuleOutcomePayload",
]

GATE_SCHEMA = "assay.gate/v1"
STATUSES = ("pass", "fail")


class RuleOutcomePayload(TypedDict):
    """One rule's outcome in an ``assay.gate/v1`` payload (see :class:`RuleOutcome`)."""

    rule: str
    status: str
    subject: str
    value: str
    threshold: str
    message: str
    fix: str
    source: str


class GateCounts(TypedDict):
    """How many rules ran, failed and passed."""

    rules: int
    failed: int
    passed: int


class GatePayload(TypedDict):
    """The ``assay.gate/v1`` payload."""

    schema: str
    decision: str
    policy: str
    policy_path: str
    system: str | None
    model_version: str | None
    tier: str | None
    checkpoint: str
    evaluated_at: str
    rules: list[str] | None
    counts: GateCounts
    outcomes: list[RuleOutcomePayload]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """The outcome of one gate rule.

    Attributes
    ----------
    rule
        A stable identifier, ``fairness.demographic_parity_difference``, ``risk.open``, ...
    status
        ``pass`` or ``fail``; insufficient evidence fails, it never passes silently.
    subject
        What the rule looked at: a grouping, a risk, a waiver, an evidence kind.
    value
        What was found, as text.
    threshold
        What the policy allows, as text.
    message
        One sentence naming what is wrong (or why it holds).
    fix
        How to make the rule pass: a command or an action; empty when it passes.
    source
        Where the value came from: a result file, an evidence record, the policy file.
    """

    rule: str
    status: str
    subject: str
    value: str
    threshold: str
    message: str
    fix: str = ""
    source: str = ""

    @property
    def passed(self) -> bool:
        """Whether the rule holds."""
        return self.status == "pass"

    def to_dict(self) -> RuleOutcomePayload:
        """The outcome as plain JSON types."""
        return {
            "rule": self.rule,
            "status": self.status,
            "subject": self.subject,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "fix": self.fix,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class GateResult(Result[GatePayload]):
    """The decision of one gate run, in the ``assay.gate/v1`` schema.

    Unlike the other results it is built from typed records (:class:`RuleOutcome`); its payload
    (:meth:`to_dict`) is computed from them, and :meth:`from_dict` reads one back.

    Attributes
    ----------
    policy
        The policy's name and version.
    policy_path
        The policy file (``default policy`` for the shipped one).
    system, model_version, tier, checkpoint
        What was gated; ``system`` and ``model_version`` are None for a gate over result files only.
    outcomes
        Every rule evaluated, in the order they were checked.
    evaluated_at
        When the gate ran (UTC).
    rules
        The rule families the run was limited to (``--rules``), in their usual order; None when
        every rule ran. A pass limited to some families is not a pass of the whole gate.
    """

    policy: str
    policy_path: str
    system: str | None
    model_version: str | None
    tier: str | None
    checkpoint: str
    outcomes: tuple[RuleOutcome, ...]
    evaluated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    rules: tuple[str, ...] | None = None

    @property
    def passed(self) -> bool:
        """True when every rule passes (a gate with no rules at all does not pass)."""
        return bool(self.outcomes) and all(o.passed for o in self.outcomes)

    @property
    def decision(self) -> str:
        """``pass`` or ``fail``."""
        return "pass" if self.passed else "fail"

    @property
    def failures(self) -> list[RuleOutcome]:
        """The rules that failed."""
        return [o for o in self.outcomes if not o.passed]

    @property
    def exit_code(self) -> int:
        """0 when the gate passes, 1 when it fails."""
        return 0 if self.passed else 1

    SCHEMA = GATE_SCHEMA
    Payload = GatePayload

    def _data(self) -> GatePayload:
        """The decision in the ``assay.gate/v1`` schema."""
        return {
            "schema": GATE_SCHEMA,
            "decision": self.decision,
            "policy": self.policy,
            "policy_path": self.policy_path,
            "system": self.system,
            "model_version": self.model_version,
            "tier": self.tier,
            "checkpoint": self.checkpoint,
            "evaluated_at": self.evaluated_at.isoformat(),
            "rules": None if self.rules is None else list(self.rules),
            "counts": {
                "rules": len(self.outcomes),
                "failed": len(self.failures),
                "passed": len(self.outcomes) - len(self.failures),
            },
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        """The result whose payload this is; its decision and counts must follow its outcomes."""
        unknown = [k for k in payload if k not in cls.payload_keys()]
        if unknown:
            raise SchemaError(
                f"The '{GATE_SCHEMA}' result has keys a gate decision does not have: "
                f"{', '.join(unknown)}."
            )
        try:
            outcomes = tuple(RuleOutcome(**o) for o in payload["outcomes"])
            rules = payload["rules"]
            result = cls(
                policy=payload["policy"],
                policy_path=payload["policy_path"],
                system=payload["system"],
                model_version=payload["model_version"],
                tier=payload["tier"],
                checkpoint=payload["checkpoint"],
                outcomes=outcomes,
                evaluated_at=dt.datetime.fromisoformat(payload["evaluated_at"]),
                rules=None if rules is None else tuple(rules),
            )
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"The '{GATE_SCHEMA}' result is not a gate decision: {exc}."
            ) from None
        if result.to_dict() != payload:
            raise SchemaError(
                f"The '{GATE_SCHEMA}' result's decision or counts do not follow from its outcomes."
            )
        return result

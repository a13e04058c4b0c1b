"""Evidence kinds: the one registry of what a piece of evidence can be.

Each kind says what it holds (an evaluation result of a given schema, a document's sections, a
record Assay derives from others), how documents name it, and whether a policy may require it or
only Assay's own builders may write it. Recording evidence, the gate, completeness, framework
coverage, the web's upload and report views all look kinds up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assay.errors import InputError

__all__ = [
    "EVALUATION_KINDS",
    "EVIDENCE_KINDS",
    "KINDS",
    "REQUIRABLE_KINDS",
    "RESERVED_KINDS",
    "EvidenceKind",
    "evidence_kind",
    "find_kind",
    "kind_for_schema",
    "stored_kinds",
]

Group = Literal["evaluation", "document", "derived", "attachment"]


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence."""

    name: str
    label: str
    """How documents and pages name it ("fairness evaluation")."""
    group: Group
    """``evaluation`` (a result of an Assay check), ``document`` (a card, datasheet, assessment
    or specification), ``derived`` (built by Assay from other records), ``attachment``."""
    schema: str | None = None
    """The schema of the JSON payload a record of this kind carries, when it has one."""
    requirable: bool = False
    """Whether a policy checkpoint may require it."""
    aliases: tuple[str, ...] = ()
    """Older names stored records may carry for this kind."""
    made_by: str | None = None
    """For a derived kind: the command whose builder writes it."""

    @property
    def reserved(self) -> bool:
        """Derived kinds are written only by the builder that derives them."""
        return self.group == "derived"


KINDS: tuple[EvidenceKind, ...] = (
    EvidenceKind("fairness", "fairness evaluation", "evaluation", "assay.fairness/v1", True),
    EvidenceKind("quality", "data quality check", "evaluation", "assay.quality/v1", True),
    EvidenceKind("drift", "drift check", "evaluation", "assay.drift/v1", True),
    EvidenceKind("pii_scan", "personal-data scan", "evaluation", "assay.pii/v1", True, ("pii",)),
    EvidenceKind("robustness", "robustness run", "evaluation", "assay.robustness/v1", True),
    EvidenceKind("redteam", "red-team run", "evaluation", "assay.redteam/v1", True),
    EvidenceKind("explanation", "model explanation", "evaluation", "assay.explanation/v1"),
    EvidenceKind("rag_evaluation", "RAG evaluation", "evaluation", "assay.rag/v1"),
    EvidenceKind("agent_evaluation", "agent and tool-use run", "evaluation", "assay.agent/v1"),
    EvidenceKind(
        "judge_calibration", "judge calibration", "evaluation", "assay.judge-calibration/v1"
    ),
    EvidenceKind(
        "genai_log_scan", "generative-AI log scan", "evaluation", "assay.genai-log-scan/v1"
    ),
    EvidenceKind("mitigation", "mitigation result", "evaluation", "assay.mitigation/v1"),
    EvidenceKind("model_card", "model card", "document", "assay.sections/v1", True),
    EvidenceKind("system_card", "system card", "document", "assay.sections/v1", True),
    EvidenceKind("datasheet", "datasheet", "document", "assay.sections/v1", True),
    EvidenceKind("risk_assessment", "risk assessment", "document", None, True),
    EvidenceKind("monitoring_spec", "monitoring specification", "document", None, True),
    EvidenceKind(
        "robustness_report",
        "robustness report",
        "derived",
        aliases=("robustness-report",),
        made_by="assay robustness run ... --record",
    ),
    EvidenceKind(
        "explanation_report",
        "explanation report",
        "derived",
        aliases=("explanation-report",),
        made_by="assay explain ... --record",
    ),
    EvidenceKind(
        "redteam_responses", "red-team responses", "derived", made_by="assay redteam record RUN ..."
    ),
    EvidenceKind(
        "gate", "gate decision", "derived", "assay.gate/v1", made_by="assay gate --record"
    ),
    EvidenceKind(
        "review_packet",
        "review packet",
        "derived",
        "assay.packet/v2",
        made_by="assay packet build REV-N",
    ),
    EvidenceKind(
        "incident_bundle",
        "incident evidence bundle",
        "derived",
        "assay.incident-bundle/v1",
        made_by="assay incident bundle INC-N",
    ),
    EvidenceKind("program_report", "program report", "derived", made_by="assay report program ..."),
    EvidenceKind(
        "decision_log", "decision log", "derived", made_by="assay report decisions SYSTEM"
    ),
    EvidenceKind("checklist", "tier checklist", "derived", made_by="assay checklist SYSTEM"),
    EvidenceKind(
        "drift_profile", "drift reference profile", "attachment", "assay.drift-profile/v1"
    ),
    EvidenceKind("attachment", "attachment", "attachment"),
)
_BY_NAME = {k.name: k for k in KINDS}
_BY_ALIAS = {alias: k for k in KINDS for alias in k.aliases}

#: Kinds a policy may require, sorted.
REQUIRABLE_KINDS: tuple[str, ...] = tuple(sorted(k.name for k in KINDS if k.requirable))
#: The same, under the name policies have always used.
EVIDENCE_KINDS = REQUIRABLE_KINDS
#: Kinds that hold the result of an Assay evaluation.
EVALUATION_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.group == "evaluation")
#: Kinds only Assay's builders write (never ``assay evidence add`` or the API's ``add_evidence``).
RESERVED_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.reserved)


def find_kind(name: str) -> EvidenceKind | None:
    """The registered kind called ``name`` (or one of its aliases), or None.

    >>> find_kind("pii").name, find_kind("magic")
    ('pii_scan', None)
    """
    return _BY_NAME.get(name) or _BY_ALIAS.get(name)


def evidence_kind(name: str) -> EvidenceKind:
    """The registered kind called ``name`` (or one of its older aliases).

    Raises
    ------
    InputError
        ``name`` is not a registered kind; the message lists them.

    Examples
    --------
    >>> evidence_kind("pii").name
    'pii_scan'
    """
    found = find_kind(name)
    if found is None:
        raise InputError(
            f"{name!r} is not an evidence kind. Kinds are: {', '.join(k.name for k in KINDS)} "
            "(any other file is an 'attachment')."
        )
    return found


def kind_for_schema(schema: str) -> EvidenceKind | None:
    """The evaluation kind whose results carry ``schema``, if any.

    >>> kind_for_schema("assay.pii/v1").name
    'pii_scan'
    """
    return next((k for k in KINDS if k.schema == schema and k.group == "evaluation"), None)


def stored_kinds(name: str) -> tuple[str, ...]:
    """Every name a stored record of kind ``name`` may carry (the kind and its aliases).

    >>> stored_kinds("pii_scan")
    ('pii_scan', 'pii')
    """
    kind = evidence_kind(name)
    return (kind.name, *kind.aliases)

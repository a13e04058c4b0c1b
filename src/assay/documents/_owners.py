"""Who owns a gap: one rule for every document, the completeness report and the review state.

A gap is owned by the owner of the record it is about:

- the system (its fields, cards, tier, system-level evidence such as fairness or robustness
  evaluations, its monitoring specification and its risk register) → the system's owner;
- a dataset version (its datasheet's answers, evidence required per training dataset) → the
  dataset version's owner, the person who registered it (a dataset can serve several systems, so
  its datasheet never names a system's owner);
- a risk (mitigations, due date, residual assessment) → the risk's owner;
- an evidence record (its traceability) → the person who recorded it.

Nothing depends on who runs the review, so a gap has the same owner in the packet, the datasheet,
the model card, the review page, ``assay completeness`` and the gate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.governance import DatasetVersion, EvidenceRecord, Risk, System

__all__ = ["OWNER_RULE", "owner_of"]

OWNER_RULE = (
    "A gap is owned by the owner of the record it is about: the system's owner for the system, "
    "its cards and system-level evidence; the person who registered a dataset version for its "
    "datasheet and per-dataset evidence; the risk's owner for a risk; the recorder of an "
    "evidence record for its traceability."
)


def owner_of(subject: System | DatasetVersion | Risk | EvidenceRecord) -> str:
    """The owner of the gaps about ``subject`` (see :data:`OWNER_RULE`)."""
    from assay.governance import DatasetVersion, EvidenceRecord, Risk, System

    if isinstance(subject, System | Risk):
        return subject.owner
    if isinstance(subject, DatasetVersion | EvidenceRecord):
        return subject.created_by
    raise TypeError(f"No owner rule for {type(subject).__name__}")

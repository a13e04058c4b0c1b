"""What a model card is built from: the system, the model version, the human-written sections and
what the policy requires of them (:class:`CardNeeds`), with the gaps the card shares with the
completeness check and the commands that fill them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assay.documents._doc import Block, Gap, GapBlock, Para
from assay.documents._owners import owner_of
from assay.documents._sections import DATASHEET_REQUIRED, MODEL_CARD_SECTIONS, SectionSet
from assay.evaluate import FairnessResult
from assay.policy import max_age_days

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, ModelVersion, System, Workspace
    from assay.policy import Policy

__all__ = [
    "FAIRNESS_SCHEMA",
    "CardContext",
    "CardNeeds",
    "card_fix",
    "card_needs",
    "fairness_fix",
    "feature_gap",
    "monitoring_gap",
]

FAIRNESS_SCHEMA = FairnessResult.SCHEMA


_CARD_FIX = {
    "model": "assay card model {system} --section {section} --file TEXT.md",
    "system": "assay card system {system} --section {section} --file TEXT.md",
}


def card_fix(system: str, section: str, document: str = "model") -> str:
    """The command that fills a human-written section (``document``: model or system)."""
    return _CARD_FIX[document].format(system=system, section=section)


def monitoring_gap(system: System) -> Gap:
    """The gap of a system without a monitoring specification: the card's and completeness's."""
    return Gap(
        "no monitoring specification (what is watched, thresholds, who is alerted)",
        owner_of(system),
        f"write a monitoring spec for {system.name}, then assay monitor register --spec SPEC.yaml",
    )


def feature_gap(system: System, feature: str, model: str | None) -> Gap:
    """The gap of a declared sensitive feature the model version's evaluation does not cover."""
    return Gap(
        f"no fairness evaluation on the declared sensitive feature '{feature}'",
        owner_of(system),
        fairness_fix(system.name, model),
    )


def fairness_fix(system: str, model: str | None) -> str:
    """The command that records a fairness evaluation of the model version."""
    return (
        f"assay evaluate fairness DATA ... --record --system {system} "
        f"--model-version {model or 'VERSION'}"
    )


@dataclass(frozen=True)
class CardContext:
    """What the sections of one card are built from, and what they found."""

    ws: Workspace
    sys_rec: System
    model: ModelVersion | None
    sections: SectionSet
    need: CardNeeds
    tier: str
    status: dict[str, str] = field(default_factory=dict)
    cited: list[EvidenceRecord] = field(default_factory=list)
    feature_gaps: dict[str, Gap] = field(default_factory=dict)

    @property
    def system(self) -> str:
        return self.sys_rec.name

    @property
    def owner(self) -> str:
        return owner_of(self.sys_rec)

    def optional(self, key: str, blocks: list[Block]) -> list[Block]:
        """A section the checkpoint does not require shows what is missing without a gap."""
        if key in self.need.sections:
            return blocks
        return [
            Para(f"{b.gap.what} (not required at {self.need.label}).", muted=True)
            if isinstance(b, GapBlock)
            else b
            for b in blocks
        ]


@dataclass(frozen=True)
class CardNeeds:
    """What the policy requires of a card at one checkpoint of the system's tier."""

    sections: tuple[str, ...]
    """The card sections that must be filled (all of them when the tier has no requirement)."""
    max_age_days: int | None
    """How old the fairness evaluation may be (None: no limit, or none required)."""
    datasheets: tuple[str, ...] | None
    """The datasheet sections each training dataset needs; None when no datasheet is required."""
    label: str
    """``the high pre-launch checkpoint of Assay default policy 1.0``, for the card's text."""


def card_needs(pol: Policy, tier: str, checkpoint: str) -> CardNeeds:
    """The card's requirements for ``checkpoint`` of ``tier`` under ``pol``.

    A tier the policy does not define (unassessed, prohibited) needs every section and no age.
    """
    if tier not in pol.tiers or checkpoint not in pol.tiers[tier].checkpoints:
        return CardNeeds(tuple(MODEL_CARD_SECTIONS), None, DATASHEET_REQUIRED, "any checkpoint")
    reqs = {r.kind: r for r in pol.checkpoint(tier, checkpoint).evidence}
    card = reqs.get("model_card")
    fairness = reqs.get("fairness")
    sheet = reqs.get("datasheet")
    return CardNeeds(
        sections=(card.sections or tuple(MODEL_CARD_SECTIONS)) if card is not None else (),
        max_age_days=max_age_days(pol, tier, "fairness", checkpoint) if fairness else None,
        datasheets=(sheet.sections or DATASHEET_REQUIRED) if sheet is not None else None,
        label=f"the {tier} {checkpoint} checkpoint of {pol.name} {pol.version}",
    )

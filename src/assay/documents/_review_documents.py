"""The documents of a review: built once, for the review's tier and checkpoint, then counted by
completeness and frozen into the packet as they are.

Each document knows which of its sections the policy requires (:func:`card_needs`) and shows an
unfilled required section as a gap with its owner (:mod:`assay.documents._owners`). Completeness
reads those same gaps, so the packet's gap list and the documents inside it cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assay.documents._card_context import card_needs
from assay.documents._datasheet import build_datasheet
from assay.documents._model_card import build_model_card
from assay.documents._risk_assessment import build_risk_assessment
from assay.render import as_list

if TYPE_CHECKING:
    from assay.documents._doc import Document
    from assay.governance import Workspace
    from assay.policy import Policy

__all__ = ["ReviewDocuments", "build_review_documents"]


@dataclass(frozen=True)
class ReviewDocuments:
    """The model card, system card (generative systems), datasheets and risk assessment of one
    system, built for one tier and checkpoint of a policy."""

    model_card: Document
    datasheets: tuple[tuple[str, Document], ...]
    risk_assessment: Document
    system_card: Document | None = None

    def named(self) -> list[tuple[str, Document]]:
        """The documents with their names in a packet (``model_card``, ``datasheet:NAME@V``...),
        in the order of the packet's appendices."""
        out: list[tuple[str, Document]] = [("model_card", self.model_card)]
        if self.system_card is not None:
            out.append(("system_card", self.system_card))
        out.extend((f"datasheet:{ref}", doc) for ref, doc in self.datasheets)
        out.append(("risk_assessment", self.risk_assessment))
        return out


def build_review_documents(
    ws: Workspace, system: str, *, tier: str, checkpoint: str, policy: Policy
) -> ReviewDocuments:
    """Build the documents of ``system`` with the requirements of ``tier``'s ``checkpoint``."""
    from assay.governance import get_system

    need = card_needs(policy, tier, checkpoint)
    card = build_model_card(ws, system, tier=tier, checkpoint=checkpoint, policy=policy)
    sheets = tuple(
        (str(ref), build_datasheet(ws, str(ref), required=need.datasheets or ()))
        for ref in as_list(card.data.get("training_datasets"))
    )
    system_card = None
    if get_system(ws, system).generative:
        from assay.documents._system_card import build_system_card

        system_card = build_system_card(
            ws, system, required=_system_card_sections(policy, tier, checkpoint)
        )
    return ReviewDocuments(card, sheets, build_risk_assessment(ws, system), system_card)


def _system_card_sections(policy: Policy, tier: str, checkpoint: str) -> tuple[str, ...] | None:
    """The system card sections the checkpoint requires: None (all) when it requires the card
    without naming sections or the tier has no requirements, none when it does not require it."""
    if tier not in policy.tiers or checkpoint not in policy.tiers[tier].checkpoints:
        return None
    for req in policy.checkpoint(tier, checkpoint).evidence:
        if req.kind == "system_card":
            return tuple(req.sections) or None
    return ()

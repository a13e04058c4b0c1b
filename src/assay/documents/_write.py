"""Writing a review's documents to a folder in one call (what ``assay demo`` does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assay.documents._completeness import CompletenessReport, review_completeness
from assay.documents._datasheet import build_datasheet
from assay.documents._doc import Document
from assay.documents._model_card import build_model_card
from assay.documents._packet import BuiltPacket, build_packet, packet_document
from assay.documents._render import render
from assay.documents._risk_assessment import build_risk_assessment
from assay.render import as_list

if TYPE_CHECKING:
    from assay.governance import Workspace

__all__ = ["WrittenDocuments", "write_document", "write_review_documents"]


@dataclass(frozen=True)
class WrittenDocuments:
    """What :func:`write_review_documents` wrote.

    Attributes
    ----------
    files
        Every file written, in order.
    packet
        The built (frozen) packet: ``packet.sha256`` is what an approver signs.
    completeness
        The review's completeness report: ``.score`` (0–100) and ``.gaps`` (each with an owner).
    """

    files: tuple[Path, ...]
    packet: BuiltPacket
    completeness: CompletenessReport
    documents: dict[str, Document] = field(default_factory=dict)


def write_document(doc: Document, path: Path, fmt: str) -> Path:
    """Render ``doc`` as ``fmt`` (md, html, pdf, json) into ``path``; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(doc, fmt))
    return path


def write_review_documents(
    ws: Workspace,
    review: str | int,
    output: Path | str,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    checkpoint: str = "pre-launch",
) -> WrittenDocuments:
    """Write a review's model card, datasheets, risk assessment and built packet to a folder.

    The packet is built (frozen and recorded as evidence) first, so the files show what the
    approvers will sign.

    Parameters
    ----------
    ws
        The workspace.
    review
        The review, ``REV-1``.
    output
        The folder; created when missing.
    formats
        Any of ``md``, ``html``, ``pdf``, ``json``.
    checkpoint
        The policy checkpoint.

    Returns
    -------
    WrittenDocuments
        The files, the packet (its sha256) and the completeness report (score and gaps).

    Files are named ``model-card.*``, ``datasheet-NAME-VERSION.*``, ``risk-assessment.*`` and
    ``review-packet.*``.
    """
    from assay.governance import get_review

    folder = Path(output)
    rev = get_review(ws, review)
    packet = build_packet(ws, rev.ref, checkpoint=checkpoint)
    report = review_completeness(ws, rev.ref, checkpoint=checkpoint)
    card = build_model_card(ws, rev.system)
    docs: dict[str, Document] = {"model-card": card}
    for ref in as_list(card.data.get("training_datasets")):
        docs[f"datasheet-{str(ref).replace('@', '-')}"] = build_datasheet(ws, str(ref))
    docs["risk-assessment"] = build_risk_assessment(ws, rev.system)
    docs["review-packet"] = packet_document(ws, packet.record.ref)
    files = [
        write_document(doc, folder / f"{name}.{fmt}", fmt)
        for name, doc in docs.items()
        for fmt in formats
    ]
    return WrittenDocuments(tuple(files), packet, report, docs)

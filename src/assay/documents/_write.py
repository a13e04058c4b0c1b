"""Writing a review's documents to a folder in one call (what ``assay demo`` does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assay.documents._doc import Document, document_from_dict
from assay.documents._packet import BuiltPacket, build_packet, packet_state
from assay.documents._packet_document import packet_document
from assay.documents._render import render
from assay.documents._review_state import ReviewState
from assay.render import as_list, as_mapping

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
    state
        The review's state frozen in the packet: ``.score`` (0–100), ``.passes``, ``.gaps`` (each
        with an owner), ``.open_risks``, ``.blocking_risks``, ``.waivers``.
    """

    files: tuple[Path, ...]
    packet: BuiltPacket
    state: ReviewState
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
    checkpoint: str | None = None,
) -> WrittenDocuments:
    """Write a review's model card, datasheets, risk assessment and built packet to a folder.

    The packet is built (frozen and recorded as evidence) first; the model card, datasheets and
    risk assessment written are the ones frozen inside it, so the files show what the approvers
    will sign and nothing is computed twice.

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
        The policy checkpoint; the review's own when None.

    Returns
    -------
    WrittenDocuments
        The files, the packet (its sha256) and the review state frozen in it (score and gaps).

    Files are named ``model-card.*``, ``datasheet-NAME-VERSION.*``, ``risk-assessment.*`` and
    ``review-packet.*``.
    """
    from assay.governance import file_slug

    folder = Path(output)
    packet = build_packet(ws, review, checkpoint=checkpoint)
    docs: dict[str, Document] = {}
    for entry in (as_mapping(x) for x in as_list(packet.content.get("documents"))):
        name = str(entry.get("name")).replace("_", "-").replace(":", "-").replace("@", "-")
        name = file_slug(name)  # a dataset's name, from the records: never a path
        docs[name] = document_from_dict(as_mapping(entry.get("document")))
    docs["review-packet"] = packet_document(ws, packet.record.ref)
    files = [
        write_document(doc, folder / f"{name}.{fmt}", fmt)
        for name, doc in docs.items()
        for fmt in formats
    ]
    return WrittenDocuments(tuple(files), packet, packet_state(packet.content), docs)

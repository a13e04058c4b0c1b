"""Documents made from evidence: reports, cards, datasheets, risk assessments, review packets.

Every document is built from the store (:mod:`assay.governance`) into one :class:`Document` and
rendered as self-contained HTML, Markdown, JSON or PDF (:func:`render_document`); what people write
is kept as evidence (:func:`write_sections`) and whatever is missing shows as a gap. A review's
completeness, gaps with owners, open and blocking risks, waivers and approvals are computed once
(:func:`review_state`); a review packet freezes that state, with the documents it was computed
from, as canonical JSON identified by its sha256 (:func:`build_packet`).

The public API is what ``__all__`` lists; modules starting with ``_`` are private.
"""

from __future__ import annotations

from assay.documents._checklist import build_checklist
from assay.documents._completeness import (
    CheckItem,
    CompletenessReport,
    ConsistencyCheck,
    review_completeness,
    system_completeness,
)
from assay.documents._datasheet import build_datasheet
from assay.documents._decision_log import build_decision_log
from assay.documents._doc import (
    Badge,
    Callout,
    Document,
    Facts,
    Gap,
    Para,
    Section,
    Table,
    document_from_dict,
)
from assay.documents._drift_report import render_drift_html
from assay.documents._exports import croissant_jsonld, huggingface_model_card
from assay.documents._fairness_report import render_fairness_html, render_fairness_markdown
from assay.documents._mitigation import mitigation_frontier_svg
from assay.documents._model_card import build_model_card
from assay.documents._packet import (
    BuiltPacket,
    PacketCheck,
    build_packet,
    find_packet,
    load_packet,
    packet_state,
    sign_packet,
    verify_packet,
)
from assay.documents._packet_document import packet_approvals, packet_document
from assay.documents._pdf import html_to_pdf, pdf_cache_info, pdf_engine
from assay.documents._program_report import build_program_report
from assay.documents._quality_report import render_quality_html
from assay.documents._render import FORMATS
from assay.documents._render import render as render_document
from assay.documents._review_state import (
    ApprovalState,
    ReviewState,
    RiskState,
    WaiverState,
    review_state,
)
from assay.documents._risk_assessment import build_risk_assessment
from assay.documents._sections import (
    DATASHEET_SECTIONS,
    MODEL_CARD_SECTIONS,
    SYSTEM_CARD_SECTIONS,
    SectionSet,
    read_sections,
    write_sections,
)
from assay.documents._system_card import build_system_card
from assay.documents._write import WrittenDocuments, write_document, write_review_documents

__all__ = [
    "DATASHEET_SECTIONS",
    "FORMATS",
    "MODEL_CARD_SECTIONS",
    "SYSTEM_CARD_SECTIONS",
    "ApprovalState",
    "Badge",
    "BuiltPacket",
    "Callout",
    "CheckItem",
    "CompletenessReport",
    "ConsistencyCheck",
    "Document",
    "Facts",
    "Gap",
    "PacketCheck",
    "Para",
    "ReviewState",
    "RiskState",
    "Section",
    "SectionSet",
    "Table",
    "WaiverState",
    "WrittenDocuments",
    "build_checklist",
    "build_datasheet",
    "build_decision_log",
    "build_model_card",
    "build_packet",
    "build_program_report",
    "build_risk_assessment",
    "build_system_card",
    "croissant_jsonld",
    "document_from_dict",
    "find_packet",
    "html_to_pdf",
    "huggingface_model_card",
    "load_packet",
    "mitigation_frontier_svg",
    "packet_approvals",
    "packet_document",
    "packet_state",
    "pdf_cache_info",
    "pdf_engine",
    "read_sections",
    "render_document",
    "render_drift_html",
    "render_fairness_html",
    "render_fairness_markdown",
    "render_quality_html",
    "review_completeness",
    "review_state",
    "sign_packet",
    "system_completeness",
    "verify_packet",
    "write_document",
    "write_review_documents",
    "write_sections",
]

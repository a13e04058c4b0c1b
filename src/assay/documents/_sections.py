"""Human-written sections of cards and datasheets, kept as evidence.

What a person writes (limitations, ethical considerations, the answers of a datasheet) is stored
as Markdown inside one JSON evidence record per document: kind ``model_card``, ``system_card`` or
``datasheet``, the kinds the policy requires. Editing a section records a new version that
supersedes the previous one, so the history of every card is in the evidence store and the audit
log, and an old packet keeps pointing to exactly the text it was built with.

The catalogs below say which sections each document has, what question each answers, and which
sections Assay fills from the store on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay.canonical import canonical_json
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, Workspace

__all__ = [
    "DATASHEET_REQUIRED",
    "DATASHEET_SECTIONS",
    "DOCUMENT_KINDS",
    "MODEL_CARD_SECTIONS",
    "SECTIONS_SCHEMA",
    "SYSTEM_CARD_SECTIONS",
    "SectionSet",
    "SectionSpec",
    "read_sections",
    "write_sections",
]

SECTIONS_SCHEMA = "assay.sections/v1"


@dataclass(frozen=True)
class SectionSpec:
    """One section of a document: its title, the question it answers, and who fills it."""

    key: str
    title: str
    question: str
    auto: bool = False
    """Assay fills it from the store; a person may add to it."""


def _specs(*items: tuple[str, str, str, bool]) -> dict[str, SectionSpec]:
    return {k: SectionSpec(k, t, q, a) for k, t, q, a in items}


MODEL_CARD_SECTIONS = _specs(
    (
        "details",
        "Model details",
        "What is the model, who developed it, what type is it, under which licence?",
        True,
    ),
    (
        "intended_use",
        "Intended use",
        "What is the model for, and who are its intended users?",
        True,
    ),
    ("out_of_scope_use", "Out-of-scope use", "What should it not be used for?", True),
    ("training_data", "Training data", "Which data was it trained on?", True),
    (
        "evaluation_data",
        "Evaluation data",
        "Which data was it evaluated on, and why that data?",
        True,
    ),
    (
        "metrics",
        "Metrics by group",
        "How does it perform for each group, with what uncertainty?",
        True,
    ),
    (
        "limitations",
        "Limitations",
        "Where does the model perform poorly or fail, and for whom?",
        False,
    ),
    (
        "ethical_considerations",
        "Ethical considerations",
        "What risks to people does its use "
        "carry (sensitive data, consequential decisions, fairness), and how are they handled?",
        False,
    ),
    (
        "recommendations",
        "Recommendations",
        "What should users and deployers do, or avoid, given the limitations?",
        False,
    ),
    (
        "monitoring",
        "Monitoring",
        "What is watched after launch, how often, with which alert thresholds, and who responds?",
        True,
    ),
)
"""The sections of a model card, after the Hugging Face model card."""

SYSTEM_CARD_SECTIONS = _specs(
    (
        "overview",
        "System overview",
        "What does the system do, for whom, and where is it deployed?",
        True,
    ),
    ("models", "Models", "Which models does it use, in which versions?", True),
    ("prompts", "Prompts", "Which system prompts and templates does it use?", True),
    (
        "retrieval",
        "Retrieval",
        "Which sources does it retrieve from, and how are they kept current and access-controlled?",
        False,
    ),
    ("guardrails", "Guardrails", "Which input and output filters and policies apply?", True),
    (
        "human_oversight",
        "Human oversight",
        "Who reviews outputs, when, and can they override or stop the system?",
        False,
    ),
    (
        "disclosures",
        "Disclosures",
        "How are people told they interact with AI or that content is generated?",
        False,
    ),
    ("evaluations", "Evaluations", "Which evaluations were run, with which outcome?", True),
    ("limitations", "Limitations", "Known failure modes and residual risks.", False),
    ("monitoring", "Monitoring", "What is watched in production, and who is alerted?", True),
)
"""The sections of a system card, for multi-component and generative systems."""

DATASHEET_SECTIONS = _specs(
    (
        "motivation",
        "Motivation",
        "For what purpose was the dataset created? Who created it, and who funded it?",
        False,
    ),
    (
        "composition",
        "Composition",
        "What do the instances represent? How many are there? Is "
        "there a label? Is any information missing? Does it relate to people or identify "
        "subpopulations?",
        True,
    ),
    (
        "collection",
        "Collection process",
        "How was the data acquired, over what timeframe, by "
        "whom? Was it sampled? Were the people concerned told, and did they consent?",
        True,
    ),
    (
        "preprocessing",
        "Preprocessing, cleaning and labelling",
        "Was the data cleaned, filtered or labelled? Is the raw data kept?",
        False,
    ),
    ("uses", "Uses", "What has it been used for? What should it not be used for?", False),
    ("distribution", "Distribution", "How is it shared, under which licence and terms?", False),
    (
        "maintenance",
        "Maintenance",
        "Who maintains it? Will it be updated, and how are errors reported?",
        False,
    ),
    (
        "consent_licensing",
        "Consent and licensing",
        "On what legal basis is personal data "
        "processed? What consent was given? Which licence applies?",
        False,
    ),
    (
        "known_gaps",
        "Known gaps and biases",
        "Which populations, periods or situations are "
        "missing or under-represented? Which biases are known?",
        True,
    ),
)
"""The sections of a datasheet, after Gebru et al., *Datasheets for Datasets* (2021)."""

DATASHEET_REQUIRED: tuple[str, ...] = tuple(DATASHEET_SECTIONS)
"""The datasheet sections a review needs answered when the policy's requirement names none: all
nine. A section is answered only when a person wrote its answer; the facts Assay fills in on its
own (rows, columns, source, evidence) make a section ``partial``, which does not answer its
question and is a gap like an empty one. The datasheet, the model card, completeness and the
review state all apply this list and this rule."""

DOCUMENT_KINDS: dict[str, dict[str, SectionSpec]] = {
    "model_card": MODEL_CARD_SECTIONS,
    "system_card": SYSTEM_CARD_SECTIONS,
    "datasheet": DATASHEET_SECTIONS,
}

FIELDS: dict[str, dict[str, str]] = {
    "model_card": {
        "sensitive_features": "the sensitive features the model must be evaluated on (a list)",
        "license": "the model's licence, as an SPDX identifier (apache-2.0, mit, other)",
        "model_type": "for example 'gradient-boosted trees, binary classifier'",
        "developers": "who developed the model",
        "language": "the languages of its input and output (a list), when it handles text",
    },
    "system_card": {"sensitive_features": "the sensitive features of the system (a list)"},
    "datasheet": {
        "license": "the data's licence, as an SPDX identifier or a short name",
        "creators": "who created the dataset",
        "url": "where the dataset is published or described",
    },
}


@dataclass(frozen=True)
class SectionSet:
    """The human-written sections of one document, as last recorded.

    Attributes
    ----------
    document, subject
        ``model_card`` and a system name, or ``datasheet`` and a dataset version.
    sections
        Section key → Markdown.
    fields
        Structured values (``sensitive_features``, ``license``...).
    pinned
        What the text was written against: the evaluation and its headline metrics.
    record
        The evidence record that holds them; None when nothing was written yet.
    """

    document: str
    subject: str
    sections: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)
    pinned: Mapping[str, Any] = field(default_factory=dict)
    record: EvidenceRecord | None = None

    def text(self, key: str) -> str | None:
        """The Markdown of a section, or None when it was never written."""
        value = self.sections.get(key)
        return value if value and value.strip() else None

    def source(self, key: str) -> str:
        """``Written by ada, 3 Mar 2025 (EV-12)`` for a section's provenance line."""
        if self.record is None or self.text(key) is None:
            return ""
        when = self.record.created_at.strftime("%d %b %Y")
        return f"Written by {self.record.created_by}, {when} ({self.record.ref})"


def _check_document(document: str) -> dict[str, SectionSpec]:
    if document not in DOCUMENT_KINDS:
        raise InputError(
            f"{document!r} has no human-written sections; choose one of: "
            f"{', '.join(DOCUMENT_KINDS)}."
        )
    return DOCUMENT_KINDS[document]


def _latest(ws: Workspace, document: str, subject: str) -> EvidenceRecord | None:
    from assay.governance import list_evidence

    if document == "datasheet":
        for record in list_evidence(ws, kind="datasheet"):
            if record.dataset_version == subject and _is_sections(record):
                return record
        return None
    for record in list_evidence(ws, system=subject, kind=document):
        if _is_sections(record):
            return record
    return None


def _is_sections(record: EvidenceRecord) -> bool:
    summary = record.summary if isinstance(record.summary, Mapping) else {}
    return summary.get("schema") == SECTIONS_SCHEMA


def read_sections(ws: Workspace, document: str, subject: str) -> SectionSet:
    """The human-written sections of a document, as last recorded (empty when none).

    Parameters
    ----------
    ws
        The workspace.
    document
        ``model_card``, ``system_card`` or ``datasheet``.
    subject
        The system's name (cards) or the dataset version ``name@version`` (datasheets).
    """
    from assay.governance import evidence_content

    _check_document(document)
    record = _latest(ws, document, subject)
    if record is None:
        return SectionSet(document, subject)
    try:
        payload = json.loads(evidence_content(ws, record.ref))
    except (ValueError, UnicodeDecodeError):
        payload = {}
    if not isinstance(payload, Mapping):
        payload = {}
    sections = payload.get("sections") if isinstance(payload.get("sections"), Mapping) else {}
    fields = payload.get("fields") if isinstance(payload.get("fields"), Mapping) else {}
    pinned = payload.get("pinned") if isinstance(payload.get("pinned"), Mapping) else {}
    assert isinstance(sections, Mapping) and isinstance(fields, Mapping)
    assert isinstance(pinned, Mapping)
    return SectionSet(
        document,
        subject,
        {str(k): str(v) for k, v in sections.items() if isinstance(v, str)},
        dict(fields),
        dict(pinned),
        record,
    )


def write_sections(
    ws: Workspace,
    document: str,
    subject: str,
    *,
    sections: Mapping[str, str] | None = None,
    fields: Mapping[str, Any] | None = None,
    model_version: str | None = None,
    pinned: Mapping[str, Any] | None = None,
) -> EvidenceRecord:
    """Record human-written sections (Markdown) of a card or datasheet as a new evidence version.

    Sections not named keep their last text; an empty text clears a section. The new record
    supersedes the previous one, so the history stays in the evidence store.

    Parameters
    ----------
    ws
        The workspace; its user is recorded as the author.
    document
        ``model_card``, ``system_card`` or ``datasheet``.
    subject
        The system's name (cards) or dataset version ``name@version`` (datasheets).
    sections
        Section key → Markdown; keys from :data:`MODEL_CARD_SECTIONS`, :data:`SYSTEM_CARD_SECTIONS`
        or :data:`DATASHEET_SECTIONS`.
    fields
        Structured values: ``sensitive_features`` (a list), ``license``, ``model_type``...
    model_version
        The model version a model card is about (default: the system's latest).
    pinned
        What the text was written against (set by the model card: evaluation and metrics).

    Returns
    -------
    EvidenceRecord
        The new record.
    """
    specs = _check_document(document)
    new_sections = _checked_sections(document, specs, sections)
    new_fields = _checked_fields(document, fields)
    current = read_sections(ws, document, subject)
    if document == "model_card" and pinned is None:
        pinned, model_version = _pin_model_card(ws, subject, model_version)
    merged = {**current.sections, **new_sections}
    merged = {k: v.strip() for k, v in merged.items() if v.strip()}
    merged_fields = {**current.fields, **new_fields}
    merged_fields = {k: v for k, v in merged_fields.items() if v not in (None, "", [], ())}
    payload = {
        "schema": SECTIONS_SCHEMA,
        "document": document,
        "subject": subject,
        "sections": merged,
        "fields": merged_fields,
        "pinned": dict(pinned) if pinned is not None else dict(current.pinned),
    }
    changed = sorted(new_sections) + sorted(new_fields)
    summary = {
        "schema": SECTIONS_SCHEMA,
        "document": document,
        "sections": sorted(merged),
        "fields": sorted(merged_fields),
    }
    return _file_sections(ws, document, subject, payload, summary, current, changed, model_version)


def _checked_sections(
    document: str, specs: Mapping[str, SectionSpec], sections: Mapping[str, str] | None
) -> dict[str, str]:
    """The sections given, each a known key with Markdown text."""
    new_sections = dict(sections or {})
    unknown = sorted(set(new_sections) - set(specs))
    if unknown:
        raise InputError(
            f"{document} has no section {', '.join(map(repr, unknown))}. Its sections are: "
            f"{', '.join(specs)}."
        )
    for key, text in new_sections.items():
        if not isinstance(text, str):
            raise InputError(f"The section {key!r} must be Markdown text.")
    return new_sections


def _checked_fields(document: str, fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields given, each one the document has; the list fields lists of names."""
    new_fields = dict(fields or {})
    allowed = FIELDS[document]
    bad = sorted(set(new_fields) - set(allowed))
    if bad:
        raise InputError(
            f"{document} has no field {', '.join(map(repr, bad))}. Its fields are: "
            + "; ".join(f"{k} ({v})" for k, v in allowed.items())
            + "."
        )
    for key in ("sensitive_features", "language"):
        value = new_fields.get(key)
        if value is not None and (
            not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value)
        ):
            raise InputError(f"The field {key!r} must be a list of names.")
    return new_fields


def _pin_model_card(
    ws: Workspace, subject: str, model_version: str | None
) -> tuple[dict[str, Any], str | None]:
    """What a model card's text is written against (its evaluation and metrics), and the model
    version it is about."""
    # Pin what the text is written against, so a later evaluation that changes the numbers
    # shows up as an inconsistency between the card's text and its metrics.
    from assay.documents._model_card import build_model_card

    card = build_model_card(ws, subject, model_version=model_version).data
    evaluation = card.get("evaluation") or {}
    pinned = {"evaluation": evaluation.get("ref"), "metrics": card.get("metrics") or {}}
    return pinned, model_version or card.get("model_version")


def _file_sections(
    ws: Workspace,
    document: str,
    subject: str,
    payload: dict[str, Any],
    summary: dict[str, Any],
    current: SectionSet,
    changed: list[str],
    model_version: str | None,
) -> EvidenceRecord:
    """Record the merged sections as evidence about the subject, superseding the current ones."""
    from assay.governance import add_evidence, list_model_versions

    title = {"model_card": "Model card", "system_card": "System card", "datasheet": "Datasheet"}
    common: dict[str, Any] = {
        "kind": document,
        "data": canonical_json(payload).encode("utf-8"),
        "media_type": "application/json",
        "title": f"{title[document]} sections: {subject}",
        "summary": summary,
        "tool": "assay",
    }
    if current.record is not None:
        common["supersedes"] = current.record.ref
        common["reason"] = "Edited " + (", ".join(changed) if changed else "nothing (re-saved)")
    if document == "datasheet":
        return add_evidence(ws, dataset_version=subject, **common)
    if document == "model_card" and model_version is None:
        versions = list_model_versions(ws, subject)
        if versions:
            model_version = versions[-1].ref
    if model_version is not None and document == "model_card":
        return add_evidence(ws, system=subject, model_version=model_version, **common)
    return add_evidence(ws, system=subject, **common)

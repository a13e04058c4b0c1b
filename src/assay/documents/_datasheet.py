"""The datasheet of a dataset version: the Datasheets for Datasets questions, answered.

Composition and collection start from the dataset version's record (rows, columns, digest, source,
collection notes); known gaps list the data quality, PII and drift evidence recorded on it. The
other answers are written by people and kept as evidence. Every required section
(:data:`~assay.documents._sections.DATASHEET_REQUIRED` unless the policy names its own) that no
person answered is a gap owned by the dataset version's owner (:mod:`assay.documents._owners`);
automatic facts alone leave a section ``partial``, still a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay.documents._doc import (
    Badge,
    Block,
    Cell,
    Document,
    Facts,
    Gap,
    GapBlock,
    Para,
    Prose,
    Section,
    Table,
)
from assay.documents._gather import hash_cell, short_date
from assay.documents._owners import owner_of
from assay.documents._sections import (
    DATASHEET_REQUIRED,
    DATASHEET_SECTIONS,
    SectionSet,
    read_sections,
)
from assay.render import as_mapping, count, plain

if TYPE_CHECKING:
    from collections.abc import Sequence

    from assay.governance import DatasetVersion, EvidenceRecord, Workspace

__all__ = ["build_datasheet", "dataset_evidence", "dataset_users"]

_NOT_RECORDED = Badge("missing", "not recorded")


def dataset_evidence(ws: Workspace, dataset: str) -> list[EvidenceRecord]:
    """Current evidence recorded on a dataset version (other than its datasheet), newest first."""
    from assay.governance import get_dataset_version, list_evidence

    ds = get_dataset_version(ws, dataset)
    return [
        r
        for r in list_evidence(ws)
        if r.kind != "datasheet" and (r.dataset_version == ds.ref or r.dataset_digest == ds.digest)
    ]


def dataset_users(ws: Workspace, dataset: str) -> list[str]:
    """The model versions (``system: name@version``) trained on a dataset version."""
    from assay.governance import list_model_versions, list_systems

    out = []
    for system in list_systems(ws):
        for mv in list_model_versions(ws, system.name):
            if dataset in mv.training_datasets:
                out.append(f"{system.name}: {mv.ref}")
    return out


def _summary_text(record: EvidenceRecord) -> str:
    summary = as_mapping(record.summary)
    parts = []
    if summary.get("n") is not None:
        parts.append(f"n={count(summary['n'])}")
    if summary.get("verdict"):
        parts.append(f"verdict {summary['verdict']}")
    if summary.get("failed") is not None:
        parts.append(f"{summary['failed']} failed check(s)")
    return ", ".join(parts) or "see the record"


def build_datasheet(
    ws: Workspace, dataset: str, *, required: Sequence[str] | None = None
) -> Document:
    """Build the datasheet of a dataset version (``name@version``) from the store.

    Parameters
    ----------
    ws
        The workspace.
    dataset
        The dataset version, ``name@version`` or its digest.
    required
        The sections that must be answered (a policy requirement's ``sections``); every section
        (:data:`~assay.documents.DATASHEET_REQUIRED`) when None, none when empty (the policy does
        not require a datasheet). An unanswered required section is a gap; an unanswered optional
        one is marked as not required.

    Returns
    -------
    Document
        The datasheet; ``data`` holds the answers and facts the Croissant export uses, the status
        of every section and the required ones.
    """
    from assay.governance import get_dataset_version

    ds = get_dataset_version(ws, dataset)
    sheet = _Sheet(
        ds.ref,
        read_sections(ws, "datasheet", ds.ref),
        owner_of(ds),
        DATASHEET_REQUIRED if required is None else tuple(required),
    )
    ref, owner = sheet.ref, sheet.owner
    evidence = dataset_evidence(ws, ref)
    users = dataset_users(ws, ref)
    sections = _sections(sheet, ds, evidence, users)
    answers = sheet.answers
    return Document(
        kind="datasheet",
        title=f"Datasheet: {ref}",
        eyebrow="Responsible AI assurance · Datasheet for a dataset",
        subtitle=plain(ds.source)
        if ds.source
        else "Answers to the Datasheets for Datasets questions (Gebru et al., 2021)",
        meta=(
            ("Dataset", ds.name),
            ("Version", ds.version),
            ("Registered", f"{short_date(ds.created_at)} by {ds.created_by}"),
            ("Owner", owner),
            ("Licence", answers.fields.get("license") or _NOT_RECORDED),
            ("Answers", answers.record.ref if answers.record is not None else _NOT_RECORDED),
        ),
        sections=tuple(sections),
        data=_data(sheet, ds, evidence, users),
        footer=f"Datasheet of {ref}",
    )


@dataclass(frozen=True)
class _Sheet:
    """What the datasheet is built from (the dataset version, the people's answers, its owner and
    the required sections), and what it found: each section's status and the gaps."""

    ref: str
    answers: SectionSet
    owner: str
    wanted: tuple[str, ...]
    status: dict[str, str] = field(default_factory=dict)
    gaps: dict[str, Gap] = field(default_factory=dict)

    def human(self, key: str, auto: list[Block] | None = None) -> list[Block]:
        """A section: the automatic facts, then the answer; a required section nobody answered
        is a gap (``partial`` when there are facts)."""
        blocks = list(auto or [])
        text = self.answers.text(key)
        if text:
            blocks.append(Prose(text, self.answers.source(key)))
        if not text:
            spec = DATASHEET_SECTIONS[key]
            what = f"{spec.title} — not answered"
            if auto:
                what += " beyond the facts recorded above"
            blocks.append(Para(spec.question, muted=True))
            if key in self.wanted:
                fix = f"assay datasheet {self.ref} --section {key} --file TEXT.md"
                self.gaps[key] = Gap(what, self.owner, fix)
                blocks.append(GapBlock(self.gaps[key]))
            else:
                blocks.append(Para("Not answered; not required.", muted=True))
        self.status[key] = "filled" if text else ("partial" if auto else "gap")
        return blocks


def _sections(
    sheet: _Sheet, ds: DatasetVersion, evidence: list[EvidenceRecord], users: list[str]
) -> list[Section]:
    """The datasheet's sections, in order."""
    human = sheet.human
    uses: list[Block] | None = (
        [Para("Model versions trained on it: " + ", ".join(users) + ".")] if users else None
    )
    return [
        Section("motivation", "Motivation", tuple(human("motivation"))),
        Section("composition", "Composition", tuple(human("composition", _composition(ds)))),
        Section("collection", "Collection process", tuple(human("collection", _collection(ds)))),
        Section(
            "preprocessing",
            "Preprocessing, cleaning and labelling",
            tuple(human("preprocessing")),
        ),
        Section("uses", "Uses", tuple(human("uses", uses))),
        Section("distribution", "Distribution", tuple(human("distribution"))),
        Section("maintenance", "Maintenance", tuple(human("maintenance"))),
        Section("consent-licensing", "Consent and licensing", tuple(human("consent_licensing"))),
        Section(
            "known-gaps", "Known gaps and biases", tuple(human("known_gaps", _known(evidence)))
        ),
    ]


def _column_rows(ds: DatasetVersion) -> tuple[tuple[Cell, ...], ...]:
    """The dataset's columns (with their types when recorded)."""
    columns = ds.columns
    if isinstance(columns, dict):
        return tuple((str(k), str(v)) for k, v in columns.items())
    if isinstance(columns, list):
        return tuple((str(c), None) for c in columns)
    return ()


def _composition(ds: DatasetVersion) -> list[Block]:
    """The dataset version's record: digest, rows and schema."""
    col_rows = _column_rows(ds)
    composition: list[Block] = [
        Facts(
            (
                ("Dataset version", ds.ref),
                ("Digest", hash_cell(ds.digest)),
                ("Rows", count(ds.rows) if ds.rows is not None else _NOT_RECORDED),
                ("Columns", str(len(col_rows)) if col_rows else None),
            )
        )
    ]
    if col_rows:
        composition.append(Table(("Column", "Type"), col_rows, caption="Schema"))
    return composition


def _collection(ds: DatasetVersion) -> list[Block]:
    """The recorded source and collection notes."""
    if ds.source or ds.collection_notes:
        return [Facts((("Source", ds.source), ("Collection notes", ds.collection_notes)))]
    return []


def _known(evidence: list[EvidenceRecord]) -> list[Block]:
    """The evaluations recorded on the dataset version."""
    if not evidence:
        return []
    return [
        Table(
            ("Evidence", "Kind", "Recorded", "Result"),
            tuple((r.ref, r.kind, short_date(r.created_at), _summary_text(r)) for r in evidence),
            caption="Evaluations recorded on this dataset version",
        )
    ]


def _data(
    sheet: _Sheet, ds: DatasetVersion, evidence: list[EvidenceRecord], users: list[str]
) -> dict[str, Any]:
    """The datasheet's data: the answers and facts the Croissant export uses, and the status of
    every section."""
    answers = sheet.answers
    return {
        "dataset": sheet.ref,
        "name": ds.name,
        "version": ds.version,
        "digest": ds.digest,
        "registered": ds.created_at.isoformat(),
        "rows": ds.rows,
        "columns": ds.columns,
        "source": ds.source,
        "collection_notes": ds.collection_notes,
        "answers": dict(answers.sections),
        "fields": dict(answers.fields),
        "section_status": sheet.status,
        "required_sections": list(sheet.wanted),
        "owner": sheet.owner,
        "section_gaps": {
            k: {"what": g.what, "owner": g.owner, "fix": g.fix} for k, g in sheet.gaps.items()
        },
        "sections_record": answers.record.ref if answers.record is not None else None,
        "evidence": [r.ref for r in evidence],
        "used_by": users,
    }

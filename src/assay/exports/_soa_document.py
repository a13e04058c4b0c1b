"""The statement of applicability as a document (Markdown, HTML, PDF, JSON through
:func:`assay.documents.render_document`) and as a CSV export (one row per control)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from assay.documents import Badge, Callout, Document, Facts, Gap, Para, Section, Table
from assay.exports._csv_cells import csv_text
from assay.exports._soa import SOA_STATUSES, SoaControl, SoaEvidence, StatementOfApplicability

__all__ = ["SOA_COLUMNS", "soa_csv", "soa_document"]

SOA_COLUMNS = ("control", "title", "objective", "included", "status", "justification",
               "means", "evidence", "records", "gaps")  # fmt: skip
"""The CSV's columns (stable; new ones are appended)."""

_BADGE = {"implemented": "present", "partial": "partial", "missing": "missing",
          "outside": "info", "excluded": "na"}  # fmt: skip


def _evidence_text(evidence: Sequence[SoaEvidence]) -> str:
    """Each signal's detail and records, per system (for the CSV)."""
    return "; ".join(
        f"{e.system}: {e.detail}" + (f" ({', '.join(e.records)})" if e.records else "")
        for e in evidence
    )


def _records_text(c: SoaControl) -> str:
    """The records that implement a control; per system, with its status there, when several
    systems are in scope."""
    per: dict[str, list[str]] = {}
    for e in c.evidence:
        per.setdefault(e.system, []).extend(e.records)
    shown = {s: ", ".join(dict.fromkeys(per.get(s, []))) or "—" for s, _ in c.by_system}
    if len(c.by_system) == 1:
        return "; ".join(shown.values())
    return "; ".join(f"{s} ({SOA_STATUSES[st]}): {shown[s]}" for s, st in c.by_system)


def _row(c: SoaControl) -> tuple[str | Badge | Gap | None, ...]:
    status = Badge(_BADGE[c.status], SOA_STATUSES[c.status])
    shown = _records_text(c)
    if c.status in ("outside", "excluded"):
        shown = "the AI management system's own records" if c.status == "outside" else ""
    means = "; ".join(c.means)
    why = f"{c.justification} Evidenced by: {means.lower()}." if means else c.justification
    return (f"{c.id} {c.title}", "yes" if c.included else "no", status, why, shown or None)


def _control_sections(soa: StatementOfApplicability) -> list[Section]:
    groups: dict[str, list[SoaControl]] = {}
    for c in soa.controls:
        groups.setdefault(c.objective, []).append(c)
    out = []
    for objective, controls in groups.items():
        ref, title = objective.split(" ", 1)
        table = Table(
            ("Control", "Applicable", "Status", "Justification", "Implemented by (records)"),
            tuple(_row(c) for c in controls),
        )
        out.append(Section(f"controls-{ref.replace('.', '-')}", title, (table,), label=ref))
    return out


def _gap_section(soa: StatementOfApplicability) -> Section:
    rows = []
    for c in soa.controls:
        for x in c.gaps:
            gap = Gap(x.requirement, x.owner, x.fix)
            rows.append((c.id, x.system, x.document, gap))
    if not rows:
        blocks: tuple[Table | Para, ...] = (Para("Every applicable control Assay can evidence "
                                                 "is implemented: no gaps."),)  # fmt: skip
    else:
        blocks = (Table(("Control", "System", "Document", "What is missing"), tuple(rows),
                        caption=f"Gaps ({len(rows)})"),)  # fmt: skip
    lead = ("What the included controls still need, named as the review packet names them "
            "(document, requirement, owner, command); a need the packet does not check comes "
            "from the crosswalk (document 'framework').")  # fmt: skip
    return Section("gaps", "Gaps", blocks, lead=lead, label="G")


def soa_document(soa: StatementOfApplicability) -> Document:
    """The statement as a :class:`~assay.documents.Document`: scope and sources, a summary, one
    section per control objective, and the gaps."""
    summary = Table(
        ("Status", "Controls"),
        tuple((SOA_STATUSES[k], soa.count(k)) for k in SOA_STATUSES),
        numeric=(1,),
        caption=f"{len(soa.controls)} controls of ISO/IEC 42001:2023 Annex A",
    )
    note = Callout("info", "How to read this statement", (
        "Applicable: included in the AI management system, or excluded by the policy with the "
        "justification given (ISO/IEC 42001, 6.1.3 d).",
        "Implemented by: the records of the evidence store that implement the control, per the "
        "crosswalk; 'evidenced outside Assay' marks organisational controls whose implementation "
        "and evidence the management system keeps elsewhere.",
        "A control's status is the least implemented one across the systems in scope.",
    ))  # fmt: skip
    scope = Section("scope", "Scope and sources", (
        Facts((("AI systems in scope", ", ".join(soa.systems)), ("Policy", soa.policy),
               ("Crosswalk", soa.crosswalk), ("Control catalog", soa.catalog),
               ("Computed", soa.computed_at))),
        summary, note,
    ), label="S")  # fmt: skip
    return Document(
        kind="statement_of_applicability",
        title="Statement of applicability",
        eyebrow="ISO/IEC 42001:2023 · Annex A",
        subtitle=f"AI management system scope: {', '.join(soa.systems)}",
        meta=(("Policy", soa.policy), ("Computed", soa.computed_at)),
        sections=(scope, *_control_sections(soa), _gap_section(soa)),
        data=soa.to_dict(),
        footer="Control identifiers and titles only: the control text is in the standard.",
    )


def soa_csv(soa: StatementOfApplicability) -> str:
    """One row per control: :data:`SOA_COLUMNS`; evidence, records and gaps joined with ``; ``."""
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(SOA_COLUMNS)
    for c in soa.controls:
        records = dict.fromkeys(r for e in c.evidence for r in e.records)
        gaps = [f"{x.system}: {x.requirement} (owner: {x.owner or 'none'}) — {x.fix}"
                for x in c.gaps]  # fmt: skip
        cells = [c.id, c.title, c.objective, "true" if c.included else "false", c.status,
                 c.justification, "; ".join(c.means), _evidence_text(c.evidence),
                 "; ".join(records), "; ".join(gaps)]  # fmt: skip
        writer.writerow([csv_text(cell) for cell in cells])
    return sink.getvalue()

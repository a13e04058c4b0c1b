"""The system card: a multi-component or generative system as a whole — its models, prompts,
retrieval, guardrails, human oversight, disclosures, evaluations and monitoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
from assay.documents._sections import SYSTEM_CARD_SECTIONS, SectionSet, read_sections
from assay.policy import EVALUATION_KINDS, stored_kinds
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from collections.abc import Sequence

    from assay.governance import SystemOverview, Workspace

__all__ = ["build_system_card", "evaluation_rows"]

GENERATIVE_ONLY = frozenset({"prompts", "retrieval", "disclosures"})


def evaluation_rows(ws: Workspace, system: str) -> list[tuple[Cell, ...]]:
    """The latest evidence of each evaluation kind: ref, kind, model version, date, outcome."""
    from assay.governance import list_evidence

    rows: list[tuple[Cell, ...]] = []
    for kind in EVALUATION_KINDS:
        found = [
            r
            for name in stored_kinds(kind)
            for r in list_evidence(ws, system=system, kind=name, limit=1)
        ]
        if not found:
            continue
        r = max(found, key=lambda e: (e.created_at, e.id))
        summary = as_mapping(r.summary)
        failed = summary.get("failed")
        verdict = summary.get("verdict")
        outcome: Cell
        if isinstance(failed, int):
            outcome = (
                Badge("fail", f"{failed} check(s) failed") if failed else Badge("pass", "pass")
            )
        elif isinstance(verdict, str):
            outcome = Badge(verdict, verdict.replace("_", " "))
        else:
            outcome = "recorded"
        rows.append((r.ref, kind, r.model_version, short_date(r.created_at), outcome))
    return rows


def build_system_card(
    ws: Workspace, system: str, *, required: Sequence[str] | None = None
) -> Document:
    """Build the system card of a system from the inventory, evidence and human text.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.
    required
        The sections that must be written (a policy requirement's ``sections``); every section
        when None. An unwritten required section is a gap owned by the system's owner.

    Returns
    -------
    Document
        The card; prompt, retrieval and disclosure sections are required of generative systems
        only. ``data["section_gaps"]`` holds the gap of each required section not written.
    """
    from assay.governance import show_system

    overview = show_system(ws, system)
    card = _SystemCard(
        overview,
        read_sections(ws, "system_card", system),
        tuple(SYSTEM_CARD_SECTIONS) if required is None else tuple(required),
    )
    evals = evaluation_rows(ws, system)
    sys_rec, sections = overview.system, card.sections
    return Document(
        kind="system_card",
        title=f"System card: {system}",
        eyebrow="Responsible AI assurance · System card",
        subtitle=sys_rec.purpose,
        meta=(
            ("System", system),
            ("Owner", card.owner),
            ("Risk tier", sys_rec.risk_tier),
            ("Model versions", str(len(overview.model_versions))),
            ("Components", str(len(overview.components))),
            (
                "Card text",
                sections.record.ref if sections.record is not None else Badge("missing", "none"),
            ),
            ("Generated", short_date(ws.now())),
        ),
        sections=_body(card, evals),
        data={
            "system": system,
            "section_status": card.status,
            "section_gaps": {
                k: {"what": g.what, "owner": g.owner, "fix": g.fix} for k, g in card.gaps.items()
            },
            "sections_record": sections.record.ref if sections.record is not None else None,
            "evaluations": [str(r[0]) for r in evals],
        },
        footer=f"System card of {system}",
    )


@dataclass(frozen=True)
class _SystemCard:
    """What the card's sections are built from (the system's overview, the written sections and
    the required ones), and what they found: each section's status and the gaps."""

    overview: SystemOverview
    sections: SectionSet
    wanted: tuple[str, ...]
    status: dict[str, str] = field(default_factory=dict)
    gaps: dict[str, Gap] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return owner_of(self.overview.system)

    def text(self, key: str, auto: list[Block]) -> list[Block]:
        """A section: the automatic blocks and the written text; else not applicable, not
        required, or a gap owned by the system's owner."""
        sys_rec, sections = self.overview.system, self.sections
        blocks = list(auto)
        text = sections.text(key)
        if text:
            blocks.append(Prose(text, sections.source(key)))
        if blocks:
            self.status[key] = "filled"
            return blocks
        if key in GENERATIVE_ONLY and not sys_rec.generative:
            self.status[key] = "filled"
            return [Para("Not applicable: the system is not generative.", muted=True)]
        spec = SYSTEM_CARD_SECTIONS[key]
        self.status[key] = "gap"
        if key not in self.wanted:
            return [Para(f"{spec.question} Not written; not required.", muted=True)]
        self.gaps[key] = Gap(
            f"{spec.title} — not written yet",
            self.owner,
            f"assay card system {sys_rec.name} --section {key} --file TEXT.md",
        )
        return [Para(spec.question, muted=True), GapBlock(self.gaps[key])]


def _body(card: _SystemCard, evals: list[tuple[Cell, ...]]) -> tuple[Section, ...]:
    """The card's sections, in order."""
    add_text, overview = card.text, card.overview

    def components(kind: str) -> list[Block]:
        return _components(overview, kind)

    return (
        Section("overview", "System overview", tuple(add_text("overview", [_facts(card)]))),
        Section("models", "Models", tuple(add_text("models", _models(overview)))),
        Section("prompts", "Prompts", tuple(add_text("prompts", components("prompt")))),
        Section("retrieval", "Retrieval", tuple(add_text("retrieval", []))),
        Section("guardrails", "Guardrails", tuple(add_text("guardrails", components("guardrail")))),
        Section("human-oversight", "Human oversight", tuple(add_text("human_oversight", []))),
        Section("disclosures", "Disclosures", tuple(add_text("disclosures", []))),
        Section("evaluations", "Evaluations", tuple(add_text("evaluations", _evaluations(evals)))),
        Section("limitations", "Limitations", tuple(add_text("limitations", []))),
        Section(
            "monitoring", "Monitoring", tuple(add_text("monitoring", components("monitoring")))
        ),
    )


def _facts(card: _SystemCard) -> Facts:
    """The system record's facts."""
    sys_rec = card.overview.system
    return Facts(
        (
            ("Purpose", sys_rec.purpose),
            ("Intended use", sys_rec.intended_use or Badge("missing", "not stated")),
            ("Deployment context", sys_rec.deployment_context),
            ("Owner", card.owner),
            ("Risk tier", sys_rec.risk_tier),
            ("Lifecycle", sys_rec.lifecycle_status),
            ("Generative", "yes" if sys_rec.generative else "no"),
        )
    )


def _models(overview: SystemOverview) -> list[Block]:
    """The system's model versions, with their training data and artifact hashes."""
    if not overview.model_versions:
        return []
    return [
        Table(
            ("Model version", "Registered", "Training data", "Artifact sha256"),
            tuple(
                (
                    m.ref,
                    short_date(m.created_at),
                    ", ".join(m.training_datasets) or None,
                    hash_cell(m.artifact_sha256),
                )
                for m in overview.model_versions
            ),
        )
    ]


def _components(overview: SystemOverview, kind: str) -> list[Block]:
    """The system's components of one kind (prompts, guardrails, monitoring)."""
    found = [c for c in overview.components if c.kind == kind]
    if not found:
        return []
    return [
        Table(
            ("Name", "Version", "Content sha256", "Details"),
            tuple(
                (
                    c.name,
                    c.version,
                    hash_cell(c.content_sha256),
                    "; ".join(
                        f"{k}: {', '.join(map(str, as_list(v))) if isinstance(v, list) else v}"
                        for k, v in as_mapping(c.details).items()
                    )
                    or None,
                )
                for c in found
            ),
        )
    ]


def _evaluations(evals: list[tuple[Cell, ...]]) -> list[Block]:
    """The latest evaluation of each kind."""
    if not evals:
        return []
    return [
        Table(
            ("Evidence", "Evaluation", "Model version", "Recorded", "Outcome"),
            tuple(evals),
            caption="The latest record of each kind",
        )
    ]

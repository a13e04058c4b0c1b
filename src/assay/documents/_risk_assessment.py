"""The risk assessment of one system: its register with inherent and residual heat maps,
mitigations, actions, owners and due dates."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.documents._doc import (
    Badge,
    Block,
    Callout,
    Cell,
    Document,
    Figure,
    Gap,
    GapBlock,
    Para,
    Section,
    Table,
)
from assay.documents._gather import load_json, short_date
from assay.documents._mitigation import cited_mitigations, mitigation_blocks, mitigation_records
from assay.documents._owners import owner_of
from assay.policy import RATING_FILL, RATINGS, describe_bands, rating
from assay.render import heat_map

if TYPE_CHECKING:
    from assay.governance import Risk, System, Workspace

__all__ = ["build_risk_assessment", "no_risks_gap", "risk_gaps"]


def _level(likelihood: int | None, severity: int | None) -> Cell:
    if likelihood is None or severity is None:
        return None
    r = rating(likelihood, severity)
    return Badge(r, f"{likelihood}×{severity}={likelihood * severity} {r}")


def risk_gaps(risk: Risk, today: Any) -> list[Gap]:
    """What an open risk still lacks: mitigations, a residual assessment, a due date."""
    if not risk.is_open:
        return []
    gaps = []
    fix = f"assay risk update {risk.ref}"
    if not risk.mitigations:
        gaps.append(Gap(f"mitigations for {risk.ref}", risk.owner, f"{fix} --mitigations TEXT"))
    if risk.due_date is None:
        gaps.append(Gap(f"due date for {risk.ref}", risk.owner, f"{fix} --due YYYY-MM-DD"))
    if risk.mitigations and risk.residual_likelihood is None:
        gaps.append(
            Gap(
                f"residual assessment of {risk.ref}",
                risk.owner,
                f"{fix} --residual-likelihood N --residual-severity N",
            )
        )
    return gaps


def no_risks_gap(system: System) -> Gap:
    """The gap of a system whose register is empty: the assessment's and completeness's."""
    return Gap(
        f"no risks are recorded for {system.name}",
        owner_of(system),
        f"assay risk add {system.name} --title ... --category mit:1.1 --likelihood N "
        "--severity N --owner NAME",
    )


def _gap_cell(gaps: list[Gap], what: str) -> Cell:
    """The risk's gap that starts with ``what``, as a table cell (the same object
    :func:`risk_gaps` gives completeness)."""
    return next((g for g in gaps if g.what.startswith(what)), None)


def build_risk_assessment(ws: Workspace, system: str) -> Document:
    """Build the risk assessment of a system from its risk register.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.

    Returns
    -------
    Document
        The assessment: heat maps, the register, mitigations and actions, overdue items, gaps.
    """
    from assay.governance import get_system, list_risks

    sys_rec = get_system(ws, system)
    reg = _Register.of(list_risks(ws, system=system), ws.today())
    sections = (
        Section("overview", "Overview and heat maps", tuple(_overview(sys_rec, reg))),
        Section("register", "Risk register", (_register_table(reg, system, ws),)),
        Section("mitigations", "Mitigations, actions and owners", tuple(_mitigations(ws, reg))),
        *_mitigation_evidence(ws, reg, system),
    )
    data = {
        "system": system,
        "risks": [r.to_dict() for r in reg.risks],
        "heat_map": {
            "inherent": [[lk, s, ref] for lk, s, ref in reg.inherent],
            "residual": [[lk, s, ref] for lk, s, ref in reg.residual],
        },
        "overdue": [r.ref for r in reg.overdue],
    }
    return Document(
        kind="risk_assessment",
        title=f"Risk assessment: {system}",
        eyebrow="Responsible AI assurance · Risk assessment",
        subtitle=sys_rec.purpose,
        meta=(
            ("System", system),
            ("Risk tier", sys_rec.risk_tier),
            ("Owner", sys_rec.owner),
            ("Lifecycle", sys_rec.lifecycle_status),
            ("Risks", str(len(reg.risks))),
            ("Assessed", short_date(ws.now())),
        ),
        sections=sections,
        data=data,
        footer=f"Risk assessment of {system}",
    )


_Cells = list[tuple[int, int, str]]


@dataclass(frozen=True)
class _Register:
    """The system's risks as the assessment reads them: those not closed, their places on the
    inherent and residual heat maps, the overdue ones, and the gaps of each."""

    risks: list[Risk]
    active: list[Risk]
    inherent: _Cells
    residual: _Cells
    overdue: list[Risk]
    gaps: dict[str, list[Gap]]

    @classmethod
    def of(cls, risks: list[Risk], today: dt.date) -> _Register:
        """Read the register of ``risks`` as of ``today``."""
        active = [r for r in risks if r.status != "closed"]
        inherent = [(r.inherent_likelihood, r.inherent_severity, r.ref) for r in active]
        residual = [
            (
                r.residual_likelihood or r.inherent_likelihood,
                r.residual_severity or r.inherent_severity,
                r.ref,
            )
            for r in active
        ]
        overdue = [r for r in active if r.is_open and r.due_date is not None and r.due_date < today]
        gaps = {r.ref: risk_gaps(r, today) for r in risks}
        return cls(risks, active, inherent, residual, overdue, gaps)


def _overview(sys_rec: System, reg: _Register) -> list[Block]:
    """The counts by rating and the heat maps (or the gap of an empty register), and the risks
    past their due date."""
    blocks: list[Block] = []
    if not reg.risks:
        blocks.append(GapBlock(no_risks_gap(sys_rec)))
    else:
        by_rating = Counter(r.rating for r in reg.active)
        counts = ", ".join(f"{by_rating[k]} {k}" for k in RATINGS if by_rating[k]) or "none"
        blocks.append(
            Para(
                f"{len(reg.risks)} risk(s) in the register, {len(reg.active)} not closed "
                f"(current rating: {counts}). Ratings use the 5×5 matrix: likelihood × severity; "
                f"{describe_bands()}."
            )
        )
        blocks.append(_heat_maps(reg))
    if reg.overdue:
        blocks.append(
            Callout(
                "fail",
                f"{len(reg.overdue)} risk(s) past their due date",
                tuple(
                    f"{r.ref} {r.title} — owner {r.owner}, due {r.due_date}" for r in reg.overdue
                ),
            )
        )
    return blocks


def _heat_maps(reg: _Register) -> Figure:
    """The inherent and residual heat maps of the risks not closed, side by side."""
    svg = (
        '<div class="heatmaps">'
        + heat_map(
            reg.inherent, rating=rating, fill=RATING_FILL, title="Inherent risk (before mitigation)"
        )
        + heat_map(
            reg.residual,
            rating=rating,
            fill=RATING_FILL,
            title="Residual risk (after mitigation)",
            description="Risks not yet reassessed are placed at their inherent rating.",
        )
        + "</div>"
    )
    not_reassessed = sum(1 for r in reg.active if r.residual_likelihood is None)
    return Figure(
        svg,
        "Number of risks that are not closed in each cell. "
        + (
            f"{not_reassessed} risk(s) without a residual assessment are placed at "
            "their inherent rating on the right."
            if not_reassessed
            else "Every risk has a residual assessment."
        ),
    )


def _register_table(reg: _Register, system: str, ws: Workspace) -> Table:
    """The register, one row per risk, with its inherent and residual ratings."""
    rows: list[tuple[Cell, ...]] = []
    for r in reg.risks:
        rows.append(
            (
                r.ref,
                r.title,
                f"{r.category} {r.category_name}",
                _level(r.inherent_likelihood, r.inherent_severity),
                _level(r.residual_likelihood, r.residual_severity) or "not reassessed",
                r.owner,
                str(r.due_date) if r.due_date else _gap_cell(reg.gaps[r.ref], "due date"),
                Badge(r.status, r.status),
            )
        )
    return Table(
        ("Risk", "Title", "Category", "Inherent", "Residual", "Owner", "Due", "Status"),
        tuple(rows),
        caption="The register, highest current rating first",
        source=f"risk register of {system}, read {short_date(ws.now())}",
    )


def _mitigations(ws: Workspace, reg: _Register) -> list[Block]:
    """What is done about each risk (mitigations, actions, closure evidence), and the risks
    mitigated but not reassessed."""
    from assay.governance import list_actions

    rows: list[tuple[Cell, ...]] = []
    gap_blocks: list[Block] = []
    for r in reg.risks:
        if r.status == "closed" and not r.mitigations:
            continue
        actions = list_actions(ws, risk=r.ref)
        listed = "; ".join(
            f"{a.ref} {a.title} ({a.owner}, due {a.due_date}, {a.status}"
            + (f", closed with EV-{a.closure_evidence})" if a.closure_evidence else ")")
            for a in actions
        )
        rows.append(
            (
                r.ref,
                r.mitigations or _gap_cell(reg.gaps[r.ref], "mitigations"),
                listed or "none",
                r.owner,
                str(r.due_date) if r.due_date else None,
                f"EV-{r.closure_evidence}" if r.closure_evidence else None,
            )
        )
        gap_blocks.extend(
            GapBlock(gap) for gap in reg.gaps[r.ref] if gap.what.startswith("residual")
        )
    return [
        Table(
            ("Risk", "Mitigations", "Remediation actions", "Owner", "Due", "Closure evidence"),
            tuple(rows),
            caption="What is done about each risk, by whom and by when",
        ),
        *gap_blocks,
    ]


def _mitigation_evidence(ws: Workspace, reg: _Register, system: str) -> list[Section]:
    """The recorded mitigations the risks cite (the trade-off each chose and what it cost), or
    the system's latest one with how to cite it; no section when none is recorded."""
    blocks: list[Block] = []
    shown: set[str] = set()
    for r in reg.risks:
        for record, payload in cited_mitigations(ws, r.evidence):
            blocks.append(Para(f"{r.ref} ({r.title}) cites {record.ref}:"))
            blocks.extend(mitigation_blocks(payload, record))
            shown.add(record.ref)
    latest = mitigation_records(ws, system)
    if latest and latest[0].ref not in shown:
        record = latest[0]
        blocks.append(
            Para(
                f"{record.ref} is the latest mitigation of {system}; no risk cites it yet "
                f"(`assay risk link RISK-N {record.ref}`).",
                muted=True,
            )
        )
        blocks.extend(mitigation_blocks(load_json(ws, record), record))
    if not blocks:
        return []
    return [
        Section(
            "mitigation-evidence",
            "Mitigation evidence",
            tuple(blocks),
            lead="What each recorded mitigation chose and what it cost, on held-out data.",
        )
    ]

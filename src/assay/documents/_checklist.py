"""The team checklist of a system: the policy's requirements for its tier, as steps to tick off.

Each requirement of each checkpoint becomes a line saying what evidence is needed, how to produce
it (the command and the SOP), and whether it is already there; then who signs and what blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.documents._doc import Badge, Block, Callout, Cell, Document, Para, Section, Table
from assay.documents._gather import short_date
from assay.policy import minimum_percent

if TYPE_CHECKING:
    from assay.governance import Workspace
    from assay.policy import EvidenceRequirement, Policy

__all__ = ["build_checklist"]

HOW = {
    "model_card": ("assay card model SYSTEM --section KEY --file TEXT.md", "docs/documents.md"),
    "system_card": ("assay card system SYSTEM --section KEY --file TEXT.md", "docs/documents.md"),
    "datasheet": ("assay datasheet NAME@VERSION --section KEY --file TEXT.md", "docs/documents.md"),
    "fairness": (
        "assay evaluate fairness DATA ... --record --system SYSTEM --model-version VERSION",
        "docs/sops/fairness.md",
    ),
    "robustness": (
        "assay robustness run ... --record --system SYSTEM --model-version VERSION",
        "docs/sops/robustness.md",
    ),
    "pii_scan": (
        "assay pii scan DATA --record --system SYSTEM --model-version VERSION",
        "docs/sops/pii.md",
    ),
    "drift": (
        "assay check drift REFERENCE CURRENT -f json -o drift.json; "
        "assay evidence add drift.json --kind drift --system SYSTEM --model-version VERSION",
        "docs/sops/drift-quality.md",
    ),
    "quality": (
        "assay check data DATA --record --system SYSTEM --model-version VERSION",
        "docs/sops/drift-quality.md",
    ),
    "redteam": (
        "assay redteam run --target URL ... --record --system SYSTEM --model-version VERSION",
        "docs/sops/redteam.md",
    ),
    "monitoring_spec": ("assay monitor register --spec SPEC.yaml", "docs/monitoring.md"),
    "risk_assessment": ("assay risk add SYSTEM ...; assay report risk SYSTEM", "docs/documents.md"),
}


def _describe(req: EvidenceRequirement) -> str:
    text = str(req.kind).replace("_", " ")
    if req.for_each:
        text += f" for each {req.for_each.replace('_', ' ')}"
    if req.max_age_days:
        text += f", no older than {req.max_age_days} days"
    if req.sections:
        text += " — sections: " + ", ".join(s.replace("_", " ") for s in req.sections)
    if req.every_risk_has_owner:
        text += " — every risk with an owner, mitigations and a due date"
    return text


def build_checklist(
    ws: Workspace,
    system: str,
    *,
    tier: str | None = None,
    policy: Policy | None = None,
) -> Document:
    """Build the checklist of a system for its tier (every checkpoint the policy defines).

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.
    tier
        The tier to use instead of the system's own (``high``, ``limited``, ``minimal``).
    policy
        The policy; the shipped default when None.

    Returns
    -------
    Document
        Steps with their status, the command and SOP for each, sign-off and blocking rules.
    """
    from assay.errors import InputError
    from assay.governance import get_system
    from assay.policy import load_policy

    pol = policy if policy is not None else load_policy()
    sys_rec = get_system(ws, system)
    tier_name = tier or sys_rec.risk_tier
    if tier_name not in pol.tiers and tier is not None:
        raise InputError(
            f"The policy defines no tier {tier!r}; its tiers are {', '.join(pol.tiers)}. "
            f"Pass --tier {'|'.join(pol.tiers)}."
        )
    if tier_name not in pol.tiers:
        raise InputError(
            f"{system!r} has the tier {tier_name!r}, which the policy does not define; triage it "
            f"first, or pass --tier {'|'.join(pol.tiers)}."
        )
    sections = [
        _checkpoint(ws, system, tier_name, name, pol) for name in pol.tiers[tier_name].checkpoints
    ]
    sections.append(Section("steps", "Evaluation steps", (Para(STEPS),)))
    return Document(
        kind="checklist",
        title=f"Checklist: {system} ({tier_name} tier)",
        eyebrow="Responsible AI assurance · Team checklist",
        subtitle=pol.tiers[tier_name].description,
        meta=(
            ("System", system),
            ("Tier", tier_name),
            ("Policy", f"{pol.name} {pol.version}"),
            ("Owner", sys_rec.owner),
            ("As of", short_date(ws.now())),
        ),
        sections=tuple(sections),
        data={"system": system, "tier": tier_name},
        footer=f"Checklist of {system} from {pol.name} {pol.version}",
    )


STEPS = (
    "1. Register the model version with its training datasets. "
    "2. Answer the datasheet of each training dataset. "
    "3. Run and record the evaluations above (each SOP says how to read them). "
    "4. Record every finding as a risk with an owner, mitigation and due date. "
    "5. Write the card's human sections. "
    "6. Check: assay completeness REV-N. 7. Build the packet: assay packet build "
    "REV-N, and ask the approvers to sign it."
)


def _checkpoint(ws: Workspace, system: str, tier_name: str, name: str, pol: Policy) -> Section:
    """One checkpoint: each evidence requirement as a step, then who signs and what blocks."""
    from assay.documents._completeness import system_completeness

    point = pol.tiers[tier_name].checkpoints[name]
    report = system_completeness(ws, system, tier=tier_name, checkpoint=name, policy=pol)
    rows: list[tuple[Cell, ...]] = []
    for req in point.evidence:
        done = [i for i in report.items if _belongs(i.document, req.kind)]
        ok = bool(done) and all(i.present for i in done)
        how, sop = HOW.get(req.kind, (f"assay evidence add FILE --kind {req.kind}", ""))
        rows.append(
            (
                "☑" if ok else "☐",
                _describe(req),
                Badge("present", "done")
                if ok
                else Badge("missing", f"{sum(i.present for i in done)}/{len(done)}"),
                how.replace("SYSTEM", system),
                sop,
            )
        )
    blocks: list[Block] = [
        Table(
            ("", "Evidence", "Status", "How", "SOP"),
            tuple(rows),
            caption=f"Evidence for {name} (completeness now {report.score}%)",
        ),
        Callout(
            "info",
            "Sign-off and blocking rules",
            (
                "Signed by: " + (", ".join(point.approvers) or "no approver required"),
                "Blocks approval: open risks rated "
                + (" or ".join(point.block_on_open_risks) or "none")
                + " without an active waiver",
                f"Minimum evidence completeness: {minimum_percent(pol.minimum_completeness):g}%",
            ),
        ),
    ]
    return Section(name, f"Checkpoint: {name}", tuple(blocks))


def _belongs(document: str, kind: str) -> bool:
    names = {
        "model_card": ("model card",),
        "system_card": ("system card",),
        "datasheet": ("datasheet", "datasheets"),
        "monitoring_spec": ("monitoring",),
        "risk_assessment": ("risk assessment",),
    }.get(kind, (kind,))
    return any(document == n or document.startswith(n + " ") for n in names)

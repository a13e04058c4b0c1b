"""The ISO/IEC 42001 statement of applicability: every Annex A control, included or excluded with
its justification, and the evidence that implements it.

Built from three sources and nothing else: the Annex A catalog
(:func:`assay.frameworks.get_framework`), the crosswalk and the coverage it gives for each system
in scope (:func:`assay.frameworks.framework_coverage`), and the policy — which controls it
excludes (``soa_exclusions``, each with its justification) and which evidence it requires of each
tier (the inclusion's justification). A control that the evidence does not yet implement carries
the gaps of the review packet (:func:`assay.documents.system_completeness`: the same words,
owners and commands); a need the packet does not check is named from the crosswalk, owned by the
system's owner as the packet's owner rule says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay import governance as g
from assay.documents import CheckItem, system_completeness
from assay.errors import InputError
from assay.frameworks import (
    Crosswalk,
    FrameworkCoverage,
    ItemCoverage,
    framework_coverage,
    get_framework,
    load_crosswalk,
)

if TYPE_CHECKING:
    from assay.governance import Workspace
    from assay.policy import Policy

__all__ = [
    "ISO_42001",
    "SOA_SCHEMA",
    "SOA_STATUSES",
    "SoaControl",
    "SoaEvidence",
    "SoaGap",
    "StatementOfApplicability",
    "build_soa",
]

ISO_42001 = "iso-iec-42001-2023"
SOA_SCHEMA = "assay.statement-of-applicability/v1"

SOA_STATUSES = {
    "implemented": "implemented",
    "partial": "partially implemented",
    "missing": "not implemented",
    "outside": "evidenced outside Assay",
    "excluded": "excluded",
}
"""Status key → how the statement says it. ``outside``: an organisational control the crosswalk
maps to no Assay record (policies, training, contracts); its evidence is kept elsewhere."""

_STATUS_OF = {"covered": "implemented", "partial": "partial", "missing": "missing",
              "not_evidenced": "outside"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SoaEvidence:
    """A signal that implements a control for one system, with the records that show it."""

    system: str
    signal: str
    detail: str
    records: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SoaGap:
    """What a control still needs for one system: the packet's gap (document, requirement, owner,
    command), or the crosswalk's need when the packet does not check it."""

    system: str
    document: str
    requirement: str
    owner: str | None
    fix: str


@dataclass(frozen=True, slots=True)
class SoaControl:
    """One Annex A control in the statement."""

    id: str
    title: str
    objective: str
    included: bool
    justification: str
    status: str
    """A key of :data:`SOA_STATUSES`; across systems, the least implemented one."""
    by_system: tuple[tuple[str, str], ...]
    """Each system in scope and the control's status for it."""
    means: tuple[str, ...]
    """How Assay evidences the control: the crosswalk's signals (none: organisational)."""
    evidence: tuple[SoaEvidence, ...]
    gaps: tuple[SoaGap, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "id": self.id, "title": self.title, "objective": self.objective,
            "included": self.included, "justification": self.justification,
            "status": self.status, "by_system": dict(self.by_system), "means": list(self.means),
            "evidence": [{"system": e.system, "signal": e.signal, "detail": e.detail,
                          "records": list(e.records)} for e in self.evidence],
            "gaps": [{"system": x.system, "document": x.document, "requirement": x.requirement,
                      "owner": x.owner, "fix": x.fix} for x in self.gaps],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatementOfApplicability:
    """The statement: its scope, the sources it was built from and one row per control."""

    systems: tuple[str, ...]
    policy: str
    crosswalk: str
    catalog: str
    computed_at: str
    controls: tuple[SoaControl, ...]

    def count(self, status: str) -> int:
        """How many controls have ``status``."""
        return sum(1 for c in self.controls if c.status == status)

    @property
    def gaps(self) -> list[SoaGap]:
        """Every gap of every included control, without repeats, in control order."""
        return list(dict.fromkeys(x for c in self.controls for x in c.gaps))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (``schema: assay.statement-of-applicability/v1``)."""
        return {
            "schema": SOA_SCHEMA, "systems": list(self.systems), "policy": self.policy,
            "crosswalk": self.crosswalk, "catalog": self.catalog,
            "computed_at": self.computed_at,
            "counts": {k: self.count(k) for k in SOA_STATUSES},
            "controls": [c.to_dict() for c in self.controls],
        }  # fmt: skip


# Which packet gaps speak to a crosswalk signal: by the completeness item's document (a
# datasheet's items are "datasheet NAME@VERSION") and, for system fields, its requirement.
_GAP_DOCUMENTS = {
    "evidence.model_card": "model card",
    "evidence.system_card": "system card",
    "evidence.datasheet": "datasheet",
    "evidence.monitoring_spec": "monitoring",
    "component.monitoring": "monitoring",
    "evidence.risk_assessment": "risk assessment",
    "risk.register": "risk assessment",
    "evidence.traceable": "traceability",
    "system.intended_use": "system field intended use",
    "system.out_of_scope_use": "system field out of scope use",
}


def _speaks_to(signal: str, item: CheckItem) -> bool:
    name = _GAP_DOCUMENTS.get(signal)
    if name is None and signal.startswith("evidence."):
        name = signal.removeprefix("evidence.")
    if name is None:
        return False
    if name.startswith("system field"):
        return item.document == "system" and item.requirement == name
    return item.document == name or item.document.startswith(f"{name} ") or (
        name == "datasheet" and item.document == "datasheets")  # fmt: skip


def _gaps_for(
    system: g.System, item: ItemCoverage, packet: Sequence[CheckItem], cw: Crosswalk
) -> list[SoaGap]:
    """The gaps of one control for one system: the packet's where it checks the need."""
    out: list[SoaGap] = []
    for group in item.unmet:
        found = [p for p in packet for s in group if _speaks_to(s.signal, p)]
        if found:
            out.extend(SoaGap(system.name, p.document, p.requirement, p.owner, p.fix)
                       for p in dict.fromkeys(found))  # fmt: skip
            continue
        need = " or ".join(cw.signals[s.signal].label for s in group)
        fix = " or ".join(cw.signals[s.signal].fix.replace("SYSTEM", system.name) for s in group)
        out.append(SoaGap(system.name, "framework", need, system.owner, fix))
    return out


def _required_kinds(policy: Policy, tiers: Sequence[str]) -> dict[str, list[str]]:
    """Evidence kind → the tiers (with checkpoints) whose policy requires it."""
    out: dict[str, list[str]] = {}
    for tier in dict.fromkeys(tiers):
        if tier not in policy.tiers:
            continue
        for name, point in policy.tiers[tier].checkpoints.items():
            for req in point.evidence:
                out.setdefault(req.kind, []).append(f"{tier} tier at {name}")
    return out


def _justification(
    control: str, cw: Crosswalk, policy: Policy, required: dict[str, list[str]]
) -> str:
    mapping = cw.mapping(ISO_42001, control)
    if mapping is None:
        return ("Included: an organisational control of the AI management system; its "
                "implementation and evidence are kept outside Assay (policies, training, "
                "contracts).")  # fmt: skip
    kinds = [s.removeprefix("evidence.") for s in mapping.signals if s.startswith("evidence.")]
    demanded = [f"{k} ({'; '.join(dict.fromkeys(required[k]))})" for k in kinds if k in required]
    if demanded:
        return f"Included: the policy '{policy.name}' requires {', '.join(demanded)}."
    return "Included: it applies to every AI system in scope."


def _worst(statuses: Sequence[str]) -> str:
    for status in ("missing", "partial", "implemented", "outside"):
        if status in statuses:
            return status
    return "outside"


def _scope(ws: Workspace, systems: Sequence[str] | None) -> list[g.System]:
    chosen = [g.get_system(ws, s) for s in systems] if systems else g.list_systems(ws)
    if not chosen:
        raise InputError("The statement of applicability needs an AI system in scope; register "
                         "one with assay system add NAME --purpose TEXT --owner NAME.")  # fmt: skip
    return chosen


def _check_exclusions(policy: Policy, ids: Sequence[str]) -> None:
    unknown = [c for c in policy.soa_exclusions if c not in ids]
    if unknown:
        raise InputError(
            f"The policy '{policy.name}' excludes {', '.join(unknown)} from the statement of "
            f"applicability, which ISO/IEC 42001 Annex A does not have; its controls are "
            f"{', '.join(ids)}."
        )


def _control(
    rows: Sequence[tuple[g.System, ItemCoverage, Sequence[CheckItem]]],
    objective: str,
    cw: Crosswalk,
    policy: Policy,
    required: dict[str, list[str]],
) -> SoaControl:
    first = rows[0][1]
    title = get_framework(ISO_42001).item(first.id).title
    excluded = policy.soa_exclusions.get(first.id)
    if excluded is not None:
        return SoaControl(first.id, title, objective, False, f"Excluded: {excluded}", "excluded",
                          tuple((s.name, "excluded") for s, _, _ in rows), (), (), ())  # fmt: skip
    mapping = cw.mapping(ISO_42001, first.id)
    means = tuple(cw.signals[s].label for s in mapping.signals) if mapping else ()
    evidence = tuple(SoaEvidence(s.name, m.signal, m.detail, m.records)
                     for s, item, _ in rows for m in item.met)  # fmt: skip
    gaps = tuple(x for s, item, packet in rows for x in _gaps_for(s, item, packet, cw))
    by_system = tuple((s.name, _STATUS_OF[item.status]) for s, item, _ in rows)
    return SoaControl(
        first.id, title, objective, True, _justification(first.id, cw, policy, required),
        _worst([status for _, status in by_system]), by_system, means, evidence, gaps,
    )  # fmt: skip


def build_soa(
    ws: Workspace,
    *,
    systems: Sequence[str] | None = None,
    policy: Policy | None = None,
    crosswalk: Crosswalk | None = None,
) -> StatementOfApplicability:
    """The statement of applicability of the AI systems in scope.

    Parameters
    ----------
    ws
        The workspace.
    systems
        The AI systems in the management system's scope; default: every system in the inventory.
    policy
        Exclusions (``soa_exclusions``) and evidence requirements; default: the workspace's.
    crosswalk
        Default: the shipped crosswalk.

    Returns
    -------
    StatementOfApplicability
        One row per Annex A control; a control's status is the least implemented across the
        systems, its evidence and gaps are listed per system.

    Examples
    --------
    >>> import tempfile
    >>> ws = g.init_workspace(tempfile.mkdtemp(), user="ada")
    >>> _ = g.add_system(ws, "credit", purpose="Scores loan applications", owner="ada")
    >>> soa = build_soa(ws)
    >>> len(soa.controls), soa.controls[0].id, soa.count("excluded")
    (38, 'A.2.2', 0)
    >>> ws.close()
    """
    pol = policy if policy is not None else ws.policy
    cw = crosswalk if crosswalk is not None else load_crosswalk()
    scope = _scope(ws, systems)
    iso = get_framework(ISO_42001)
    _check_exclusions(pol, [leaf.id for leaf in iso.leaves])
    coverages: list[tuple[g.System, FrameworkCoverage, list[CheckItem]]] = []
    for system in scope:
        report = framework_coverage(ws, system.name, frameworks=[ISO_42001], policy=pol,
                                    crosswalk=cw)  # fmt: skip
        packet = system_completeness(ws, system.name, policy=pol).gaps
        coverages.append((system, report.get(ISO_42001), packet))
    required = _required_kinds(pol, [s.risk_tier for s in scope])
    controls = []
    for i, leaf in enumerate(iso.leaves):
        parent = iso.item(leaf.parent) if leaf.parent else iso.top_level(leaf.id)
        rows = [(s, cov.items[i], packet) for s, cov, packet in coverages]
        controls.append(_control(rows, f"{parent.id} {parent.title}", cw, pol, required))
    return StatementOfApplicability(
        systems=tuple(s.name for s in scope), policy=f"{pol.name} {pol.version}",
        crosswalk=cw.source, catalog=iso.source.document,
        computed_at=ws.now().replace(microsecond=0).isoformat(), controls=tuple(controls),
    )  # fmt: skip

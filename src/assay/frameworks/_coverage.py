"""Coverage of framework items by one system's evidence and governance records.

For each leaf item of each framework: the crosswalk's mapping, the state of each signal it needs,
and the item's status: ``covered`` (every requirement met), ``partial`` (some met), ``missing``
(none met) or ``not_evidenced`` (the crosswalk maps no Assay signal to it: organisational items).
The percentage of a framework is covered items over all its items; partial items count as not
covered, and the report lists what each one still needs and the command that provides it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.errors import InputError
from assay.frameworks._catalog import Framework, get_framework, list_frameworks
from assay.frameworks._crosswalk import Crosswalk, load_crosswalk
from assay.frameworks._signals import SignalState, detect_signals, gather_facts
from assay.render import markdown_escape

if TYPE_CHECKING:
    from assay.governance import Workspace
    from assay.policy import Policy

_md = markdown_escape

__all__ = [
    "COVERAGE_SCHEMA",
    "ITEM_STATUSES",
    "CoverageReport",
    "FrameworkCoverage",
    "ItemCoverage",
    "coverage_markdown",
    "framework_coverage",
]

COVERAGE_SCHEMA = "assay.framework-coverage/v1"
ITEM_STATUSES = ("covered", "partial", "missing", "not_evidenced")


@dataclass(frozen=True, slots=True)
class ItemCoverage:
    """One framework item: its status, the signals that show it and those it still needs."""

    id: str
    label: str
    top: str
    status: str
    met: tuple[SignalState, ...]
    unmet: tuple[tuple[SignalState, ...], ...]
    """One tuple per unmet requirement: its alternatives' states."""
    note: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "id": self.id,
            "label": self.label,
            "top": self.top,
            "status": self.status,
            "evidence": [s.to_dict() for s in self.met],
            "missing": [[s.to_dict() for s in group] for group in self.unmet],
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class FrameworkCoverage:
    """Coverage of one framework."""

    framework: Framework
    items: tuple[ItemCoverage, ...]

    def count(self, status: str) -> int:
        """How many items have ``status``."""
        return sum(1 for i in self.items if i.status == status)

    @property
    def percent(self) -> float:
        """Covered items as a percentage of all items (0-100, one decimal)."""
        return round(100.0 * self.count("covered") / len(self.items), 1) if self.items else 0.0

    @property
    def percent_of_evidenced(self) -> float:
        """Covered items as a percentage of the items the crosswalk maps to Assay signals."""
        mapped = len(self.items) - self.count("not_evidenced")
        return round(100.0 * self.count("covered") / mapped, 1) if mapped else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        fw = self.framework
        return {
            "id": fw.id,
            "name": fw.name,
            "version": fw.version,
            "source": fw.source.document,
            "items": len(self.items),
            **{status: self.count(status) for status in ITEM_STATUSES},
            "percent": self.percent,
            "percent_of_evidenced": self.percent_of_evidenced,
            "coverage": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Coverage of each framework by one system, with the signal states it was computed from."""

    system: str
    tier: str
    computed_at: str
    crosswalk: str
    policy: str | None
    frameworks: tuple[FrameworkCoverage, ...]
    signals: dict[str, SignalState]
    fixes: dict[str, str]
    """Signal id → the command that provides it, from the crosswalk."""

    @property
    def gaps(self) -> dict[str, str]:
        """Every signal some partial or missing item still needs, with its command."""
        needed = {
            s.signal for c in self.frameworks for it in c.items for group in it.unmet for s in group
        }
        return {sid: self.fixes.get(sid, "") for sid in sorted(needed)}

    def get(self, framework: str) -> FrameworkCoverage:
        """The coverage of one framework by id or prefix."""
        fw = get_framework(framework)
        for c in self.frameworks:
            if c.framework.id == fw.id:
                return c
        raise InputError(f"The report does not include {fw.id}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (``schema: assay.framework-coverage/v1``)."""
        return {
            "schema": COVERAGE_SCHEMA,
            "system": self.system,
            "risk_tier": self.tier,
            "computed_at": self.computed_at,
            "crosswalk": self.crosswalk,
            "policy": self.policy,
            "frameworks": [c.to_dict() for c in self.frameworks],
            "signals": {k: v.to_dict() for k, v in self.signals.items()},
            "gaps": self.gaps,
        }

    def to_json(self) -> str:
        """The report as indented JSON with sorted keys."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _item(
    fw: Framework, item_id: str, crosswalk: Crosswalk, states: dict[str, SignalState]
) -> ItemCoverage:
    item = fw.item(item_id)
    top = fw.top_level(item_id).id
    mapping = crosswalk.mapping(fw.id, item_id)
    if mapping is None:
        return ItemCoverage(item.id, item.label, top, "not_evidenced", (), (), "")
    met: list[SignalState] = []
    unmet: list[tuple[SignalState, ...]] = []
    for group in mapping.groups:
        present = [states[s] for s in group if states[s].present]
        if present:
            met.append(present[0])
        else:
            unmet.append(tuple(states[s] for s in group))
    status = "covered" if not unmet else ("partial" if met else "missing")
    return ItemCoverage(item.id, item.label, top, status, tuple(met), tuple(unmet), mapping.note)


def framework_coverage(
    ws: Workspace,
    system: str,
    *,
    frameworks: Sequence[str] | None = None,
    policy: Policy | None = None,
    crosswalk: Crosswalk | None = None,
) -> CoverageReport:
    """Which framework items the evidence and governance records of ``system`` cover.

    Parameters
    ----------
    ws
        The open workspace.
    system
        The system's name.
    frameworks
        Framework ids or prefixes (``nist``, ``eu``, ``iso``); default: every shipped framework.
    policy
        The policy whose ``max_age_days`` for the system's tier decides when evidence is stale;
        default: the shipped default policy.
    crosswalk
        Default: the shipped crosswalk (:func:`load_crosswalk`).

    Returns
    -------
    CoverageReport
        Per framework: each item's status, percentages and what is missing.

    Examples
    --------
    >>> import tempfile
    >>> from assay import governance as g
    >>> ws = g.init_workspace(tempfile.mkdtemp(), user="ada")
    >>> _ = g.add_system(ws, "credit", purpose="Scores loan applications", owner="ada")
    >>> report = framework_coverage(ws, "credit", frameworks=["nist"])
    >>> nist = report.get("nist")
    >>> nist.count("covered"), len(nist.items), nist.percent
    (2, 72, 2.8)
    >>> ws.close()
    """
    from assay.policy import load_policy

    pol = policy if policy is not None else load_policy()
    cw = crosswalk if crosswalk is not None else load_crosswalk()
    chosen = [get_framework(f) for f in frameworks] if frameworks else list(list_frameworks())
    facts = gather_facts(ws, system, policy=pol)
    states = detect_signals(facts)
    covered = tuple(
        FrameworkCoverage(fw, tuple(_item(fw, leaf.id, cw, states) for leaf in fw.leaves))
        for fw in dict.fromkeys(chosen)
    )
    return CoverageReport(
        system=facts.system.name,
        tier=facts.system.risk_tier,
        computed_at=facts.now.replace(microsecond=0).isoformat(),
        crosswalk=cw.source,
        policy=pol.name,
        frameworks=covered,
        signals=states,
        fixes={sid: sig.fix for sid, sig in cw.signals.items()},
    )


def coverage_markdown(report: CoverageReport) -> str:
    """The report as Markdown: a summary table, then per framework what is covered and missing."""
    lines = [
        f"# Framework coverage: {report.system}",
        "",
        f"Risk tier: {report.tier}. Computed {report.computed_at} from the workspace records, "
        f"with the crosswalk `{report.crosswalk}` and the policy '{report.policy}'.",
        "",
        "| Framework | Items | Covered | Partial | Missing | Not evidenced by Assay | Coverage |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report.frameworks:
        lines.append(
            f"| {c.framework.name} | {len(c.items)} | {c.count('covered')} | "
            f"{c.count('partial')} | {c.count('missing')} | {c.count('not_evidenced')} | "
            f"{c.percent:.1f}% |"
        )
    lines += [
        "",
        "Coverage is covered items over all items. Items not evidenced by Assay are "
        "organisational (training, supplier contracts, declarations...) and are documented "
        "outside Assay.",
    ]
    for c in report.frameworks:
        fw = c.framework
        lines += [
            "",
            f"## {fw.name}",
            "",
            f"Source: {fw.source.document} ({fw.source.published}). "
            f"{c.count('covered')} of {len(c.items)} items covered ({c.percent:.1f}%; "
            f"{c.percent_of_evidenced:.1f}% of the {len(c.items) - c.count('not_evidenced')} "
            "items Assay can evidence).",
            "",
            "| Item | Status | Evidence | Still needed |",
            "|---|---|---|---|",
        ]
        for it in c.items:
            if it.status == "not_evidenced":
                continue
            shown = "; ".join(f"{s.signal}: {s.detail}" for s in it.met) or "—"
            needed = "; ".join(
                " or ".join(f"{s.signal} ({s.detail})" for s in group) for group in it.unmet
            )
            lines.append(f"| {_md(it.id)} | {it.status} | {_md(shown)} | {_md(needed) or '—'} |")
        outside = [it.id for it in c.items if it.status == "not_evidenced"]
        if outside:
            lines += ["", "Not evidenced by Assay: " + ", ".join(outside) + "."]
    if report.gaps:
        lines += ["", "## Filling the gaps", "", "| Signal | How |", "|---|---|"]
        lines += [f"| {sid} | `{_md(fix)}` |" for sid, fix in report.gaps.items()]
    return "\n".join(lines) + "\n"

"""OSCAL assessment results and plan of action and milestones (POA&M) of one AI system.

Assessment results: one result whose observations are the system's current evidence records
(each pointing at a back-matter resource with the content's sha256) and whose findings are the
verdicts of its recorded evaluations (pass → satisfied; fail and insufficient evidence →
not satisfied), with the risks of the register that those evaluations showed.

POA&M: one item per open risk (open or being mitigated), with the risk's likelihood, severity and
rating as facets, its due date as the deadline, and its remediation actions as planned or
completed responses whose milestone is the action's due date.

Every UUID is derived from record ids (:class:`assay.exports._common.Ids`) and every timestamp is
a record's, so exporting unchanged records gives identical files. Documents declare
:data:`OSCAL_VERSION`, the version of NIST's schema they are validated against in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay import governance as g
from assay.errors import InputError
from assay.exports._common import ExportFacts, gather, iso, latest, result_of, token
from assay.frameworks import load_crosswalk
from assay.policy import EVALUATION_KINDS

if TYPE_CHECKING:
    from assay.policy import Policy

__all__ = ["OSCAL_NS", "OSCAL_VERSION", "oscal_assessment_results", "oscal_poam"]

OSCAL_VERSION = "1.2.3"
"""The OSCAL release whose JSON Schema the exports are validated against."""

OSCAL_NS = "urn:assay-rai:oscal"
"""The namespace of Assay's own OSCAL properties and facets."""

_RISK_STATUS = {
    "open": "open",
    "mitigating": "remediating",
    "accepted": "deviation-approved",
    "closed": "closed",
}
_COMPONENT_STATE = {"production": "operational", "retired": "disposition"}
_ROLES = {
    "system-owner": "System owner",
    "risk-owner": "Risk owner",
    "action-owner": "Remediation action owner",
    "recorder": "Recorded evidence or risks in Assay",
}


def _clean(value: Any) -> Any:
    """Drop None values and empty lists (OSCAL arrays need at least one item); keep ``{}``."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _prop(name: str, value: object, *, ns: bool = True) -> dict[str, str]:
    out = {"name": name, "value": str(value)}
    if ns:
        out["ns"] = OSCAL_NS
    return out


class _Parties:
    """The parties a document names, each with its roles.

    Workspace users are persons; any other name (an owner typed as free text, often a team) is
    an organization.
    """

    def __init__(self, facts: ExportFacts) -> None:
        self.ids = facts.ids
        self.users = facts.users
        self.names: set[str] = set()
        self.roles: dict[str, list[str]] = {}

    def add(self, name: str, role: str) -> str:
        """The party's UUID, registering it with ``role``."""
        uid = self.ids("party", name)
        self.names.add(name)
        members = self.roles.setdefault(role, [])
        if uid not in members:
            members.append(uid)
        return uid

    def metadata(self) -> dict[str, Any]:
        parties = [
            {
                "uuid": self.ids("party", n),
                "type": "person" if n in self.users else "organization",
                "name": n,
            }
            for n in sorted(self.names)
        ]
        return {
            "roles": [{"id": r, "title": _ROLES[r]} for r in _ROLES if r in self.roles],
            "parties": parties,
            "responsible-parties": [
                {"role-id": r, "party-uuids": self.roles[r]} for r in _ROLES if r in self.roles
            ],
        }


def _metadata(
    facts: ExportFacts, title: str, stamp: str, parties: _Parties, extra: Sequence[Any] = ()
) -> dict[str, Any]:
    sys = facts.system
    return {
        "title": title,
        "last-modified": stamp,
        "version": stamp,
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("system", sys.name),
            _prop("risk-tier", sys.risk_tier),
            _prop("lifecycle-status", sys.lifecycle_status),
            _prop("generator", f"assay {__version__}"),
            *extra,
        ],
        **parties.metadata(),
    }


def _components(facts: ExportFacts) -> list[dict[str, Any]]:
    sys = facts.system
    return [
        {
            "uuid": facts.ids("component", "system"),
            "type": "this-system",
            "title": sys.name,
            "description": sys.purpose,
            "props": [_prop("owner", sys.owner)]
            + ([_prop("model-version", facts.model.ref)] if facts.model else []),
            "status": {"state": _COMPONENT_STATE.get(sys.lifecycle_status, "under-development")},
        },
        {
            "uuid": facts.ids("component", "assay"),
            "type": "software",
            "title": "Assay",
            "description": "Assay, the Responsible-AI toolkit that recorded the evidence.",
            "props": [_prop("version", __version__)],
            "status": {"state": "operational"},
        },
    ]


def _resource(facts: ExportFacts, e: g.EvidenceRecord) -> dict[str, Any]:
    return {
        "uuid": facts.ids("resource", e.id),
        "title": f"{e.ref}: {e.title}",
        "description": f"The content of evidence record {e.ref} ({e.kind}), as stored by Assay.",
        "props": [
            _prop("evidence-ref", e.ref),
            _prop("evidence-kind", e.kind),
            _prop("content-hash", e.content_hash),
        ],
        "rlinks": [
            {
                "href": f"urn:assay-rai:evidence:{e.ref}",
                "media-type": e.media_type,
                "hashes": [{"algorithm": "SHA-256", "value": e.blob_sha256}],
            }
        ],
    }


def _observation(facts: ExportFacts, e: g.EvidenceRecord, parties: _Parties) -> dict[str, Any]:
    recorder = parties.add(e.created_by, "recorder")
    bound = [
        f"model version {e.model_version}" if e.model_version else None,
        f"dataset {e.dataset_version or e.dataset_digest}"
        if (e.dataset_version or e.dataset_digest)
        else None,
        f"code commit {e.code_commit}" if e.code_commit else None,
    ]
    where = ", ".join(b for b in bound if b) or "no model, dataset or code version"
    props = [
        _prop("evidence-ref", e.ref),
        _prop("evidence-kind", e.kind),
        _prop("content-hash", e.content_hash),
        _prop("blob-sha256", e.blob_sha256),
    ]
    if e.model_version:
        props.append(_prop("model-version", e.model_version))
    if e.dataset_digest:
        props.append(_prop("dataset-digest", e.dataset_digest))
    if e.code_commit:
        props.append(_prop("code-commit", e.code_commit))
    if e.tool:
        props.append(_prop("tool", f"{e.tool} {e.tool_version or ''}".strip()))
    return {
        "uuid": facts.ids("observation", e.id),
        "title": f"{e.ref}: {e.title}",
        "description": f"{e.kind} evidence {e.ref}, recorded by {e.created_by}; bound to {where}.",
        "props": props,
        "methods": ["TEST" if e.kind in EVALUATION_KINDS else "EXAMINE"],
        "origins": [
            {
                "actors": [
                    {"type": "tool", "actor-uuid": facts.ids("component", "assay")},
                    {"type": "party", "actor-uuid": recorder},
                ]
            }
        ],
        "subjects": [{"subject-uuid": facts.ids("component", "system"), "type": "component"}],
        "relevant-evidence": [
            {
                "href": f"#{facts.ids('resource', e.id)}",
                "description": f"Content of {e.ref}, sha256 {e.blob_sha256}.",
            }
        ],
        "collected": iso(e.created_at),
        "expires": iso(e.valid_until) if e.valid_until else None,
    }


def _verdicts(ws: g.Workspace, e: g.EvidenceRecord) -> list[Mapping[str, Any]]:
    """The verdicts of an evaluation: from its stored result, else from its summary."""
    result = result_of(ws, e)
    for source in (result, e.summary):
        if not isinstance(source, Mapping):
            continue
        verdicts = source.get("verdicts")
        if isinstance(verdicts, list) and verdicts:
            return [v for v in verdicts if isinstance(v, Mapping) and "verdict" in v]
        if isinstance(source.get("verdict"), str):
            return [{"rule": e.kind, "verdict": source["verdict"]}]
    return []


def _framework_props(kind: str) -> list[dict[str, str]]:
    cw = load_crosswalk()
    items = cw.items_for(f"evidence.{kind}")
    return [_prop("framework-item", f"{fw} {item}") for fw, item in items]


def _finding(
    facts: ExportFacts,
    e: g.EvidenceRecord,
    index: int,
    verdict: Mapping[str, Any],
    risks: Sequence[g.Risk],
) -> dict[str, Any]:
    rule = str(verdict.get("rule") or e.kind)
    by = verdict.get("by")
    by_text = " × ".join(str(b) for b in by) if isinstance(by, list) and by else ""
    outcome = str(verdict["verdict"])
    state = "satisfied" if outcome == "pass" else "not-satisfied"
    reason = {"pass": "pass", "fail": "fail"}.get(outcome, "other")
    title = f"{rule}{' by ' + by_text if by_text else ''}: {outcome}"
    text = str(verdict.get("reason") or f"The verdict of {e.ref} on {rule} is {outcome}.")
    props = [_prop("verdict", outcome), _prop("evidence-ref", e.ref)]
    if isinstance(verdict.get("limit"), int | float):
        props.append(_prop("limit", f"{verdict.get('direction', '')} {verdict['limit']}".strip()))
    estimate = verdict.get("estimate")
    if isinstance(estimate, Mapping) and isinstance(estimate.get("value"), int | float):
        props.append(_prop("estimate", repr(float(estimate["value"]))))
    props += _framework_props(e.kind)
    related = [r for r in risks if e.id in r.evidence]
    return {
        "uuid": facts.ids("finding", f"{e.id}/{index}"),
        "title": title,
        "description": text,
        "props": props,
        "target": {
            "type": "objective-id",
            "target-id": token("assay", e.kind, rule, by_text),
            "status": {
                "state": state,
                "reason": reason,
                "remarks": None if reason != "other" else f"Verdict: {outcome}.",
            },
        },
        "related-observations": [{"observation-uuid": facts.ids("observation", e.id)}],
        "related-risks": [{"risk-uuid": facts.ids("risk", r.id)} for r in related],
    }


def _risk(
    facts: ExportFacts, r: g.Risk, parties: _Parties, *, with_remediations: bool
) -> dict[str, Any]:
    parties.add(r.owner, "risk-owner")
    creator = parties.add(r.created_by, "recorder")
    facets = [
        {"name": "likelihood", "system": OSCAL_NS, "value": str(r.inherent_likelihood)},
        {"name": "impact", "system": OSCAL_NS, "value": str(r.inherent_severity)},
    ]
    if r.residual_likelihood is not None and r.residual_severity is not None:
        facets += [
            {
                "name": "residual-likelihood",
                "system": OSCAL_NS,
                "value": str(r.residual_likelihood),
            },
            {"name": "residual-impact", "system": OSCAL_NS, "value": str(r.residual_severity)},
        ]
    facets.append({"name": "risk", "system": OSCAL_NS, "value": r.rating})
    remediations = []
    if with_remediations:
        for a in facts.actions:
            if a.risk != r.id or a.status == "cancelled":
                continue
            owner = parties.add(a.owner, "action-owner")
            remediations.append(
                {
                    "uuid": facts.ids("response", a.id),
                    "lifecycle": "completed" if a.status == "done" else "planned",
                    "title": f"{a.ref}: {a.title}",
                    "description": a.description or a.title,
                    "props": [
                        _prop("action-ref", a.ref),
                        _prop("action-status", a.status),
                        _prop("owner", a.owner),
                    ]
                    + ([_prop("closed", iso(a.closed_at))] if a.closed_at else []),
                    "tasks": [
                        {
                            "uuid": facts.ids("task", a.id),
                            "type": "milestone",
                            "title": f"{a.ref} due",
                            "timing": {"on-date": {"date": iso(a.due_date)}},
                            "responsible-roles": [
                                {"role-id": "action-owner", "party-uuids": [owner]}
                            ],
                        }
                    ],
                }
            )
    linked = [e for e in facts.evidence if e.id in r.evidence]
    return {
        "uuid": facts.ids("risk", r.id),
        "title": f"{r.ref}: {r.title}",
        "description": r.description or r.title,
        "statement": (
            f"{r.category_name} ({r.category}); rated {r.rating} "
            f"(likelihood {r.inherent_likelihood} × severity {r.inherent_severity} before "
            "mitigation). Mitigations: " + (r.mitigations or "none recorded") + "."
        ),
        "props": [
            _prop("risk-ref", r.ref),
            _prop("category", r.category),
            _prop("rating", r.rating),
            _prop("owner", r.owner),
            _prop("found-stage", r.found_stage),
        ],
        "status": _RISK_STATUS.get(r.status, "open"),
        "origins": [{"actors": [{"type": "party", "actor-uuid": creator}]}],
        "characterizations": [
            {"origin": {"actors": [{"type": "party", "actor-uuid": creator}]}, "facets": facets}
        ],
        "deadline": iso(r.due_date) if r.due_date else None,
        "remediations": remediations,
        "related-observations": [
            {"observation-uuid": facts.ids("observation", e.id)} for e in linked
        ],
    }


def _in_scope(facts: ExportFacts) -> list[g.EvidenceRecord]:
    """Evidence about the exported model version, or about no particular model version."""
    model = facts.model.ref if facts.model is not None else None
    return [e for e in facts.evidence if e.model_version in (None, model)]


def _result_text(
    facts: ExportFacts, pol: Policy, evidence: list[g.EvidenceRecord]
) -> dict[str, Any]:
    """What a result covers: its title, period, the system's components and the policy."""
    model_text = f" for model version {facts.model.ref}" if facts.model else ""
    return {
        "title": f"Assay evaluations of {facts.system.name}{model_text}",
        "description": (
            f"The current evidence recorded in Assay for {facts.system.name}{model_text}: "
            f"{len(evidence)} record(s) as observations, and the verdicts of its evaluations as "
            "findings (pass: satisfied; fail or insufficient evidence: not satisfied)."
        ),
        "start": iso(min(e.created_at for e in evidence)),
        "end": iso(max(e.created_at for e in evidence)),
        "local-definitions": {"components": _components(facts)},
        "reviewed-controls": {
            "description": (
                f"The evidence requirements and metric limits of the policy '{pol.name}' for the "
                f"{facts.system.risk_tier} tier."
            ),
            "control-selections": [{"include-all": {}}],
        },
    }


def oscal_assessment_results(
    ws: g.Workspace,
    system: str,
    *,
    model_version: str | None = None,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """OSCAL assessment results from the recorded evaluations of a system and their verdicts.

    Parameters
    ----------
    ws
        The open workspace.
    system
        The system's name.
    model_version
        Evidence about this model version (``name@version`` or ``version``; default: the latest)
        and evidence bound to no model version is included.
    policy
        The policy named as the assessment plan; default: the shipped default policy.

    Returns
    -------
    dict
        ``{"assessment-results": ...}``, ready for ``json.dump``.

    Raises
    ------
    InputError
        The system has no evidence to report.
    """
    from assay.policy import load_policy

    pol = policy if policy is not None else load_policy()
    facts = gather(ws, system, model_version=model_version)
    evidence = _in_scope(facts)
    if not evidence:
        raise InputError(
            f"{system!r} has no current evidence to report as assessment results; record an "
            "evaluation first (for example `assay evaluate fairness ... --record`)."
        )
    parties = _Parties(facts)
    parties.add(facts.system.owner, "system-owner")
    observations = [_observation(facts, e, parties) for e in evidence]
    findings = [
        _finding(facts, e, i, verdict, facts.risks)
        for e in evidence
        for i, verdict in enumerate(_verdicts(ws, e))
    ]
    shown = {e.id for e in evidence}
    risks = [r for r in facts.risks if shown & set(r.evidence)]
    risk_docs = [_risk(facts, r, parties, with_remediations=False) for r in risks]
    last = latest([e.created_at for e in evidence] + [r.updated_at for r in risks])
    assert last is not None  # there is at least one evidence record
    stamp = iso(last)
    plan_uuid = facts.ids("resource", "policy")
    identity = "|".join(
        [f"e{e.id}" for e in evidence] + [f"r{r.id}/{iso(r.updated_at)}" for r in risks]
    )
    result = {
        "uuid": facts.ids("result", identity),
        **_result_text(facts, pol, evidence),
        "observations": observations,
        "risks": risk_docs,
        "findings": findings,
    }
    document = {
        "uuid": facts.ids("assessment-results", identity),
        "metadata": _metadata(facts, f"Assessment results: {facts.system.name}", stamp, parties),
        "import-ap": {
            "href": f"#{plan_uuid}",
            "remarks": "Assay has no OSCAL assessment plan; its policy plays that part.",
        },
        "results": [result],
        "back-matter": {
            "resources": [_plan_resource(plan_uuid, pol)] + [_resource(facts, e) for e in evidence]
        },
    }
    return {"assessment-results": _clean(document)}


def _plan_resource(plan_uuid: str, pol: Policy) -> dict[str, Any]:
    """The policy, standing in for the OSCAL assessment plan."""
    return {
        "uuid": plan_uuid,
        "title": f"Assay policy: {pol.name} (version {pol.version})",
        "description": (
            "The assessment plan: evidence required per risk tier and checkpoint, and "
            "the metric limits that turn evaluation results into verdicts."
        ),
    }


def _poam_item(facts: ExportFacts, r: g.Risk, linked: list[g.EvidenceRecord]) -> dict[str, Any]:
    """One open risk as a POA&M item: its rating, owner, status, due date and actions."""
    actions = [a for a in facts.actions if a.risk == r.id and a.status != "cancelled"]
    due = r.due_date or (max(a.due_date for a in actions) if actions else None)
    return {
        "uuid": facts.ids("poam-item", r.id),
        "title": f"{r.ref}: {r.title}",
        "description": (
            f"{r.rating.capitalize()} risk owned by {r.owner}, {r.status}"
            + (f", due {due.isoformat()}" if due else ", no due date")
            + f"; {len(actions)} remediation action(s)."
        ),
        "props": [
            _prop("risk-ref", r.ref),
            _prop("rating", r.rating),
            _prop("owner", r.owner),
        ],
        "related-observations": [
            {"observation-uuid": facts.ids("observation", e)}
            for e in r.evidence
            if e in {x.id for x in linked}
        ],
        "related-risks": [{"risk-uuid": facts.ids("risk", r.id)}],
    }


def oscal_poam(ws: g.Workspace, system: str, *, model_version: str | None = None) -> dict[str, Any]:
    """An OSCAL plan of action and milestones from the open risks of a system and their actions.

    Parameters
    ----------
    ws
        The open workspace.
    system
        The system's name.
    model_version
        Named in the system component (default: the latest).

    Returns
    -------
    dict
        ``{"plan-of-action-and-milestones": ...}``, ready for ``json.dump``.

    Raises
    ------
    InputError
        The system has no open risk (a POA&M needs at least one item).
    """
    facts = gather(ws, system, model_version=model_version)
    open_risks = [r for r in facts.risks if r.is_open]
    if not open_risks:
        raise InputError(
            f"{system!r} has no open risk, so there is no plan of action to export (a POA&M "
            f"needs at least one item). Add risks with `assay risk add {system} ...`."
        )
    parties = _Parties(facts)
    parties.add(facts.system.owner, "system-owner")
    linked_ids = {ev for r in open_risks for ev in r.evidence}
    linked = [e for e in facts.evidence if e.id in linked_ids]
    observations = [_observation(facts, e, parties) for e in linked]
    risks = [_risk(facts, r, parties, with_remediations=True) for r in open_risks]
    items = [_poam_item(facts, r, linked) for r in open_risks]
    last = latest(
        [r.updated_at for r in open_risks]
        + [a.updated_at for a in facts.actions if a.risk in {r.id for r in open_risks}]
        + [e.created_at for e in linked]
    )
    assert last is not None  # there is at least one open risk
    stamp = iso(last)
    identity = (
        "|".join(f"r{r.id}/{iso(r.updated_at)}" for r in open_risks)
        + "|"
        + "|".join(f"a{a.id}/{iso(a.updated_at)}" for a in facts.actions)
    )
    document = {
        "uuid": facts.ids("poam", identity),
        "metadata": _metadata(facts, f"Plan of action and milestones: {facts.system.name}", stamp,
                              parties),
        "system-id": {
            "identifier-type": "https://ietf.org/rfc/rfc4122",
            "id": facts.ids("component", "system"),
        },
        "local-definitions": {"components": _components(facts)},
        "observations": observations,
        "risks": risks,
        "poam-items": items,
        "back-matter": {"resources": [_resource(facts, e) for e in linked]},
    }  # fmt: skip
    return {"plan-of-action-and-milestones": _clean(document)}

"""CycloneDX 1.6 ML-BOM of one AI system: its model, the model's card, and its datasets.

The BOM's subject (``metadata.component``) is the AI system. The model version is a
``machine-learning-model`` component with a ``modelCard``: the quantitative analysis holds the
performance metrics, overall and by group with their confidence intervals, of the latest fairness
evidence recorded for that model version; the considerations hold the intended use, the
out-of-scope use, the risks of the register with their mitigations and the groups that failed a
fairness verdict. Datasets are ``data`` components with their sha256. External references appear
only for URIs the user registered (a model registry URI, a dataset source that is a URI).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from assay import __version__
from assay import governance as g
from assay.exports._common import ExportFacts, gather, iso, latest, result_of

__all__ = ["CYCLONEDX_SPEC_VERSION", "cyclonedx_bom", "performance_metrics"]

CYCLONEDX_SPEC_VERSION = "1.6"
_SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
_HEADLINE = ("accuracy", "balanced_accuracy", "f1", "selection_rate", "tpr", "fpr", "ppv")
_PHASES = {
    "proposed": "design",
    "development": "build",
    "validation": "post-build",
    "production": "operations",
    "retired": "decommission",
}
_RULE_METRIC = (
    ("demographic_parity", "selection_rate"),
    ("equal_opportunity", "tpr"),
    ("predictive_parity", "ppv"),
    ("accuracy", "accuracy"),
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _prop(name: str, value: object) -> dict[str, str]:
    return {"name": f"assay:{name}", "value": str(value)}


def _sha256(digest: str | None) -> list[dict[str, str]]:
    """A CycloneDX hash list from ``sha256:<hex>`` or bare hex; other algorithms are left out."""
    if not digest:
        return []
    algo, _, value = digest.rpartition(":")
    if algo not in ("", "sha256") or not _HEX64.match(value.lower()):
        return []
    return [{"alg": "SHA-256", "content": value.lower()}]


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return repr(float(value)) if isinstance(value, float) else str(value)


def _metric(name: str, estimate: Any, slice_: str | None) -> dict[str, Any] | None:
    if not isinstance(estimate, Mapping):
        return None
    value = _number(estimate.get("value"))
    if value is None:
        return None
    out: dict[str, Any] = {"type": name, "value": value}
    if slice_:
        out["slice"] = slice_
    low, high = _number(estimate.get("ci_low")), _number(estimate.get("ci_high"))
    if low is not None and high is not None:
        out["confidenceInterval"] = {"lowerBound": low, "upperBound": high}
    return out


def _group_name(group: Any, by: Any = None) -> str:
    """``sex=Female, race=Black``, features in the order of ``by`` (stored results sort keys)."""
    if not isinstance(group, Mapping) or not group:
        return ""
    order = [str(b) for b in by if b in group] if isinstance(by, list) else []
    keys = order + [k for k in group if k not in order]
    return ", ".join(f"{k}={group[k]}" for k in keys)


def performance_metrics(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """CycloneDX performance metrics from an ``assay.fairness/v1`` result.

    The headline metrics (accuracy, balanced accuracy, F1, selection rate, TPR, FPR, precision)
    overall and per group, or every metric when the result has none of them (regression); then
    the disparity summaries per grouping. Values keep full precision so each traces to the result.
    """
    metrics: list[dict[str, Any]] = []
    entries: list[tuple[str, Mapping[str, Any]]] = []
    overall = result.get("overall")
    if isinstance(overall, Mapping):
        entries.append(("", overall))
    for group in result.get("groups") or ():
        if isinstance(group, Mapping):
            entries.append((_group_name(group.get("group"), group.get("by")), group))
    for slice_, entry in entries:
        values = entry.get("metrics")
        if not isinstance(values, Mapping):
            continue
        names = [m for m in _HEADLINE if m in values] or sorted(values)
        for name in names:
            m = _metric(name, values.get(name), slice_)
            if m is not None:
                metrics.append(m)
    for summary in result.get("summaries") or ():
        if not isinstance(summary, Mapping):
            continue
        by = summary.get("by")
        slice_ = "by " + " × ".join(str(b) for b in by) if isinstance(by, list) else ""
        for name, estimate in summary.items():
            if name != "by":
                m = _metric(name, estimate, slice_)
                if m is not None:
                    metrics.append(m)
    return metrics


def _group_at_risk(result: Mapping[str, Any], rule: str, by: Any) -> str:
    """The group with the lowest rate behind a failed rule (from the result's disparities)."""
    who = " × ".join(str(b) for b in by) if isinstance(by, list) and by else "all groups"
    metric = next((m for prefix, m in _RULE_METRIC if rule.startswith(prefix)), None)
    for d in result.get("disparities") or ():
        if isinstance(d, Mapping) and d.get("metric") == metric and d.get("by") == by:
            low, high = _group_name(d.get("min_group"), by), _group_name(d.get("max_group"), by)
            if low:
                return f"{low} (lowest {metric}; highest: {high or 'another group'})"
    return f"groups defined by {who}"


def _fairness_assessments(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """One assessment per failed verdict: the group at risk and the harm, from the result."""
    out = []
    for v in result.get("verdicts") or ():
        if not isinstance(v, Mapping) or v.get("verdict") != "fail":
            continue
        rule = str(v.get("rule"))
        reason = str(v.get("reason") or f"{rule} failed its limit")
        out.append(
            {
                "groupAtRisk": _group_at_risk(result, rule, v.get("by")),
                "harms": f"{rule}: {reason}",
            }
        )
    return out


def _latest_fairness(
    ws: g.Workspace, facts: ExportFacts
) -> tuple[g.EvidenceRecord, Mapping[str, Any]] | None:
    if facts.model is None:
        return None
    for record in reversed(facts.evidence):
        if record.kind == "fairness" and record.model_version == facts.model.ref:
            result = result_of(ws, record)
            if result is not None:
                return record, result
    return None


def _dataset_component(d: g.DatasetVersion) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "dataset", "name": d.ref}
    if d.collection_notes:
        data["description"] = d.collection_notes
    comp: dict[str, Any] = {
        "type": "data",
        "bom-ref": f"dataset:{d.ref}",
        "name": d.name,
        "version": d.version,
    }
    if hashes := _sha256(d.digest):
        comp["hashes"] = hashes
    if d.source and _URI.match(d.source):
        comp["externalReferences"] = [{"type": "distribution", "url": d.source}]
    props = [_prop("dataset:digest", d.digest)]
    if d.source and not _URI.match(d.source):
        props.append(_prop("dataset:source", d.source))
    if d.rows is not None:
        props.append(_prop("dataset:rows", d.rows))
    if d.columns:
        cols = d.columns if isinstance(d.columns, list) else list(d.columns)
        props.append(_prop("dataset:columns", ", ".join(str(c) for c in cols)))
    comp["data"] = [data]
    comp["properties"] = props
    return comp


def _model_card(ws: g.Workspace, facts: ExportFacts, model: g.ModelVersion) -> dict[str, Any]:
    sys = facts.system
    card: dict[str, Any] = {"bom-ref": f"model-card:{model.ref}"}
    params: dict[str, Any] = {}
    props: list[dict[str, str]] = []
    found = _latest_fairness(ws, facts)
    if found is not None:
        record, result = found
        if isinstance(result.get("task"), str):
            params["task"] = result["task"]
            params["approach"] = {"type": "supervised"}
        metrics = performance_metrics(result)
        if metrics:
            card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
        props += [
            _prop("model-card:metrics-evidence", record.ref),
            _prop("model-card:metrics-evidence-sha256", record.blob_sha256),
            _prop("model-card:metrics-recorded", iso(record.created_at)),
        ]
    if model.training_datasets:
        params["datasets"] = [{"ref": f"dataset:{ref}"} for ref in model.training_datasets]
    if params:
        card["modelParameters"] = params
    considerations: dict[str, Any] = {}
    if sys.intended_use:
        considerations["useCases"] = [sys.intended_use]
    limits = []
    if sys.out_of_scope_use:
        limits.append(f"Out of scope: {sys.out_of_scope_use}")
    if found is not None:
        limits += [str(n) for n in found[1].get("notes") or () if isinstance(n, str)]
    if limits:
        considerations["technicalLimitations"] = limits
    ethical = [
        {"name": f"{r.ref} {r.title} ({r.rating}, {r.status})"}
        | ({"mitigationStrategy": r.mitigations} if r.mitigations else {})
        for r in facts.risks
        if r.status != "closed"
    ]
    if ethical:
        considerations["ethicalConsiderations"] = ethical
    if found is not None and (fair := _fairness_assessments(found[1])):
        considerations["fairnessAssessments"] = fair
    if considerations:
        card["considerations"] = considerations
    if props:
        card["properties"] = props
    return card


def _model_component(ws: g.Workspace, facts: ExportFacts, model: g.ModelVersion) -> dict[str, Any]:
    card = _model_card(ws, facts, model)
    comp: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": f"model:{model.ref}",
        "name": model.name,
        "version": model.version,
    }
    if model.notes:
        comp["description"] = model.notes
    if hashes := _sha256(model.artifact_sha256):
        comp["hashes"] = hashes
    if model.registry_uri and _URI.match(model.registry_uri):
        comp["externalReferences"] = [
            {"type": "distribution", "url": model.registry_uri, "comment": "model registry"}
        ]
    comp["modelCard"] = card
    props = [_prop("model:registered", iso(model.created_at))]
    if model.code_commit:
        props.append(_prop("model:code-commit", model.code_commit))
    if model.registry_uri and not _URI.match(model.registry_uri):
        props.append(_prop("model:registry", model.registry_uri))
    comp["properties"] = props
    return comp


def _stamps(facts: ExportFacts) -> list[Any]:
    sys = facts.system
    out: list[Any] = [sys.created_at, sys.updated_at]
    if facts.model is not None:
        out.append(facts.model.created_at)
    out += [d.created_at for d in facts.datasets]
    out += [e.created_at for e in facts.evidence]
    out += [r.updated_at for r in facts.risks]
    return out


def cyclonedx_bom(
    ws: g.Workspace, system: str, *, model_version: str | None = None
) -> dict[str, Any]:
    """The CycloneDX 1.6 ML-BOM of a system, as a JSON-ready dict.

    Parameters
    ----------
    ws
        The open workspace.
    system
        The system's name.
    model_version
        The model version to describe (``name@version`` or ``version``); default: the latest.

    Returns
    -------
    dict
        The BOM; ``serialNumber`` and ``bom-ref`` values are derived from the records, and the
        timestamp is the latest record's, so exporting unchanged records gives the same bytes.

    Examples
    --------
    >>> import tempfile
    >>> from assay import governance as g
    >>> ws = g.init_workspace(tempfile.mkdtemp(), user="ada")
    >>> _ = g.add_system(ws, "credit", purpose="Scores loan applications", owner="ada")
    >>> _ = g.add_dataset_version(ws, "adult", "1", digest="sha256:" + "ab" * 32)
    >>> _ = g.add_model_version(ws, "credit", "1", training_datasets=["adult@1"])
    >>> bom = cyclonedx_bom(ws, "credit")
    >>> [(c["type"], c["name"]) for c in bom["components"]]
    [('machine-learning-model', 'credit'), ('data', 'adult')]
    >>> ws.close()
    """
    facts = gather(ws, system, model_version=model_version)
    sys = facts.system
    components, dependencies = _graph(ws, facts)
    subject = _subject(facts)
    stamp = latest(_stamps(facts))
    assert stamp is not None  # the system's own timestamps are always there
    return {
        "$schema": _SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": CYCLONEDX_SPEC_VERSION,
        "serialNumber": f"urn:uuid:{_serial(facts)}",
        "version": 1,
        "metadata": {
            "timestamp": iso(stamp),
            "lifecycles": [{"phase": _PHASES.get(sys.lifecycle_status, "design")}],
            "tools": {
                "components": [
                    {
                        "type": "application",
                        "name": "assay",
                        "version": __version__,
                        "description": "Assay, a Responsible-AI assurance toolkit",
                    }
                ]
            },
            "component": subject,
        },
        "components": components,
        "dependencies": dependencies,
    }


def _graph(
    ws: g.Workspace, facts: ExportFacts
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The model and its training datasets as components, and what depends on what."""
    system_ref = f"system:{facts.system.name}"
    components: list[dict[str, Any]] = []
    dependencies: list[dict[str, Any]] = []
    used_datasets: Sequence[g.DatasetVersion] = facts.datasets
    if facts.model is not None:
        model_comp = _model_component(ws, facts, facts.model)
        components.append(model_comp)
        dependencies.append({"ref": system_ref, "dependsOn": [model_comp["bom-ref"]]})
        dependencies.append(
            {
                "ref": model_comp["bom-ref"],
                "dependsOn": [f"dataset:{ref}" for ref in facts.model.training_datasets],
            }
        )
    components += [_dataset_component(d) for d in used_datasets]
    dependencies += [{"ref": f"dataset:{d.ref}"} for d in used_datasets]
    if facts.model is None:
        dependencies.insert(0, {"ref": system_ref})
    return components, dependencies


def _subject(facts: ExportFacts) -> dict[str, Any]:
    """The system the BOM describes, with its owner, tier, lifecycle and model version."""
    sys = facts.system
    subject: dict[str, Any] = {
        "type": "application",
        "bom-ref": f"system:{sys.name}",
        "name": sys.name,
        "description": sys.purpose,
        "properties": [
            _prop("system:owner", sys.owner),
            _prop("system:risk-tier", sys.risk_tier),
            _prop("system:lifecycle", sys.lifecycle_status),
            _prop("system:generative", str(sys.generative).lower()),
        ]
        + ([_prop("system:deployment-context", sys.deployment_context)]
           if sys.deployment_context else []),
    }  # fmt: skip
    if facts.model is not None:
        subject["version"] = facts.model.version
    return subject


def _serial(facts: ExportFacts) -> uuid.UUID:
    """The BOM's serial number, derived from the records it describes (same records, same BOM)."""
    sys = facts.system
    identity = [sys.name, iso(sys.created_at)]
    if facts.model is not None:
        identity.append(f"model/{facts.model.id}")
    identity += [f"evidence/{e.id}" for e in facts.evidence]
    identity += [f"risk/{r.id}/{iso(r.updated_at)}" for r in facts.risks]
    return facts.ids.uuid("bom", "|".join(identity))

"""Reading what documents need from the store: latest evidence, evaluation results, citations."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assay.documents._doc import Code
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, ModelVersion, Workspace

__all__ = [
    "HEADLINE_METRICS",
    "cite",
    "evaluated_features",
    "hash_cell",
    "headline_metrics",
    "latest_evidence",
    "latest_model_version",
    "load_json",
    "short_date",
]

HEADLINE_METRICS = ("selection_rate", "tpr", "fpr", "ppv", "accuracy")
"""The metrics a card shows per group (classification), with their intervals."""


def short_date(value: dt.datetime | dt.date | None) -> str:
    """``3 Mar 2025``; an em dash for None."""
    if value is None:
        return "—"
    return f"{value.day} {value.strftime('%b %Y')}"


def hash_cell(digest: str | None) -> Code | None:
    """A sha256 as ``1a2b3c4d…9f8e7d6c`` with the full value on hover."""
    if not digest:
        return None
    value = digest.removeprefix("sha256:")
    return Code(f"{value[:8]}…{value[-8:]}" if len(value) > 20 else value, digest)


def cite(record: EvidenceRecord) -> str:
    """How a document cites evidence: ``EV-3 (fairness, 3 Mar 2025, sha256 1a2b3c4d…)``."""
    return (
        f"{record.ref} ({record.kind}, recorded {short_date(record.created_at)} by "
        f"{record.created_by}, blob sha256 {record.blob_sha256[:12]}…)"
    )


def latest_model_version(ws: Workspace, system: str) -> ModelVersion | None:
    """The most recently registered model version of a system."""
    from assay.governance import list_model_versions

    versions = list_model_versions(ws, system)
    return versions[-1] if versions else None


def latest_evidence(
    ws: Workspace,
    system: str,
    kind: str,
    *,
    model_version: str | None = None,
    schema: str | None = None,
) -> EvidenceRecord | None:
    """The newest current (not superseded) evidence of a kind for a system.

    ``model_version`` (``name@version``) keeps records about that version; ``schema`` keeps
    records whose summary names that result schema.
    """
    from assay.governance import list_evidence

    for record in list_evidence(ws, system=system, kind=kind):
        if model_version is not None and record.model_version != model_version:
            continue
        if schema is not None and as_mapping(record.summary).get("schema") != schema:
            continue
        return record
    return None


def load_json(ws: Workspace, record: EvidenceRecord) -> dict[str, Any]:
    """The evidence's content as JSON (its hash checked); an empty dict if it is not JSON."""
    from assay.governance import evidence_content

    try:
        data = json.loads(evidence_content(ws, record.ref))
    except (ValueError, UnicodeDecodeError):
        return {}
    return dict(data) if isinstance(data, Mapping) else {}


def evaluated_features(result: Mapping[str, Any]) -> list[str]:
    """The sensitive features a fairness result covers."""
    params = as_mapping(result.get("params"))
    return [str(f) for f in as_list(params.get("sensitive_features"))]


def headline_metrics(result: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """grouping → group → metric → ``{value, ci_low, ci_high}`` for the headline metrics.

    The grouping and group are written ``sex × race`` and ``sex=Female, race=White``; the overall
    row is under grouping ``overall`` and group ``all rows``. This is what a card shows and what
    the consistency check compares with the latest evaluation.
    """
    from assay.render import group_label, grouping_label

    out: dict[str, dict[str, dict[str, Any]]] = {}
    rows = [as_mapping(result.get("overall"))] + [
        as_mapping(g) for g in as_list(result.get("groups"))
    ]
    for row in rows:
        by = [str(b) for b in as_list(row.get("by"))]
        metrics = as_mapping(row.get("metrics"))
        wanted = {
            m: {k: as_mapping(metrics[m]).get(k) for k in ("value", "ci_low", "ci_high")}
            for m in HEADLINE_METRICS
            if m in metrics
        }
        if not wanted:
            continue
        group = as_mapping(row.get("group"))
        key = group_label(dict(group))
        out.setdefault(grouping_label(by), {})[key] = {**wanted, "n": row.get("n")}
    return out

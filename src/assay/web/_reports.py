"""HTML views of stored evidence: the self-contained report of an evaluation, made from its
recorded JSON with the same renderers as the CLI (no scripts; served in a sandboxed frame)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from assay.errors import AssayError
from assay.governance import EvidenceRecord, Workspace
from assay.policy import find_kind

__all__ = ["REPORTS", "evidence_html", "has_html_view", "report_renderer"]


def _fairness(ws: Workspace, result: Mapping[str, Any], title: str) -> str:
    from assay.documents import render_fairness_html

    return render_fairness_html(result, title=title)


def _quality(ws: Workspace, result: Mapping[str, Any], title: str) -> str:
    from assay.documents import render_quality_html

    return render_quality_html(result, title=title)


def _robustness(ws: Workspace, result: Mapping[str, Any], title: str) -> str:
    from assay.robustness import render_robustness_html

    return render_robustness_html(result, title=title)


def _drift(ws: Workspace, result: Mapping[str, Any], title: str) -> str:
    from assay.documents import render_drift_html

    return render_drift_html(result, title=title)


def _pii(ws: Workspace, result: Mapping[str, Any], title: str) -> str:
    from assay.evaluate.pii import PiiScanResult

    return PiiScanResult.from_dict(dict(result)).to_html()


def _redteam(ws: Workspace, result: Mapping[str, Any], title: str) -> str:
    """The red-team report from the recorded summary and, found by the digest the summary
    names, the recorded responses (their failures and errors); no run folder needed."""
    from assay.genai import RedteamRun, render_redteam_html

    named = str((result.get("provenance") or {}).get("responses_digest") or "")
    sha = named.removeprefix("sha256:")
    responses = ws.blobs.read_bytes(sha) if sha and ws.blobs.has(sha) else None
    return render_redteam_html(RedteamRun.from_evidence(result, responses), title=title)


Renderer = Callable[[Workspace, Mapping[str, Any], str], str]

REPORTS: dict[str, Renderer] = {
    "assay.fairness/v1": _fairness,
    "assay.quality/v1": _quality,
    "assay.robustness/v1": _robustness,
    "assay.pii/v1": _pii,
    "assay.drift/v1": _drift,
    "assay.redteam/v1": _redteam,
}
"""Result schema → the HTML report of a result of that schema."""


def report_renderer(kind: str) -> Renderer | None:
    """The HTML report of evidence of ``kind`` recorded as JSON (by the schema its kind carries)."""
    found = find_kind(kind)
    return REPORTS.get(found.schema or "") if found is not None else None


def has_html_view(record: EvidenceRecord) -> bool:
    """Whether ``record`` is an HTML page or JSON of a kind with an HTML report."""
    return record.media_type == "text/html" or (
        report_renderer(record.kind) is not None and record.media_type == "application/json"
    )


def evidence_html(ws: Workspace, record: EvidenceRecord) -> str | None:
    """The HTML report of ``record``: the stored page itself, or one rendered from its JSON;
    None when the record has no HTML view (or its JSON does not match the report's schema)."""
    if record.media_type == "text/html":
        return ws.blobs.read_bytes(record.blob_sha256).decode("utf-8", "replace")
    renderer = report_renderer(record.kind)
    if renderer is None or record.media_type != "application/json":
        return None
    try:
        result = json.loads(ws.blobs.read_bytes(record.blob_sha256))
        return renderer(ws, result, record.title) if isinstance(result, dict) else None
    except (AssayError, ValueError, KeyError, TypeError):
        # A record from another tool version can miss fields the renderer needs: no view then,
        # the JSON stays downloadable.
        return None

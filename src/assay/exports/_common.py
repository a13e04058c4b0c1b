"""What the exporters share: deterministic identifiers, timestamps, and reading the records.

Identifiers are UUID version 5, derived from the system (its name and creation time) and the id
of each record, so exporting the same records twice gives the same file and a re-export after a
change diffs cleanly. Timestamps come from the records, never from the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay import governance as g
from assay.errors import InputError

__all__ = [
    "ASSAY_NAMESPACE",
    "ExportFacts",
    "Ids",
    "gather",
    "iso",
    "latest",
    "result_of",
    "token",
    "write_json",
]

ASSAY_NAMESPACE = uuid.UUID("2d0a7b0e-5c1f-5b7e-9a53-0f3a1c6d4e21")
"""The root namespace of every UUID Assay's exports derive (a fixed, arbitrary UUID)."""

_TOKEN_BAD = re.compile(r"[^A-Za-z0-9._-]+")


class Ids:
    """Deterministic UUIDs for the records of one system.

    >>> ids = Ids("credit", dt.datetime(2025, 3, 3, tzinfo=dt.UTC))
    >>> ids.uuid("evidence", 1) == Ids("credit", dt.datetime(2025, 3, 3, tzinfo=dt.UTC)).uuid(
    ...     "evidence", 1)
    True
    >>> ids.uuid("evidence", 1).version
    5
    """

    def __init__(self, system: str, created_at: dt.datetime) -> None:
        self.namespace = uuid.uuid5(ASSAY_NAMESPACE, f"system/{system}/{iso(created_at)}")

    def uuid(self, kind: str, key: object) -> uuid.UUID:
        """The UUID of record ``key`` of ``kind`` (``evidence``, ``risk``, ``party``...)."""
        return uuid.uuid5(self.namespace, f"{kind}/{key}")

    def __call__(self, kind: str, key: object) -> str:
        """The UUID as text."""
        return str(self.uuid(kind, key))


def iso(value: dt.datetime | dt.date) -> str:
    """UTC ISO 8601 with a ``Z`` and whole seconds; a date is midnight UTC of that day.

    >>> iso(dt.date(2025, 3, 3))
    '2025-03-03T00:00:00Z'
    """
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def latest(stamps: Iterable[dt.datetime | None]) -> dt.datetime | None:
    """The latest of some timestamps, ignoring None."""
    values = [s if s.tzinfo else s.replace(tzinfo=dt.UTC) for s in stamps if s is not None]
    return max(values) if values else None


def token(*parts: str) -> str:
    """An OSCAL token (letters, digits, ``. _ -``, starting with a letter) from text parts.

    >>> token("fairness", "demographic_parity_difference", "sex x race")
    'fairness-demographic_parity_difference-sex_x_race'
    """
    text = "-".join(_TOKEN_BAD.sub("_", p).strip("_") for p in parts if p)
    return text if text[:1].isalpha() else "x-" + text


@dataclass(frozen=True, slots=True)
class ExportFacts:
    """The records an export is built from, read once through :mod:`assay.governance`."""

    system: g.System
    model: g.ModelVersion | None
    models: tuple[g.ModelVersion, ...]
    datasets: tuple[g.DatasetVersion, ...]
    evidence: tuple[g.EvidenceRecord, ...]
    risks: tuple[g.Risk, ...]
    actions: tuple[g.Action, ...]
    users: frozenset[str]
    ids: Ids


def gather(ws: g.Workspace, system: str, *, model_version: str | None = None) -> ExportFacts:
    """Read a system, one model version (default: the latest), its datasets, evidence and risks.

    Evidence is every current record of the system (corrections hide what they superseded),
    oldest first.
    """
    sys = g.get_system(ws, system)
    overview = g.show_system(ws, system)
    models = overview.model_versions
    model = None
    if model_version is not None:
        wanted = [m for m in models if model_version in (m.ref, m.version)]
        if not wanted:
            known = ", ".join(m.ref for m in models) or "none"
            raise InputError(f"{system!r} has no model version {model_version!r}; it has: {known}.")
        model = wanted[-1]
    elif models:
        model = models[-1]
    datasets = {d.ref: d for d in overview.dataset_versions}
    if model is not None:
        for ref in model.training_datasets:
            if ref not in datasets:
                datasets[ref] = g.get_dataset_version(ws, ref)
    evidence = sorted(g.list_evidence(ws, system=system), key=lambda e: (e.created_at, e.id))
    risks = tuple(g.list_risks(ws, system=system))
    ids_ = {r.id for r in risks}
    actions = tuple(a for a in g.list_actions(ws) if a.risk in ids_)
    return ExportFacts(
        system=sys,
        model=model,
        models=models,
        datasets=tuple(sorted(datasets.values(), key=lambda d: (d.name, d.version))),
        evidence=tuple(evidence),
        risks=tuple(sorted(risks, key=lambda r: r.id)),
        actions=tuple(sorted(actions, key=lambda a: a.id)),
        users=frozenset(u.name for u in g.list_users(ws)),
        ids=Ids(sys.name, sys.created_at),
    )


def result_of(ws: g.Workspace, record: g.EvidenceRecord) -> Mapping[str, Any] | None:
    """The JSON result stored in an evidence record, or None when it holds something else."""
    if record.media_type != "application/json":
        return None
    try:
        data = json.loads(g.evidence_content(ws, record.id).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write_json(document: Mapping[str, Any], path: str | Path) -> Path:
    """Write an export as indented JSON (keys in the exporter's order) and return the path."""
    out = Path(path)
    if out.is_dir():
        raise InputError(f"{str(out)!r} is a folder; give the path of the file to write.")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    part.replace(out)
    return out

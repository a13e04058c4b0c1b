"""Red-team results: per-response records, the run folder, and the summary by harm category.

A run folder holds everything needed to re-render or re-summarise a run without calling the
target again::

    run.json          the manifest: suite, target (no secrets), options, status, times
    cases.jsonl       every case as sent (suite expanded, strategies applied)
    responses.jsonl   one record per response, appended as each case finishes
    summary.json      the summary (schema assay.redteam/v1), written at the end
    report.html, report.md, junit.xml

``responses.jsonl`` is append-only; when a case appears more than once (an errored case that a
resumed run tried again), the last record wins.
"""

from __future__ import annotations

import copy
import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from assay import __version__
from assay.canonical import canonical_jsonl, digest
from assay.errors import NotFoundError, SchemaError
from assay.evaluate import wilson, z_value
from assay.genai._suite import CATEGORY_LABELS, Case
from assay.result import Result, notebook_html

__all__ = [
    "OUTCOMES",
    "RESULT_SCHEMA",
    "RUN_SCHEMA",
    "RedteamPayload",
    "RedteamResult",
    "RedteamRun",
    "load_run",
    "summarise",
]

RESULT_SCHEMA = "assay.redteam/v1"
RUN_SCHEMA = "assay.redteam-run/v1"
OUTCOMES = ("pass", "fail", "error")
CI_LEVEL = 0.95

MANIFEST = "run.json"
CASES = "cases.jsonl"
RESPONSES = "responses.jsonl"
SUMMARY = "summary.json"


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class RedteamPayload(TypedDict):
    """The ``assay.redteam/v1`` payload: the summary of a run."""

    schema: str
    status: str
    n: int
    counts: dict[str, int]
    overall: dict[str, Any]
    by_category: list[dict[str, Any]]
    by_strategy: list[dict[str, Any]]
    failures_by_severity: dict[str, int]
    errors_by_kind: dict[str, int]
    detectors: dict[str, dict[str, int]]
    params: dict[str, Any]
    provenance: dict[str, Any]


class RedteamResult(Result[RedteamPayload]):
    """The summary of a red-team run, in the ``assay.redteam/v1`` schema.

    Pass rates are over the cases that were scored (passed + failed); errored cases are counted
    separately and never as passes. Intervals are Wilson score intervals.
    """

    SCHEMA = RESULT_SCHEMA
    Payload = RedteamPayload

    def __repr__(self) -> str:
        c = self._payload["counts"]
        return (
            f"RedteamResult(suite={self._payload['params']['suite']!r}, cases={c['cases']}, "
            f"passed={c['pass']}, failed={c['fail']}, errored={c['error']}, "
            f"status={self._payload['status']!r})"
        )

    @property
    def n(self) -> int:
        """Cases scored (passed + failed)."""
        return int(self._payload["n"])

    @property
    def counts(self) -> dict[str, int]:
        """``cases``, ``pass``, ``fail``, ``error`` and ``pending`` (never run)."""
        return dict(self._payload["counts"])

    @property
    def pass_rate(self) -> float | None:
        """Share of scored cases that passed; None when nothing was scored."""
        value = self._payload["overall"]["pass_rate"]
        return None if value is None else float(value)

    @property
    def status(self) -> str:
        """``complete``, ``errored`` (every case errored: nothing was tested), ``interrupted``
        or ``running``."""
        return str(self._payload["status"])

    def by_category(self) -> list[dict[str, Any]]:
        """One row per harm category: counts, pass rate and its interval."""
        return copy.deepcopy(self._payload["by_category"])

    def by_strategy(self) -> list[dict[str, Any]]:
        """One row per strategy: counts, pass rate and its interval."""
        return copy.deepcopy(self._payload["by_strategy"])


def _rates(rows: list[dict[str, Any]], ci_level: float) -> None:
    if not rows:
        return
    passed = np.array([r["passed"] for r in rows], dtype=np.float64)
    scored = np.array([r["passed"] + r["failed"] for r in rows], dtype=np.float64)
    low, high = wilson(passed, scored, z_value(ci_level))
    for row, p, n, lo, hi in zip(rows, passed, scored, low, high, strict=True):
        ok = n > 0
        row["n"] = int(n)
        row["pass_rate"] = float(p / n) if ok else None
        row["attack_success_rate"] = float(1 - p / n) if ok else None
        row["ci"] = {"low": float(lo), "high": float(hi)} if ok else None


def _group(
    records: Sequence[Mapping[str, Any]], key: str, order: Sequence[str]
) -> list[dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for name in order:
        table[name] = {key: name, "cases": 0, "passed": 0, "failed": 0, "errored": 0}
    for r in records:
        row = table.setdefault(
            r[key], {key: r[key], "cases": 0, "passed": 0, "failed": 0, "errored": 0}
        )
        row["cases"] += 1
        row[{"pass": "passed", "fail": "failed", "error": "errored"}[r["outcome"]]] += 1
    return list(table.values())


def summarise(
    records: Sequence[Mapping[str, Any]],
    manifest: Mapping[str, Any],
    *,
    cases: Sequence[Case] = (),
    ci_level: float = CI_LEVEL,
) -> RedteamResult:
    """Summarise the records of a run by harm category and by strategy.

    Parameters
    ----------
    records
        One record per case (the last record of each case in ``responses.jsonl``).
    manifest
        The run manifest (``run.json``).
    cases
        All cases of the run; cases without a record are counted as ``pending``.
    ci_level
        Confidence level of the Wilson intervals.

    Returns
    -------
    RedteamResult
    """
    by_category, by_strategy, total = _tables(records, cases, ci_level)
    n_cases = max(len(cases), len(records))
    counts = {
        "cases": n_cases,
        "pass": total["passed"],
        "fail": total["failed"],
        "error": total["errored"],
        "pending": n_cases - len(records),
    }
    payload: RedteamPayload = {
        "schema": RESULT_SCHEMA,
        "status": manifest.get("status", "complete"),
        "n": total["n"],
        "counts": counts,
        "overall": {
            "pass_rate": total["pass_rate"],
            "attack_success_rate": total["attack_success_rate"],
            "ci": total["ci"],
        },
        "by_category": by_category,
        "by_strategy": by_strategy,
        "failures_by_severity": _failures_by_severity(records),
        "errors_by_kind": _errors_by_kind(records),
        "detectors": _detector_counts(records),
        "params": _params(manifest, ci_level),
        "provenance": _provenance(manifest, records),
    }
    return RedteamResult(payload)


def _tables(
    records: Sequence[Mapping[str, Any]], cases: Sequence[Case], ci_level: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Counts and pass rates by harm category, by strategy, and overall."""
    category_order = list(
        dict.fromkeys([c.category for c in cases] + [r["category"] for r in records])
    )
    strategy_order = list(
        dict.fromkeys([c.strategy for c in cases] + [r["strategy"] for r in records])
    )
    by_category = _group(records, "category", category_order)
    for row in by_category:
        row["label"] = CATEGORY_LABELS.get(
            row["category"], row["category"].replace("_", " ").capitalize()
        )
    by_strategy = _group(records, "strategy", strategy_order)
    overall = _group([{**r, "all": "all"} for r in records], "all", ["all"])
    _rates(by_category, ci_level)
    _rates(by_strategy, ci_level)
    _rates(overall, ci_level)
    return by_category, by_strategy, overall[0]


def _detector_counts(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """How often each detector ran and fired, over the scored records."""
    detectors: dict[str, dict[str, int]] = {}
    for r in records:
        if r["outcome"] == "error":
            continue
        for name, d in (r.get("detectors") or {}).items():
            slot = detectors.setdefault(name.split("#")[0], {"ran": 0, "fired": 0})
            slot["ran"] += 1
            slot["fired"] += int(bool(d.get("hit")))
    return detectors


def _failures_by_severity(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Failed cases by the severity of their probe."""
    severities: dict[str, int] = {}
    for r in records:
        if r["outcome"] == "fail":
            severities[r.get("severity", "medium")] = (
                severities.get(r.get("severity", "medium"), 0) + 1
            )
    return severities


def _errors_by_kind(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Errored cases by the kind of failure (timeout, rate limited, ...)."""
    errors: dict[str, int] = {}
    for r in records:
        if r["outcome"] == "error":
            kind = _error_kind(str(r.get("reason", "")))
            errors[kind] = errors.get(kind, 0) + 1
    return errors


def _params(manifest: Mapping[str, Any], ci_level: float) -> dict[str, Any]:
    """The suite, target and options of the run, from its manifest."""
    suite = manifest.get("suite", {})
    return {
        "suite": suite.get("name"),
        "suite_version": suite.get("version"),
        "target": manifest.get("target"),
        "judge": manifest.get("judge"),
        "ci_level": ci_level,
        **manifest.get("options", {}),
    }


def _provenance(
    manifest: Mapping[str, Any], records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Versions, times, and the digests of the cases and of the records."""
    suite = manifest.get("suite", {})
    return {
        "assay_version": __version__,
        "python": platform.python_version(),
        "created_at": now_iso(),
        "run_started_at": manifest.get("started_at"),
        "run_finished_at": manifest.get("finished_at"),
        "run_id": manifest.get("run_id"),
        "dataset": {
            "digest": manifest.get("cases_digest"),
            "digest_of": "the run's expanded cases (cases.jsonl, canonical JSON lines)",
            "name": suite.get("name"),
            "suite_digest": suite.get("digest"),
            "suite_source": suite.get("source"),
        },
        "responses_digest": digest(canonical_jsonl(records)),
        "responses_digest_of": "the records (responses.jsonl, last record per case, "
        "canonical JSON lines)",
    }


def _error_kind(reason: str) -> str:
    text = reason.lower()
    if "timed out" in text:
        return "timeout"
    if "malformed json" in text or "not a json object" in text or "no 'choices'" in text:
        return "malformed response"
    if "http 429" in text:
        return "rate limited"
    if "http 5" in text:
        return "server error"
    if "http 4" in text:
        return "client error"
    if "cannot reach" in text or "connection" in text:
        return "connection"
    if "stopped" in text:
        return "stopped"
    return "other"


@dataclass(frozen=True)
class RedteamRun:
    """A run folder read back: the manifest, the cases, the records and the summary.

    Use :func:`load_run` to read one; :func:`assay.genai.run_redteam` returns one.
    """

    path: Path
    manifest: dict[str, Any]
    cases: tuple[Case, ...]
    records: tuple[dict[str, Any], ...]
    result: RedteamResult

    @property
    def status(self) -> str:
        """``complete``, ``errored`` (every case errored: nothing was tested), ``interrupted``
        or ``running``."""
        return str(self.manifest.get("status", "complete"))

    def _repr_html_(self) -> str:
        """The run's red-team report, for Jupyter (:func:`assay.genai.render_redteam_html`)."""
        from assay.genai._report import render_redteam_html

        return notebook_html(render_redteam_html(self))

    def failures(self) -> list[dict[str, Any]]:
        """The records of failed cases, most severe first."""
        rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        failed = [r for r in self.records if r["outcome"] == "fail"]
        return sorted(failed, key=lambda r: rank.get(r.get("severity", "medium"), 2))

    def errors(self) -> list[dict[str, Any]]:
        """The records of errored cases."""
        return [r for r in self.records if r["outcome"] == "error"]

    def responses_jsonl(self) -> bytes:
        """The records as canonical JSON lines: the evidence blob of the responses."""
        return canonical_jsonl(self.records)

    @classmethod
    def from_evidence(cls, summary: Mapping[str, Any], responses: bytes | None) -> RedteamRun:
        """A run rebuilt from its recorded evidence (:func:`assay.genai.record_run`): the summary
        (``assay.redteam/v1``) and the responses blob, when it is at hand (without it the report
        shows the rates but lists no failures). The target and suite come from the summary's
        ``params``; there is no run folder (``path`` is ``.``) and no case list."""
        result = RedteamResult.from_dict(summary)
        data = result.to_dict()
        params, prov = dict(data.get("params") or {}), data.get("provenance") or {}
        named = ("suite", "suite_version", "target", "judge")
        manifest = {
            "schema": "assay.redteam-run/v1",
            "run_id": prov.get("run_id"),
            "status": data.get("status", "complete"),
            "suite": {
                "name": params.get("suite"),
                "version": params.get("suite_version"),
                "source": (prov.get("dataset") or {}).get("suite_source"),
                "digest": (prov.get("dataset") or {}).get("suite_digest"),
            },
            "target": params.get("target") or {},
            "judge": params.get("judge"),
            "options": {k: v for k, v in params.items() if k not in named},
            "n_cases": data.get("counts", {}).get("cases"),
            "assay_version": prov.get("assay_version"),
            "started_at": prov.get("run_started_at"),
            "finished_at": prov.get("run_finished_at"),
        }
        records: list[dict[str, Any]] = []
        for line in (responses or b"").decode("utf-8", "replace").splitlines():
            record = json.loads(line) if line.strip() else None
            if isinstance(record, dict):
                records.append(record)
        return cls(Path("."), manifest, (), tuple(records), result)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of ``responses.jsonl``, last one per case, in file order of first appearance.

    A torn last line (the process was killed mid-write) is ignored.
    """
    latest: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise SchemaError(
                f"Line {number} of {path} is not valid JSON; the run's records are damaged."
            ) from None
        latest[str(record["case_id"])] = record
    return list(latest.values())


def read_cases(path: Path) -> list[Case]:
    """The cases of ``cases.jsonl``."""
    return [
        Case.from_dict(json.loads(line)) for line in path.read_text("utf-8").splitlines() if line
    ]


def load_run(path: Path | str) -> RedteamRun:
    """Read a run folder written by :func:`assay.genai.run_redteam`.

    The summary is recomputed from the records, so a run can be re-rendered (and a run that was
    interrupted can be summarised) without calling the target again.

    Parameters
    ----------
    path
        The run folder (the ``--output`` of ``assay redteam run``).

    Returns
    -------
    RedteamRun
        The manifest, the cases, the last record of each case and the recomputed summary.

    Raises
    ------
    assay.errors.NotFoundError
        If the folder holds no ``run.json``.
    assay.errors.SchemaError
        If ``run.json`` or ``responses.jsonl`` is damaged (a torn last line is ignored).

    Examples
    --------
    >>> import tempfile
    >>> from assay.genai import run_redteam
    >>> folder = tempfile.mkdtemp()
    >>> _ = run_redteam("builtin", "assay.demo.chat_server:refuse_everything", output=folder,
    ...                 categories=["hate"])
    >>> run = load_run(folder)
    >>> run.status, run.result.by_category()[0]["failed"]
    ('complete', 0)
    """
    folder = Path(path)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise NotFoundError(
            f"'{folder}' is not a red-team run folder (it has no {MANIFEST}). Pass the folder a "
            "run wrote: DIR of `assay redteam run --target URL --output DIR`."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{manifest_path} is not valid JSON: {exc}.") from None
    if manifest.get("schema") != RUN_SCHEMA:
        raise SchemaError(
            f"{manifest_path} has schema {manifest.get('schema')!r}; this Assay reads "
            f"{RUN_SCHEMA!r}."
        )
    cases = read_cases(folder / CASES) if (folder / CASES).exists() else []
    order = {c.id: i for i, c in enumerate(cases)}
    records = read_records(folder / RESPONSES)
    records.sort(key=lambda r: order.get(r["case_id"], len(order)))
    result = summarise(records, manifest, cases=cases)
    return RedteamRun(folder, manifest, tuple(cases), tuple(records), result)

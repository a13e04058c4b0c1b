"""Filing a red-team run as evidence in a workspace (through :mod:`assay.governance`).

A run becomes two evidence records of the same system and model version:

- ``redteam``: the summary (``assay.redteam/v1``), filed with
  :func:`assay.governance.record_evaluation` (so it carries the suite's cases digest as the
  dataset digest, the code commit and Assay's version);
- ``redteam_responses``: every response record as canonical JSON lines
  (``application/x-ndjson``). Its blob's sha256 equals the summary's
  ``provenance.responses_digest``, so each record proves which responses the other summarises.

The governance package is imported when this is called, not when :mod:`assay.genai` is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.errors import InputError
from assay.genai._result import RedteamRun

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, Workspace

__all__ = ["record_run"]


def record_run(
    workspace: Workspace,
    run: RedteamRun,
    *,
    system: str,
    model_version: str,
    title: str | None = None,
    code_commit: str | None = None,
) -> tuple[EvidenceRecord, EvidenceRecord]:
    """File a run's summary and its responses as evidence of ``system`` at ``model_version``.

    Parameters
    ----------
    workspace
        An open workspace (:func:`assay.governance.open_workspace`).
    run
        The run (from :func:`assay.genai.run_redteam` or :func:`assay.genai.load_run`).
    system, model_version
        A registered system (generative) and one of its registered model versions.
    title
        The summary's title; by default the suite, the target and the pass rate.
    code_commit
        The code behind the run, as in :func:`assay.governance.record_evaluation` (default: the
        git commit of the current folder, when it is a git checkout).

    Returns
    -------
    tuple of EvidenceRecord
        The summary record and the responses record.
    """
    from assay.governance import record_derived, record_evaluation

    if run.result.n == 0:
        raise InputError(
            f"The run in '{run.path}' scored no case ({run.result.counts['error']} errored, "
            f"{run.result.counts['pending']} not run); it is no evidence either way. Fix the "
            "target and run it again (the same command retries the errored cases)."
        )
    result = run.result.to_dict()
    rate = result["overall"]["pass_rate"]
    suite = run.manifest.get("suite", {}).get("name", "suite")
    shown = "no scored cases" if rate is None else f"pass rate {rate:.1%}"
    summary = record_evaluation(
        workspace,
        result,
        kind="redteam",
        system=system,
        model_version=model_version,
        title=title or f"Red-team run of {suite}: {shown}",
        code_commit=code_commit,
    )
    counts = result["counts"]
    responses = record_derived(
        workspace,
        builder="assay",
        kind="redteam_responses",
        data=run.responses_jsonl(),
        title=f"Red-team responses of {suite} ({counts['cases']} cases)",
        media_type="application/x-ndjson",
        system=system,
        model_version=model_version,
        dataset_digest=result["provenance"]["dataset"]["digest"],
        code_commit=summary.code_commit,
        code_dirty=summary.code_dirty,
        tool_version=result["provenance"]["assay_version"],
        parameters={"run_id": run.manifest.get("run_id"), "summary_evidence": summary.ref},
        summary={"schema": "assay.redteam-responses/v1", **counts},
    )
    return summary, responses

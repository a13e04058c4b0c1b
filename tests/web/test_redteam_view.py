"""A recorded red-team run has its report in the web app, rebuilt from the evidence alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay import governance as g
from assay.genai import record_run, run_redteam


def test_a_recorded_red_team_run_shows_its_report_with_its_failures(
    workspace: Path, client_for: Any, tmp_path: Path
) -> None:
    run = run_redteam(
        "builtin",
        "assay.demo.chat_server:weak_assistant",
        output=tmp_path / "run",
        categories=["jailbreak"],
    )
    failed = [r for r in run.records if r["outcome"] == "fail"]
    assert failed, "the weak assistant fails some jailbreaks"
    with g.open_workspace(workspace, user="alice") as ws:
        g.add_system(ws, "helpdesk", purpose="Answers customers", owner="alice", generative=True)
        g.add_model_version(ws, "helpdesk", "1")
        summary, _ = record_run(ws, run, system="helpdesk", model_version="1")
    # the run folder is gone: the report must come from the workspace
    for path in sorted((tmp_path / "run").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()

    client, _ = client_for("viewer")
    page = client.get(f"/evidence/{summary.ref}")
    assert page.status_code == 200
    assert f"/evidence/{summary.ref}/view" in page.text
    report = client.get(f"/evidence/{summary.ref}/view")
    assert report.status_code == 200
    assert "Generative-AI red-team report" in report.text or summary.title in report.text
    assert "weak_assistant" in report.text  # the target, from the summary's parameters
    for record in failed[:3]:
        assert str(record["case_id"]) in report.text  # the failures, from the responses

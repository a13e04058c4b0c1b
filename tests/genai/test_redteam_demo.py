"""The path the demo takes: start the local server, red-team it, write reports, record evidence."""

from __future__ import annotations

from pathlib import Path

from assay.demo.chat_server import start
from assay.genai import record_run, run_redteam, write_reports
from assay.governance import add_model_version, add_system, init_workspace, list_evidence


def test_demo_path(tmp_path: Path) -> None:
    url, stop = start(port=0)
    try:
        run = run_redteam("builtin", url, model="weak", output=tmp_path / "redteam", concurrency=8)
    finally:
        stop()
    counts = run.result.counts
    assert counts["cases"] == 278
    assert counts["error"] == 0
    assert run.result.pass_rate is not None
    assert 0.1 < run.result.pass_rate < 0.5  # a weakly guarded assistant fails most probes
    names = {p.name for p in write_reports(run)}
    assert names == {"report.html", "report.md", "junit.xml"}
    with init_workspace(tmp_path / "ws", user="ada") as ws:
        add_system(ws, "helpdesk-assistant", purpose="Answers energy customers",
                   owner="ada", generative=True)  # fmt: skip
        add_model_version(ws, "helpdesk-assistant", "demo-1")
        summary, responses = record_run(
            ws, run, system="helpdesk-assistant", model_version="demo-1"
        )
        assert summary.kind == "redteam"
        assert responses.kind == "redteam_responses"
        kinds = {e.kind for e in list_evidence(ws, system="helpdesk-assistant")}
        assert kinds == {"redteam", "redteam_responses"}

"""``assay demo`` end to end, as ``make demo`` runs it: every artefact is written and verifies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "demo", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Demo finished" in proc.stdout
    for name in (
        "fairness.html",
        "fairness.json",
        "pii_adult.html",
        "robustness.html",
        "redteam/report.html",
        "documents/review-packet.html",
        "documents/model-card.html",
        "exports/adult-income.cdx.json",
        "quality.html",
        "quality.json",
        "monitoring/monitoring.yaml",
        "monitoring/monitoring-report.html",
    ):
        assert (out / name).is_file(), name
    result = json.loads((out / "fairness.json").read_text())
    assert result["schema"] == "assay.fairness/v1"
    assert {v["verdict"] for v in result["verdicts"]} >= {"fail"}
    # Adult under-represents women against the 1990 census: the demo must find it
    data_quality = json.loads((out / "quality.json").read_text())
    under = {
        c["category"]
        for r in data_quality["representativeness"]
        for c in r["categories"]
        if c["status"] == "under"
    }
    assert "Female" in under
    printed = " ".join(proc.stdout.split())
    assert "Monitoring: 6 weekly window(s)" in printed
    # drift is simulated from week 3, so the monitor must alert
    opened = re.search(r"(\d+) alert\(s\) opened", printed)
    assert opened is not None, printed[-2000:]
    assert int(opened.group(1)) >= 1, printed[-2000:]
    from assay.governance import list_evidence, open_workspace

    ws = open_workspace(out)
    try:
        kinds = {e.kind for e in list_evidence(ws, system="adult-income")}
    finally:
        ws.close()
    assert {"fairness", "quality", "pii_scan", "robustness"} <= kinds
    verify = subprocess.run(
        [sys.executable, "-m", "assay", "audit", "verify"],
        capture_output=True, text=True, timeout=120, cwd=out,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    foreign = tmp_path / "mine"
    (foreign / ".assay").mkdir(parents=True)
    refused = subprocess.run(
        [sys.executable, "-m", "assay", "demo", "--output", str(foreign)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "did not create" in refused.stderr
    assert (foreign / ".assay").is_dir()

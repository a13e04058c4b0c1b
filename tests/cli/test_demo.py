"""``assay demo`` end to end, as ``make demo`` runs it: every artefact is written and verifies, its
figures do not depend on the folder it runs from, and each claim it prints is what the command it
names shows afterwards in the demo's folder.

The demo runs twice, at the same time: from a git checkout and from a plain folder (one test, so
that the two runs are shared by every check; the demo takes about a minute).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from interval_ranges import out_of_range

from assay._version import __version__
from assay.cli import main


def _start_demo(cwd: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200"}  # one printed claim per line
    return subprocess.Popen(
        [sys.executable, "-m", "assay", "demo", "--output", str(out)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _git_checkout(folder: Path) -> Path:
    folder.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], cwd=folder, check=True)
    return folder


def _finish(proc: subprocess.Popen[str]) -> str:
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert "Demo finished" in stdout
    return stdout


def figures(stdout: str) -> dict[str, Any]:
    """Every figure the demo prints about the workspace, whitespace normalised."""
    text = " ".join(stdout.split())

    def one(pattern: str) -> str:
        found = re.search(pattern, text)
        assert found is not None, (pattern, text[-3000:])
        return found.group(1)

    return {
        "code": one(r"Evidence EV-\d+: .*? code (\S+)"),
        "completeness": one(r"Review packet EV-\d+, sha256 \w+: completeness ([\d.]+%)"),
        "gaps": re.findall(r"gap: (.*?) \(owner (\w+)\)", text),
        "traceability": one(r"Documentation traceability │ ([^│]+ │ \d+) │"),
        "coverage": one(r"Framework coverage of adult-income: (.*?) \(`"),
        "gate": one(r"(CI gate for .*?) Robustness \("),
    }


@pytest.mark.slow
def test_demo_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    in_git = _start_demo(_git_checkout(tmp_path / "checkout"), tmp_path / "checkout" / "demo")
    plain = _start_demo(tmp_path, tmp_path / "demo")
    stdout, git_stdout = _finish(plain), _finish(in_git)
    out = tmp_path / "demo"

    # the demo's code is Assay's own: its version, not the commit of the folder it runs in
    assert figures(git_stdout) == figures(stdout)
    assert figures(stdout)["code"] == f"assay=={__version__}"
    _check_artefacts(out, stdout)
    _check_claims(out, stdout, monkeypatch, capsys)
    _check_refuses_a_foreign_workspace(tmp_path)


def _check_artefacts(out: Path, stdout: str) -> None:
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
        "genai_log_scan.md",
    ):
        assert (out / name).is_file(), name
    assert "Agents' replies in that log, scanned for harmful output: 2,000 replies" in " ".join(
        stdout.split()
    )
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
    printed = " ".join(stdout.split())
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
    # no interval in any shipped artefact or stored evidence lies outside its quantity's range
    assert out_of_range(out) == []
    verify = subprocess.run(
        [sys.executable, "-m", "assay", "audit", "verify"],
        capture_output=True, text=True, timeout=120, cwd=out,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _check_claims(
    out: Path, stdout: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run, in the demo's folder, each command the demo names and compare with what it printed."""
    text = " ".join(stdout.split())
    monkeypatch.chdir(out)

    def run_json(command: str, *more: str) -> tuple[int, Any]:
        monkeypatch.setattr(sys, "argv", [*shlex.split(command), *more])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, json.loads(capsys.readouterr().out)

    limited = re.search(r"rules only \(`(assay gate [^`]+)`\)", text)
    assert limited is not None
    code, gate = run_json(limited.group(1), "--json")
    assert (code, gate["decision"], gate["rules"]) == (0, "pass", ["fairness", "risk", "waiver"])
    assert re.search(
        r"after WVR-\d+ was approved by mia \(not its requester\): pass \(exit 0\)", text
    )
    # the last lines say how to open the web app, with a login per role
    assert "assay serve then open http://127.0.0.1:8000/" in text
    assert "Demo logins by role: admin ada ada-admin-demo analyst sam sam-analyst-demo" in text

    full = re.search(r"every rule \(`(assay gate [^`]+)`\): (\w+) \(exit (\d)\)", text)
    assert full is not None
    code, gate = run_json(full.group(1), "--json")
    assert (gate["decision"], code) == (full.group(2), int(full.group(3))) == ("fail", 1)
    failed = [o for o in gate["outcomes"] if o["status"] == "fail"]
    for outcome in failed:
        assert f"✗ {outcome['rule']}: {outcome['subject']} — {outcome['value']}" in text

    recorded = re.search(
        r"filed as evidence (EV-\d+): (.*?) \(`(assay evidence show EV-\d+)`\)", text
    )
    assert recorded is not None
    _, record = run_json(recorded.group(3), "--json")
    assert record["title"] == recorded.group(2)
    assert "rules only" in record["title"]

    packet = re.search(
        r"completeness ([\d.]+)% \(below the policy minimum; `([^`]+)` recomputes", text
    )
    assert packet is not None
    _, report = run_json(packet.group(2), "--json")
    assert f"{report['score']:.1f}" == packet.group(1)
    printed_gaps = re.findall(r"gap: (.*?) — (.*?) \(owner (\w+)\)", text)
    assert printed_gaps == [(g["document"], g["requirement"], g["owner"]) for g in report["gaps"]]

    coverage = re.search(r"Framework coverage of adult-income: (.*?) \(`([^`]+)`\)", text)
    assert coverage is not None
    _, shown = run_json(coverage.group(2), "--format", "json")
    percents = [f"{fw['percent']:.1f}%" for fw in shown["frameworks"]]
    assert re.findall(r"[\d.]+%", coverage.group(1)) == percents


def _check_refuses_a_foreign_workspace(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    (foreign / ".assay").mkdir(parents=True)
    refused = subprocess.run(
        [sys.executable, "-m", "assay", "demo", "--output", str(foreign)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "did not create" in refused.stderr
    assert (foreign / ".assay").is_dir()

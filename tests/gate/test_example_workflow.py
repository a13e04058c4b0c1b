"""The example workflow, copied into a fresh repository with a model's predictions, blocks a merge.

The test runs the workflow's own ``run:`` commands, and the composite action's, with the inputs the
workflow passes it, so a change to either file is exercised here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from gate_support import predictions, write_policy

REPO = Path(__file__).resolve().parents[2]


def _action_commands(step: dict[str, Any]) -> list[str]:
    action = yaml.safe_load((REPO / ".github/actions/assay-gate/action.yml").read_text())
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update({k: str(v) for k, v in step.get("with", {}).items()})
    commands = []
    for sub in action["runs"]["steps"]:
        cond = sub.get("if", "")
        if "inputs.install != ''" in cond and not values["install"]:
            continue
        commands.append(
            re.sub(r"\$\{\{\s*inputs\.(\w+)\s*\}\}", lambda m: values[m[1]], sub["run"])
        )
    return commands


def test_example_workflow_blocks_a_biased_model(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    predictions(repo / "predictions.csv", rate_a=0.5, rate_b=0.2)
    write_policy(repo / "policy.yaml")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(REPO / "examples/github-workflow.yml", workflows / "assay-gate.yml")
    flow = yaml.safe_load((workflows / "assay-gate.yml").read_text())

    commands: list[str] = []
    for step in flow["jobs"]["gate"]["steps"]:
        uses = step.get("uses", "")
        if uses.endswith("/.github/actions/assay-gate@main"):
            commands += _action_commands(step)
        elif "run" in step and "pip install" not in step["run"]:
            commands.append(step["run"])
    assert len(commands) == 2  # evaluate, then the gate

    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "COLUMNS": "200",
    }
    codes = []
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
            timeout=180, check=False,
        )  # fmt: skip
        codes.append((done.returncode, done.stdout + done.stderr))
    assert codes[0][0] == 0, codes[0][1]
    assert codes[1][0] == 1, codes[1][1]  # the job fails: the merge is blocked
    assert "fairness.demographic_parity_difference" in codes[1][1]
    assert "Assay gate: FAIL" in summary.read_text()
    assert (tmp_path / "output").read_text().strip() == "decision=fail"
    assert (repo / "assay-gate-junit.xml").exists()
    assert (repo / "assay-gate.sarif").exists()


def test_precommit_hook_checks_policy_files(tmp_path: Path) -> None:
    from assay.gate._precommit import main

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    pattern = re.compile(hook["files"])
    assert pattern.search("ci/policy.yaml")
    assert pattern.search("credit-policy.yml")
    assert not pattern.search("src/app.py")
    good = write_policy(tmp_path / "policy.yaml")
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text(good.read_text().replace("demographic_parity_difference", "dpd"))
    assert main([str(good)]) == 0
    assert main([str(good), str(bad)]) == 1

"""Goldens of ``assay gate``: terminal text, ``--json``, ``--junit``, ``--sarif``, ``--markdown``
and the exit code, for a passing, a failing and an erroring gate on result files, and for the
golden workspace's model version (on its pinned clock)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from golden_house import MODEL, REPORT_DAY, SYSTEM
from golden_inputs import gate_predictions
from golden_support import CliWorker, Golden, Outputs, Run

from assay import governance as g

POLICY = """\
schema: assay.policy/v1
name: Golden gate policy
version: "3"
minimum_completeness: 0.5
thresholds:
  fairness:
    demographic_parity_difference: 0.10
tiers:
  high:
    checkpoints:
      pre-launch:
        approvers: [approver]
        evidence:
          - kind: fairness
            max_age_days: 90
        block_on_open_risks: [high, critical]
"""
#: The same policy with a misspelt metric: an error, never a pass.
TYPO = POLICY.replace("demographic_parity_difference", "dpd")

CASES = ("pass", "fail")
REPORTS = ("junit.xml", "sarif.json", "summary.md")

GOLDENS = [
    *(f"gate/{case}-{what}" for case in CASES for what in ("terminal.txt", "json.txt")),
    *(f"gate/{case}.{report}" for case in CASES for report in REPORTS),
    "gate/error-wrong-schema.txt",
    "gate/error-policy-typo.txt",
    "gate/error-missing-file.txt",
    "gate/error-unknown-rule-family.txt",
    "gate/workspace-terminal.txt",
    "gate/workspace-json.txt",
    *(f"gate/workspace.{report}" for report in REPORTS),
    "gate/workspace-rules-fairness.txt",
    "gate/workspace-record.txt",
    "gate/workspace-error-unknown-version.txt",
    "gate/workspace-error-unknown-system.txt",
    "policy/default.yaml",
    "policy/check-golden.txt",
    "policy/check-typo.txt",
]


@pytest.fixture(scope="module")
def outputs(
    cli: Callable[..., Run], inputs: Path, root: Path, house: g.Workspace, worker: CliWorker
) -> Outputs:
    out = Outputs()
    gate = inputs / "gate"
    gate.mkdir()
    (gate / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (gate / "typo.yaml").write_text(TYPO, encoding="utf-8")
    (gate / "wrong.json").write_text('{"schema": "assay.drift/v1"}', encoding="utf-8")
    for case, (rate_a, rate_b, n) in {"pass": (0.4, 0.4, 20000), "fail": (0.5, 0.2, 2000)}.items():
        gate_predictions(gate / f"{case}.csv", rate_a=rate_a, rate_b=rate_b, n=n, seed=1)
        made = cli("evaluate", "fairness", f"gate/{case}.csv", "--y-true", "y", "--y-pred", "pred",
                   "--sensitive", "sex", "--n-bootstrap", "200", "-f", "json",
                   "-o", f"gate/{case}.json")  # fmt: skip
        assert made.code == 0, made.transcript()

    policy = ("gate", "--policy", "gate/policy.yaml")
    for case in CASES:
        out.run(f"gate/{case}-terminal.txt", cli(*policy, f"gate/{case}.json"))
        out.run(f"gate/{case}-json.txt", cli(*policy, f"gate/{case}.json", "--json"))
        reports = ("--junit", f"out/{case}.junit.xml", "--sarif", f"out/{case}.sarif.json",
                   "--markdown", f"out/{case}.summary.md")  # fmt: skip
        files = cli(*policy, f"gate/{case}.json", *reports)
        assert files.code == (0 if case == "pass" else 1), files.transcript()
        for report in REPORTS:
            out.file(f"gate/{case}.{report}", inputs / "out" / f"{case}.{report}")
    out.run("gate/error-wrong-schema.txt", cli(*policy, "gate/wrong.json"))
    out.run(
        "gate/error-policy-typo.txt", cli("gate", "--policy", "gate/typo.yaml", "gate/fail.json")
    )
    out.run("gate/error-missing-file.txt", cli(*policy, "gate/nothing.json"))
    out.run("gate/error-unknown-rule-family.txt",
            cli(*policy, "gate/fail.json", "--rules", "fairness,vibes"))  # fmt: skip

    # The workspace's model version, with the shipped default policy, on the pinned clock.
    here = house.root
    (here / "out").mkdir(exist_ok=True)

    def gate_ws(*args: str, cwd: Path = here) -> Run:
        return worker.run("gate", *args, cwd=cwd, clock=REPORT_DAY)

    model = ("--system", SYSTEM, "--model-version", MODEL)
    out.run("gate/workspace-terminal.txt", gate_ws(*model))
    out.run("gate/workspace-json.txt", gate_ws(*model, "--json"))
    gate_ws(*model, "--junit", "out/ws.junit.xml", "--sarif", "out/ws.sarif.json",
            "--markdown", "out/ws.summary.md")  # fmt: skip
    for report in REPORTS:
        out.file(f"gate/workspace.{report}", here / "out" / f"ws.{report}")
    out.run("gate/workspace-rules-fairness.txt", gate_ws(*model, "--rules", "fairness,waiver"))
    # --record files the decision as evidence: on a copy, the golden workspace stays as built.
    copy = root / "house-gate"
    shutil.copytree(here, copy)
    out.run("gate/workspace-record.txt", gate_ws(*model, "--record", cwd=copy))
    out.run("gate/workspace-error-unknown-version.txt",
            gate_ws("--system", SYSTEM, "--model-version", "9"))  # fmt: skip
    out.run("gate/workspace-error-unknown-system.txt",
            gate_ws("--system", "nope", "--model-version", MODEL))  # fmt: skip

    default = cli("policy", "default")
    assert default.code == 0
    out["policy/default.yaml"] = default.out
    out.run("policy/check-golden.txt", cli("policy", "check", "gate/policy.yaml"))
    out.run("policy/check-typo.txt", cli("policy", "check", "gate/typo.yaml"))
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])

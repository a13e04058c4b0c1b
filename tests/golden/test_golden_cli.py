"""Goldens of the command line itself: help and version, listings and schemas that need no data,
and the exit code and messages of representative errors (missing file, bad option, unknown
record, no workspace, invalid files): the refactor must keep every one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from golden_house import REPORT_DAY
from golden_support import CliWorker, Golden, Outputs, Run

from assay import governance as g

FAIRNESS = ("evaluate", "fairness", "data/scored.csv", "--y-true", "income", "--y-score", "score",
            "--pos-label", ">50K", "--sensitive", "sex")  # fmt: skip

# fmt: off
#: Golden name -> arguments, run in the input folder.
COMMANDS: dict[str, tuple[str, ...]] = {
    # Help, version and static listings.
    "cli/no-arguments.txt": (),
    "cli/help.txt": ("--help",),
    "cli/version.txt": ("--version",),
    "cli/evaluate-help.txt": ("evaluate", "--help"),
    "cli/evaluate-fairness-help.txt": ("evaluate", "fairness", "--help"),
    "cli/gate-help.txt": ("gate", "--help"),
    "cli/robustness-probes.txt": ("robustness", "probes"),
    "cli/robustness-check-valid.txt": ("robustness", "check", "data/scenario.yaml"),
    "cli/redteam-suite-strategies.txt": ("redteam", "suite", "builtin", "--category",
                                         "jailbreak", "--strategy", "base64"),
    "cli/risk-categories.txt": ("risk", "categories"),
    "cli/review-questionnaire.txt": ("review", "questionnaire"),
    # Errors of usage: Typer/click report them with exit code 2.
    "errors/unknown-command.txt": ("evalute",),
    "errors/missing-argument.txt": ("evaluate", "fairness"),
    "errors/missing-option.txt": ("evaluate", "fairness", "data/scored.csv", "--y-true", "income"),
    "errors/no-such-option.txt": (*FAIRNESS, "--colour"),
    "errors/bad-number.txt": (*FAIRNESS, "--n-bootstrap", "many"),
    # Errors Assay raises on purpose: one clear message, exit code 2.
    "errors/missing-file.txt": ("evaluate", "fairness", "data/nothing.csv", "--y-true", "income",
                                "--y-pred", "prediction", "--sensitive", "sex"),
    "errors/missing-column.txt": ("evaluate", "fairness", "data/scored.csv", "--y-true", "income",
                                  "--y-pred", "prediction", "--sensitive", "gender"),
    "errors/bad-format.txt": (*FAIRNESS, "--format", "xml"),
    "errors/bad-limit.txt": (*FAIRNESS, "--limit", "demographic_parity_difference"),
    "errors/table-to-file.txt": (*FAIRNESS, "-o", "out/table.txt"),
    "errors/record-without-system.txt": (*FAIRNESS, "--record"),
    "errors/check-data-missing-file.txt": ("check", "data", "data/nothing.parquet"),
    "errors/drift-bad-test.txt": ("check", "drift", "data/reference.csv", "data/current.csv",
                                  "--test", "magic"),
    "errors/pii-bad-policy.txt": ("pii", "redact", "data/support.jsonl", "out/r.jsonl",
                                  "--policy", "shred"),
    "errors/robustness-not-a-model.txt": ("robustness", "run", "-m", "data/scored.csv", "-d",
                                          "data/credit.csv", "--y-true", "credit_risk",
                                          "--pos-label", "good", "--sensitive", "sex"),
    "errors/robustness-bad-bootstrap.txt": ("robustness", "run", "-m", "data/credit-model.joblib",
                                            "-d", "data/credit.csv", "--y-true", "credit_risk",
                                            "--sensitive", "sex", "--n-bootstrap", "5"),
    "errors/robustness-invalid-scenario.txt": ("robustness", "check", "data/bad-scenario.yaml"),
    "errors/redteam-unknown-category.txt": ("redteam", "suite", "builtin", "--category", "nope"),
    "errors/monitor-invalid-spec.txt": ("monitor", "validate", "--spec", "data/schema.yaml"),
    "errors/no-workspace.txt": ("system", "list"),
}
#: Golden name -> arguments, run in the golden workspace (errors naming records).
IN_WORKSPACE: dict[str, tuple[str, ...]] = {
    "errors/unknown-system.txt": ("card", "model", "nope"),
    "errors/unknown-risk.txt": ("risk", "show", "RISK-99"),
    "errors/unknown-review.txt": ("completeness", "REV-9"),
    "errors/unknown-dataset.txt": ("datasheet", "adult@2001"),
    "cli/datasheet-by-name-only.txt": ("datasheet", "adult"),
    "errors/pdf-to-terminal.txt": ("card", "model", "adult-income", "-f", "pdf"),
    "errors/unknown-document-format.txt": ("card", "model", "adult-income", "-f", "docx"),
}
#: Golden name -> (user, arguments): writes refused, run on a copy of the golden workspace so
#: that a refusal that stopped working cannot change the other goldens.
REFUSED: dict[str, tuple[str, tuple[str, ...]]] = {
    "errors/permission-denied.txt": ("vi", ("risk", "add", "adult-income", "--title", "T",
                                            "--category", "mit:1.1", "--likelihood", "2",
                                            "--severity", "2", "--owner", "cy")),
    "errors/unknown-user.txt": ("mallory", ("risk", "update", "RISK-1", "--note", "n")),
    "errors/approve-own-waiver.txt": ("dee", ("waiver", "approve", "WVR-2", "--rationale", "r")),
    "errors/analyst-decides-waiver.txt": ("cy", ("waiver", "approve", "WVR-2", "--rationale", "r")),
}

# fmt: on

GOLDENS = [*COMMANDS, *IN_WORKSPACE, *REFUSED]


@pytest.fixture(scope="module")
def outputs(
    cli: Callable[..., Run],
    house_cli: Callable[..., Run],
    house: g.Workspace,
    worker: CliWorker,
    inputs: Path,
    root: Path,
) -> Outputs:
    (inputs / "data/bad-scenario.yaml").write_text(
        "probes:\n  - kind: typos\n    fraction: 3\n  - kind: teleport\n", encoding="utf-8"
    )
    nowhere = root / "no-workspace"
    nowhere.mkdir()
    out = Outputs()
    for name, args in COMMANDS.items():
        cwd = nowhere if name == "errors/no-workspace.txt" else None
        out.run(name, cli(*args, cwd=cwd))
    for name, args in IN_WORKSPACE.items():
        out.run(name, house_cli(*args))
    copy = root / "house-refusals"
    shutil.copytree(house.root, copy)
    for name, (user, args) in REFUSED.items():
        out.run(name, worker.run(*args, cwd=copy, env={"ASSAY_USER": user}, clock=REPORT_DAY))
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])


def test_errors_never_pass(outputs: Outputs) -> None:
    """Every error case exits non-zero (a golden rewritten by mistake must not hide a 0)."""
    for name, text in outputs.items():
        if name.startswith("errors/"):
            assert "\nexit code: 0\n" not in text, name


def test_no_workspace_is_not_found_above_the_folder(root: Path, house: g.Workspace) -> None:
    """The no-workspace case is only meaningful if no folder above it holds a workspace."""
    assert not any((p / ".assay").exists() for p in (root / "no-workspace").parents)

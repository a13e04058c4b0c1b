"""Goldens of the evaluations: fairness, data quality, drift, PII and robustness, as the CLI writes
them (terminal, JSON, HTML, Markdown, redacted data) and with their exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from golden_support import Golden, Outputs, Run

FAIRNESS = (
    "evaluate", "fairness", "data/scored.csv", "--y-true", "income", "--y-score", "score",
    "--pos-label", ">50K", "--limit", "demographic_parity_difference=0.1", "--n-bootstrap", "200",
    "--seed", "3",
)  # fmt: skip
QUALITY = (
    "check", "data", "data/scored.csv", "--sensitive", "sex,race", "--label", "income",
    "--proba", "score", "--pos-label", ">50K", "--schema", "data/schema.yaml",
    "--population", "data/population.yaml", "--min-cell-size", "20",
)  # fmt: skip
# --min-cell-size 20 leaves one small race group (Other, 13 rows): with two, the order in which the
# small_groups warning names them varies from run to run (a polars group_by without
# maintain_order in evaluate/_quality.py), and a golden cannot pin it.
DRIFT = (
    "--sensitive", "sex", "--prediction", "score", "--label", "income",
)  # fmt: skip
ROBUSTNESS = (
    "robustness", "run", "-m", "data/credit-model.joblib", "-d", "data/credit.csv",
    "--y-true", "credit_risk", "--pos-label", "good", "--sensitive", "sex",
    "--scenarios", "data/scenario.yaml", "--n-bootstrap", "100",
)  # fmt: skip
PII = ("pii", "scan", "data/support.jsonl", "-q", "customer.country", "--features", "ticket.topic")

GOLDENS = [
    "evaluate/fairness-table.txt",
    "evaluate/fairness-json.txt",
    "evaluate/fairness.json",
    "evaluate/fairness.html",
    "evaluate/fairness.md",
    "evaluate/fairness-regression.json",
    "check/quality-table.txt",
    "check/quality-json.txt",
    "check/quality.json",
    "check/quality.html",
    "check/quality-fail-on-error.txt",
    "check/profile.txt",
    "check/profile.json",
    "check/drift-table.txt",
    "check/drift.json",
    "check/drift-from-profile-fail.txt",
    "pii/scan-table.txt",
    "pii/scan.json",
    "pii/scan.html",
    "pii/scan.md",
    "pii/redact.txt",
    "pii/redacted.jsonl",
    "robustness/run-table.txt",
    "robustness/run-json.txt",
    "robustness/robustness.json",
    "robustness/robustness.html",
    "robustness/robustness.md",
    "robustness/strict.txt",
]


def _ok(run: Run) -> Run:
    assert run.code in (0, 1), run.transcript()
    return run


@pytest.fixture(scope="module")
def outputs(cli: Callable[..., Run], inputs: Path) -> Outputs:
    out = Outputs()
    # Fairness: the terminal table by sex, race and their intersection; the files by sex (one
    # feature keeps them small).
    out.run("evaluate/fairness-table.txt", _ok(cli(*FAIRNESS, "--sensitive", "sex,race")))
    by_sex = (*FAIRNESS, "--sensitive", "sex")
    out.run("evaluate/fairness-json.txt", _ok(cli(*by_sex, "-f", "json", "-o", "out/f.json")))
    out.file("evaluate/fairness.json", inputs / "out/f.json")
    for fmt in ("html", "md"):
        _ok(cli(*by_sex, "-f", fmt, "-o", f"out/f.{fmt}"))
        out.file(f"evaluate/fairness.{fmt}", inputs / f"out/f.{fmt}")
    regression = cli(
        "evaluate", "fairness", "data/scored.csv", "--task", "regression", "--y-true",
        "hours_per_week", "--y-pred", "age", "--sensitive", "sex", "--n-bootstrap", "100",
        "-f", "json",
    )  # fmt: skip
    out["evaluate/fairness-regression.json"] = _ok(regression).out

    # Data quality and representativeness.
    out.run("check/quality-table.txt", _ok(cli(*QUALITY)))
    out.run(
        "check/quality-json.txt",
        _ok(cli(*QUALITY, "-f", "json", "-o", "out/q.json", "--html", "out/q.html")),
    )
    out.file("check/quality.json", inputs / "out/q.json")
    out.file("check/quality.html", inputs / "out/q.html")
    out.run(
        "check/quality-fail-on-error.txt",
        cli("check", "data", "data/scored.csv", "--schema", "data/schema.yaml",
            "--fail-on", "error"),
    )  # fmt: skip

    # Drift: a profile, then drift from the data and from the profile.
    out.run(
        "check/profile.txt",
        _ok(cli("check", "profile", "data/reference.csv", "-o", "out/profile.json",
                "--bins", "200", *DRIFT)),
    )  # fmt: skip
    out.file("check/profile.json", inputs / "out/profile.json")
    out.run(
        "check/drift-table.txt", _ok(cli("check", "drift", "data/reference.csv",
                                         "data/current.csv", *DRIFT))
    )  # fmt: skip
    drift = cli("check", "drift", "data/reference.csv", "data/current.csv", *DRIFT, "-f", "json")
    out["check/drift.json"] = _ok(drift).out
    out.run(
        "check/drift-from-profile-fail.txt",
        cli("check", "drift", "out/profile.json", "data/current.csv", "--fail-on-drift"),
    )

    # Personal data: scan in every format, and a hashed copy.
    out.run("pii/scan-table.txt", _ok(cli(*PII)))
    for fmt in ("json", "html", "md"):
        _ok(cli(*PII, "-f", fmt, "-o", f"out/pii.{fmt}"))
        out.file(f"pii/scan.{fmt}", inputs / f"out/pii.{fmt}")
    out.run(
        "pii/redact.txt",
        _ok(cli("pii", "redact", "data/support.jsonl", "out/redacted.jsonl", "--policy", "hash")),
    )
    out.file("pii/redacted.jsonl", inputs / "out/redacted.jsonl")

    # Robustness: table, then the report folder (JSON, HTML, Markdown) in one run.
    out.run("robustness/run-table.txt", _ok(cli(*ROBUSTNESS)))
    out.run(
        "robustness/run-json.txt",
        _ok(cli(*ROBUSTNESS, "-f", "json", "-o", "out/r.json", "--report-dir", "out/rob")),
    )
    for name in ("robustness.json", "robustness.html", "robustness.md"):
        out.file(f"robustness/{name}", inputs / "out/rob" / name)
    strict = cli(
        "robustness", "run", "-m", "data/credit-model.joblib", "-d", "data/credit.csv",
        "--y-true", "credit_risk", "--pos-label", "good", "--sensitive", "sex", "--strict",
        "--n-bootstrap", "100", "--scenarios", "data/strict.yaml",
    )  # fmt: skip
    out.run("robustness/strict.txt", strict)
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])

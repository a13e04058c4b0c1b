"""``assay evaluate fairness`` as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ASSAY = [sys.executable, "-m", "assay"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ASSAY, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(5)
    n = 2000
    frame = pl.DataFrame(
        {
            "outcome": rng.choice(["approved", "denied"], n),
            "decision": rng.choice(["approved", "denied"], n),
            "score": rng.random(n),
            "sex": rng.choice(["female", "male"], n),
            "age_band": rng.choice(["<30", "30-50", ">50"], n),
        }
    )
    path = tmp_path_factory.mktemp("cli") / "predictions.csv"
    frame.write_csv(path)
    return path


def test_table_output(csv_file: Path) -> None:
    proc = run(
        "evaluate", "fairness", csv_file, "--y-true", "outcome", "--y-pred", "decision",
        "--pos-label", "approved", "--sensitive", "sex,age_band",
        "--limit", "demographic_parity_difference=0.2",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Verdicts" in proc.stdout
    assert "By sex × age_band" in proc.stdout
    assert "selected" in proc.stdout


def test_json_output_to_file(csv_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = run(
        "evaluate", "fairness", csv_file, "--y-true", "outcome", "--y-score", "score",
        "--threshold", "0.5", "--pos-label", "approved", "--sensitive", "sex",
        "--format", "json", "--output", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(out.read_text())
    assert payload["schema"] == "assay.fairness/v1"
    assert payload["n"] == 2000
    assert payload["params"]["pos_label"] == "approved"
    assert payload["provenance"]["dataset"]["digest"].startswith("sha256:")


def test_html_output(csv_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    proc = run(
        "evaluate", "fairness", csv_file, "--y-true", "outcome", "--y-score", "score",
        "--pos-label", "approved", "--sensitive", "sex", "--format", "html", "-o", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "<script" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--y-true", "nope", "--y-pred", "decision", "--sensitive", "sex"],
            "'nope' named in y_true is not in the data",
        ),
        (["--y-true", "outcome", "--y-pred", "decision", "--sensitive", "sex"], "--pos-label"),
        (
            [
                "--y-true",
                "outcome",
                "--y-score",
                "score",
                "--threshold",
                "3",
                "--pos-label",
                "approved",
                "--sensitive",
                "sex",
            ],
            "outside the range",
        ),
        (
            [
                "--y-true",
                "outcome",
                "--y-pred",
                "decision",
                "--pos-label",
                "approved",
                "--sensitive",
                "sex",
                "--limit",
                "dp",
            ],
            "NAME=VALUE",
        ),
        (
            [
                "--y-true",
                "outcome",
                "--y-pred",
                "decision",
                "--pos-label",
                "approved",
                "--sensitive",
                "sex",
                "--format",
                "xml",
            ],
            "--format must be one of",
        ),
    ],
)
def test_bad_input_exits_2_with_a_message(csv_file: Path, args: list[str], message: str) -> None:
    proc = run("evaluate", "fairness", csv_file, *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_missing_file_and_missing_option(tmp_path: Path) -> None:
    proc = run(
        "evaluate",
        "fairness",
        tmp_path / "none.parquet",
        "--y-true",
        "y",
        "--y-pred",
        "p",
        "--sensitive",
        "s",
    )
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr
    proc = run("evaluate", "fairness", tmp_path / "none.parquet", "--y-true", "y")
    assert proc.returncode == 2
    assert "Missing option" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("assay ")


def test_an_undecided_verdict_prints_the_rows_that_would_decide_it(tmp_path: Path) -> None:
    # two groups of 60 rows selected at 50% and 45%: too few to show a gap within 0.1
    frame = pl.DataFrame(
        {
            "g": ["a"] * 60 + ["b"] * 60,
            "y": [i % 2 for i in range(120)],
            "pred": [1] * 30 + [0] * 30 + [1] * 27 + [0] * 33,
        }
    )
    path = tmp_path / "small.csv"
    frame.write_csv(path)
    proc = run("evaluate", "fairness", path, "--y-true", "y", "--y-pred", "pred",
               "--sensitive", "g", "--limit", "demographic_parity_difference=0.1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "INSUFFICIENT EVIDENCE" in proc.stdout
    assert "rows per group would decide this with 80% power (rows now: g=a: 60; g=b: 60)." in (
        " ".join(proc.stdout.split())
    )

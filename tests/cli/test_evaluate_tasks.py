"""``assay evaluate fairness`` on multiclass and regression data: a real process, exit codes."""

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
    rng = np.random.default_rng(8)
    n = 1500
    label = rng.choice(["cat", "dog", "fox"], n)
    guess = np.where(rng.random(n) < 0.75, label, rng.choice(["cat", "dog", "fox"], n))
    target = rng.normal(20, 4, n)
    frame = pl.DataFrame(
        {
            "label": label,
            "guess": guess,
            "probability": rng.random(n),
            "target": target,
            "estimate": target + rng.normal(0, 2, n),
            "site": rng.choice(["north", "south"], n),
        }
    )
    path = tmp_path_factory.mktemp("tasks") / "predictions.csv"
    frame.write_csv(path)
    return path


def test_multiclass_is_detected_and_judged(csv_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "mc.json"
    proc = run(
        "evaluate", "fairness", csv_file, "--y-true", "label", "--y-pred", "guess",
        "--sensitive", "site", "--limit", "tpr_difference=0.2", "--n-bootstrap", "100",
        "--format", "json", "--output", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(out.read_text())
    assert payload["task"] == "multiclass"
    assert set(payload["groups"][0]["per_class"]) == {"cat", "dog", "fox"}
    assert payload["verdicts"][0]["comparisons"] == 3
    table = run(
        "evaluate", "fairness", csv_file, "--y-true", "label", "--y-pred", "guess",
        "--sensitive", "site", "--task", "multiclass", "--n-bootstrap", "100",
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "macro F1" in table.stdout
    assert "(class" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--y-score", "probability", "--task", "multiclass"], "needs y_pred"),
        (["--y-pred", "probability"], "holds non-integer numbers"),
        (["--y-pred", "guess", "--task", "triclass"], "--task must be classification"),
    ],
)
def test_bad_multiclass_input_exits_2(csv_file: Path, args: list[str], message: str) -> None:
    proc = run("evaluate", "fairness", csv_file, "--y-true", "label", "--sensitive", "site", *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_regression_limits_give_verdicts(csv_file: Path) -> None:
    proc = run(
        "evaluate", "fairness", csv_file, "--y-true", "target", "--y-pred", "estimate",
        "--sensitive", "site", "--task", "regression", "--limit", "mae_difference=1.0",
        "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (verdict,) = json.loads(proc.stdout)["verdicts"]
    assert verdict["rule"] == "mae_difference"
    assert verdict["verdict"] == "pass"
    bad = run(
        "evaluate", "fairness", csv_file, "--y-true", "target", "--y-pred", "estimate",
        "--sensitive", "site", "--task", "regression", "--limit", "tpr_difference=0.1",
    )  # fmt: skip
    assert bad.returncode == 2
    assert "not a limit on a regression result" in bad.stderr

"""``assay check data|profile|drift`` as a user runs them: real files, exit codes.

The commands run in-process through Typer's runner (a subprocess per call costs seconds of
imports); the error boundary that turns an AssayError into exit code 2 is tested with the
fairness command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from assay.cli._app import app
from assay.errors import InputError


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    exception: BaseException | None


def run(*args: str | Path) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in args])
    error = result.exception if not isinstance(result.exception, SystemExit) else None
    return Run(result.exit_code, result.stdout, result.stderr, error)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    rng = np.random.default_rng(8)
    folder = tmp_path_factory.mktemp("check")

    def frame(n: int, shift: float) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "age": rng.integers(18, 80, n) + int(shift),
                "income": rng.lognormal(10 + shift / 20, 0.5, n),
                "sex": rng.choice(["female", "male"], n),
                "y": rng.integers(0, 2, n),
            }
        )

    ref, cur = folder / "ref.parquet", folder / "cur.csv"
    frame(3000, 0).write_parquet(ref)
    frame(2000, 8).write_csv(cur)
    return ref, cur


def test_profile_then_drift_json_and_exit_code(files: tuple[Path, Path], tmp_path: Path) -> None:
    ref, cur = files
    profile = tmp_path / "profile.json"
    proc = run("check", "profile", ref, "-o", profile, "--sensitive", "sex", "--label", "y")
    assert proc.returncode == 0, proc.stderr
    assert "sha256:" in proc.stderr
    out = tmp_path / "drift.json"
    proc = run("check", "drift", profile, cur, "-f", "json", "-o", out, "--fail-on-drift")
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(out.read_text())
    assert payload["schema"] == "assay.drift/v1"
    assert {"age", "income"} <= set(payload["summary"]["drifted"])
    proc = run("check", "drift", ref, cur)
    assert proc.returncode == 0, proc.stderr
    assert "age" in proc.stdout
    assert "Benjamini" in proc.stdout


def test_check_data_table_and_fail_on(files: tuple[Path, Path], tmp_path: Path) -> None:
    ref, _ = files
    schema = tmp_path / "schema.yaml"
    schema.write_text("columns:\n  age: {type: integer, max: 60}\n", encoding="utf-8")
    proc = run("check", "data", ref, "--sensitive", "sex", "--label", "y", "--schema", schema)
    assert proc.returncode == 0, proc.stderr
    assert "schema" in proc.stdout
    proc = run("check", "data", ref, "--schema", schema, "--fail-on", "error")
    assert proc.returncode == 1
    proc = run("check", "data", ref, "--sensitive", "gender")
    assert isinstance(proc.exception, InputError)
    assert "'gender' named in sensitive_features is not in the data" in str(proc.exception)


def test_an_empty_current_batch_is_an_error_not_no_drift(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    ref, cur = files
    header_only = tmp_path / "header.csv"
    header_only.write_text(cur.read_text().splitlines()[0] + "\n")
    out = tmp_path / "drift.json"
    proc = run("check", "drift", ref, header_only, "--fail-on-drift", "-f", "json", "-o", out)
    assert isinstance(proc.exception, InputError)
    assert "has no rows (only a header?); nothing was compared" in str(proc.exception)
    assert not out.exists()
    # and as the reference: a clear message, not an internal error
    proc = run("check", "drift", header_only, cur)
    assert isinstance(proc.exception, InputError)
    assert "The reference data has no rows" in str(proc.exception)


def test_a_column_that_could_not_be_compared_fails_fail_on_drift(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    ref, cur = files
    text = tmp_path / "text.csv"
    # the label column has become text: it cannot be compared with the numeric reference
    pl.read_csv(cur).with_columns(pl.col("y").cast(pl.String) + "x").write_csv(text)
    proc = run("check", "drift", ref, text, "--label", "y", "--columns", "y,sex")
    assert proc.returncode == 0, proc.exception
    assert "1 of 2 columns could not be compared" in proc.stderr
    proc = run("check", "drift", ref, text, "--label", "y", "--columns", "y,sex", "--fail-on-drift")
    assert proc.returncode == 1
    proc = run("check", "drift", ref, text, "--label", "y", "--columns", "y")
    assert isinstance(proc.exception, InputError)
    assert "Nothing was evaluated: all 1 column" in str(proc.exception)

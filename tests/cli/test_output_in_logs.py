"""Output that reads well where it is read: CI logs are no terminal and are 80 columns of nothing.

The commands run in process with standard output and error captured (not a terminal), as in CI.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assay.cli._app import main


def assay(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_columns = sys.argv, os.environ.pop("COLUMNS", None)
    sys.argv = ["assay", *map(str, args)]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = saved_argv
        if saved_columns is not None:
            os.environ["COLUMNS"] = saved_columns
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(3)
    n = 600
    path = tmp_path_factory.mktemp("logs") / "scores.csv"
    pl.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "score": rng.random(n),
            "g": rng.choice(["a", "b"], n),
            "amount": rng.normal(size=n),
        }
    ).write_csv(path)
    return path


def test_a_table_in_a_log_is_not_cut_at_80_columns(data: Path) -> None:
    code, out, _ = assay("check", "drift", data, data)
    assert code == 0
    assert "jensen_shannon" in out  # was "jensen_shan…" at 80 columns
    assert "…" not in out


def test_the_output_suffix_picks_the_format(data: Path, tmp_path: Path) -> None:
    # -o result.json without --format: JSON (was "--format table prints to the terminal")
    code, _, err = assay("evaluate", "fairness", data, "--y-true", "y", "--y-score", "score",
                         "--sensitive", "g", "-o", tmp_path / "result.json")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "result.json").read_text().lstrip().startswith("{")
    code, _, err = assay("check", "drift", data, data, "-o", tmp_path / "drift.json")
    assert code == 0, err
    assert '"schema": "assay.drift/v1"' in (tmp_path / "drift.json").read_text()


def test_a_long_run_prints_progress_lines_in_a_log(tmp_path: Path) -> None:
    code, _, err = assay("redteam", "run", "-t", "assay.demo.chat_server:refuse_everything",
                         "--limit", "20", "-o", tmp_path / "run")  # fmt: skip
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("red-team: ")]
    assert lines[-1].startswith("red-team: 20/20 cases (pass ")
    assert 2 <= len(lines) <= 11  # one per tenth, not one per case


def test_a_warning_raised_per_batch_is_printed_once(capsys: pytest.CaptureFixture[str]) -> None:
    from assay.cli._console import make_console
    from assay.cli._robustness import _loading

    with _loading(make_console()) as say:
        for batch in range(5):
            say(f"batch {batch}")
            warnings.warn("X does not have valid feature names", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err.count("X does not have valid feature names") == 1
    assert "… batch 4" in err  # steps are lines in a log, not a spinner


def test_the_demo_prints_counts_as_words() -> None:
    from assay.demo._story import _counts

    text = _counts({"cases": 9, "pass": 6, "fail": 2, "error": 1, "pending": 0})
    assert text == "6 passed, 2 failed, 1 errored, 0 not run"
    assert "{" not in text


def test_the_help_groups_every_command_by_topic_with_an_example() -> None:
    from assay.cli._app import COMMANDS
    from assay.cli._help import TOPICS, command_names

    names = command_names()
    assert sorted(names) == sorted(COMMANDS)
    assert len(names) == len(set(names))
    for rows in TOPICS.values():
        for name, _, example in rows:
            assert example.startswith(f"assay {name}"), example
    code, out, _ = assay("--help")
    assert code == 0
    for topic in TOPICS:
        assert topic in out
    assert "assay gate fairness.json --junit reports/gate.xml" in out


def test_the_help_loads_no_command() -> None:
    import subprocess

    code = (
        "import sys; from assay.cli._app import main; sys.argv = ['assay', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('assay.cli._') and m not in "
        "('assay.cli._app', 'assay.cli._help', 'assay.cli._console')), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr


def test_a_mistyped_command_gets_a_suggestion() -> None:
    code, _, err = assay("evalute", "fairness")
    assert code == 2
    assert "No such command 'evalute'. Did you mean 'evaluate'?" in " ".join(err.split())


def test_flags_are_shown_without_a_value() -> None:
    code, out, _ = assay("audit", "verify", "--help")
    assert code == 0
    assert "--json" in out
    assert "<bool>" not in out


def test_a_usage_error_in_a_log_is_one_plain_line_not_a_box() -> None:
    option = "--an-option-whose-name-is-long-enough-to-wrap-inside-an-eighty-column-box"
    code, _, err = assay("evaluate", "fairness", option, "x")
    assert code == 2
    assert f"Error: No such option: {option}" in err.splitlines()
    assert "╭" not in err
    assert "│" not in err

"""``assay plan sample-size`` as a user runs it: a real process, the numbers of the library."""

from __future__ import annotations

import json
import subprocess
import sys

from assay.evaluate import plan_sample_size

ASSAY = [sys.executable, "-m", "assay", "plan", "sample-size"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ASSAY, *args], capture_output=True, text=True, timeout=120)


def test_rows_per_group_for_one_rate_and_a_gap() -> None:
    proc = run("--rate", "0.3", "--gap", "0.02", "--groups", "5", "--limit", "0.1")
    assert proc.returncode == 0, proc.stderr
    rows = plan_sample_size(rate=0.3, gap=0.02, groups=5, limit=0.1).rows_per_group
    assert rows is not None
    assert f"{rows:,} rows per group" in proc.stdout
    assert "every pair of groups differs by at most 0.1 with 80% power" in proc.stdout


def test_json_is_the_plan() -> None:
    proc = run("--rates", "0.5,0.45,0.48", "--rule", "ratio", "--limit", "0.8", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = plan_sample_size([0.5, 0.45, 0.48], rule="ratio", limit=0.8)
    assert json.loads(proc.stdout) == plan.to_dict()


def test_an_unreachable_plan_says_more_than() -> None:
    proc = run("--rates", "0.5,0.4", "--rule", "ratio", "--limit", "0.8")
    assert proc.returncode == 0, proc.stderr
    assert "More than 1,000,000 rows per group" in proc.stdout


def test_bad_input_is_one_clear_line() -> None:
    for args, complaint in (
        (["--rate", "0.3", "--limit", "0.1", "--power", "1.2"], "power is a probability"),
        (["--rates", "0.3,abc", "--limit", "0.1"], "'abc' is not a number"),
        (["--rate", "0.3", "--limit", "0.1", "--rule", "odds"], "--rule must be"),
        (["--limit", "0.1"], "--rates"),
    ):
        proc = run(*args)
        assert proc.returncode == 2, (args, proc.stdout)
        assert proc.stderr.startswith("error: "), proc.stderr
        assert complaint in proc.stderr
        assert "Traceback" not in proc.stderr

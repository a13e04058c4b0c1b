"""Every command of docs/cli.md against degenerate input: it fails closed, clearly, never as a bug.

The matrix runs the commands in process, through the same ``main()`` (and so the same error
boundary) as the ``assay`` script, against: a missing file, a folder, an empty file, a CSV with a
header only, a zero-byte and a truncated Parquet file, a wrong column, NaN labels, labels that
are not binary, scores that are text, 5,000 groups, emoji in names, options out of their range,
an unreachable target and an unreachable or misconfigured database. For every case:

- the exit code is 0 (with a valid result that evaluated something), 1 (a finding or a failed
  ``--fail-*``) or 2 (a clear error): never 3, the internal-error code;
- no traceback is printed;
- no partial output file is left behind (no ``*.part``, no output of a run that failed);
- a pass is only ever reported when something was evaluated.

A few cases also run as real processes, to prove that nothing reaches stderr as a traceback.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assay.cli._app import COMMANDS, main

UNREACHABLE_DB = "postgresql+psycopg://ada:s3cret@127.0.0.1:1/assay"
UNREACHABLE_TARGET = "http://127.0.0.1:9/v1"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def assay(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run ``assay ARGS`` in this process through the script's entry point."""
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_env = sys.argv, dict(os.environ)
    sys.argv = ["assay", *map(str, args)]
    os.environ.update(env or {})
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
    return Run(code, out.getvalue(), err.getvalue())


# -- inputs -----------------------------------------------------------------------------------


@dataclass
class Inputs:
    """The files every case reads, in one folder per test session."""

    root: Path
    good: Path
    files: dict[str, Path] = field(default_factory=dict)
    model: Path = Path()
    scenario: Path = Path()
    workspace: Path = Path()


def _frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x1))).astype(np.int64)
    return pl.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "g": rng.choice(["a", "b"], n),
            "y": y,
            "score": np.clip(1 / (1 + np.exp(-2 * x1)) + rng.normal(0, 0.05, n), 0, 1),
            "email": [f"user{i}@example.com" for i in range(n)],
        }
    )


def _write_inputs(root: Path) -> Inputs:
    good = _frame(400, 1)
    inputs = Inputs(root, root / "good.csv")
    good.write_csv(inputs.good)
    f = inputs.files
    f["missing"] = root / "does-not-exist.csv"
    f["folder"] = root / "a-folder"
    f["folder"].mkdir()
    f["empty"] = root / "empty.csv"
    f["empty"].write_bytes(b"")
    f["header_only"] = root / "header.csv"
    good.head(0).write_csv(f["header_only"])
    f["zero_parquet"] = root / "zero.parquet"
    f["zero_parquet"].write_bytes(b"")
    whole = root / "whole.parquet"
    good.write_parquet(whole)
    f["truncated_parquet"] = root / "truncated.parquet"
    f["truncated_parquet"].write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    f["wrong_column"] = root / "renamed.csv"
    good.rename({"y": "label", "g": "group"}).write_csv(f["wrong_column"])
    f["nan_labels"] = root / "nan-labels.csv"
    good.with_columns(pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("y"))
                      .alias("y")).write_csv(f["nan_labels"])  # fmt: skip
    f["non_binary"] = root / "three-labels.csv"
    good.with_columns((pl.int_range(pl.len()) % 3).alias("y")).write_csv(f["non_binary"])
    f["string_scores"] = root / "text-scores.csv"
    good.with_columns(
        pl.when(pl.col("score") > 0.5).then(pl.lit("high")).otherwise(pl.lit("low")).alias("score")
    ).write_csv(f["string_scores"])
    many = _frame(10_000, 2).with_columns(
        (pl.int_range(pl.len()) % 5000).cast(pl.String).alias("g")
    )
    f["groups_5000"] = root / "groups.parquet"
    many.write_parquet(f["groups_5000"])
    f["emoji"] = root / "emoji-ñame 😀.csv"
    good.with_columns(pl.col("g").replace({"a": "🙂 ä", "b": "🚀 ß"})).write_csv(f["emoji"])
    return inputs


def _write_model(inputs: Inputs) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    good = pl.read_csv(inputs.good)
    model = LogisticRegression().fit(good.select("x1", "x2").to_pandas(), good["y"].to_numpy())
    inputs.model = inputs.root / "model.joblib"
    joblib.dump(model, inputs.model)
    inputs.scenario = inputs.root / "scenario.yaml"
    inputs.scenario.write_text("probes:\n  - kind: gaussian_noise\n    scale: 0.1\n")


def _write_workspace(inputs: Inputs) -> None:
    from assay import governance as g

    inputs.workspace = inputs.root / "project"
    with g.init_workspace(inputs.workspace, user="ada") as ws:
        g.add_system(ws, "credit", purpose="Scores loans", owner="ada")
        g.add_model_version(ws, "credit", "1")
        g.add_dataset_version(ws, "adult", "1", digest="sha256:" + "ab" * 32)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    made = _write_inputs(tmp_path_factory.mktemp("degenerate"))
    _write_model(made)
    _write_workspace(made)
    return made


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder that does not exist yet (commands create it)."""
    return tmp_path / "out" / "reports"


def _env(inputs: Inputs) -> dict[str, str]:
    return {"ASSAY_WORKSPACE": str(inputs.workspace), "ASSAY_USER": "ada", "COLUMNS": "120"}


def check(run: Run, expected: set[int], out: Path | None = None) -> None:
    """The invariants of every case."""
    assert run.code in expected, (run.code, run.text[-2000:])
    assert run.code != 3
    assert "Traceback" not in run.text, run.text[-2000:]
    assert "internal error" not in run.text, run.text[-2000:]
    if out is not None and out.exists():
        assert not list(out.rglob("*.part")), "a partial output file was left behind"
        if run.code == 2:
            assert not [p for p in out.rglob("*") if p.is_file()], "output of a failed run"


# -- the data commands × the degenerate inputs ------------------------------------------------

#: Inputs from which nothing can be evaluated: every data command must refuse them (exit 2).
UNREADABLE = [
    "missing",
    "folder",
    "empty",
    "header_only",
    "zero_parquet",
    "truncated_parquet",
    "wrong_column",
]
#: Inputs that are odd but hold rows: a command may evaluate them or refuse them, never crash.
ODD = ["nan_labels", "non_binary", "string_scores", "groups_5000", "emoji"]


def _data_commands(inputs: Inputs, data: Path, out: Path) -> dict[str, list[str | Path]]:
    common_robust = ["-m", inputs.model, "-d", data, "--y-true", "y", "--sensitive", "g",
                     "--features", "x1,x2"]  # fmt: skip
    return {
        "evaluate": ["evaluate", "fairness", data, "--y-true", "y", "--y-score", "score",
                     "--sensitive", "g", "-f", "json", "-o", out / "fairness.json"],
        "check data": ["check", "data", data, "--sensitive", "g", "--label", "y", "-f", "json",
                       "-o", out / "quality.json"],
        "check profile": ["check", "profile", data, "--sensitive", "g", "--label", "y",
                          "-o", out / "profile.json"],
        "check drift (current)": ["check", "drift", inputs.good, data, "--sensitive", "g",
                                  "--fail-on-drift", "-f", "json", "-o", out / "drift.json"],
        "check drift (reference)": ["check", "drift", data, inputs.good, "--fail-on-drift",
                                    "-f", "json", "-o", out / "drift.json"],
        "pii scan": ["pii", "scan", data, "-f", "json", "-o", out / "pii.json"],
        "pii redact": ["pii", "redact", data, out / "redacted.csv"],
        "robustness": ["robustness", "run", *common_robust, "--scenarios", inputs.scenario,
                       "--n-bootstrap", "100", "-f", "json", "-o", out / "robustness.json"],
        "explain": ["explain", *common_robust, "--n-repeats", "2", "--max-rows", "100",
                    "--no-shap", "-f", "json", "-o", out / "explanation.json"],
        "monitor run": ["monitor", "run", "--spec", data, "--data", data],
        "mitigate": ["mitigate", "-m", inputs.model, "--train", data, "--test", data,
                     "--y-true", "y", "--sensitive", "g", "--features", "x1,x2",
                     "--n-bootstrap", "100", "--result", out / "mitigation.json"],
    }  # fmt: skip


DATA_COMMANDS = [
    "evaluate",
    "check data",
    "check profile",
    "check drift (current)",
    "check drift (reference)",
    "pii scan",
    "pii redact",
    "robustness",
    "explain",
    "monitor run",
    "mitigate",
]


def _evaluated(command: str, out: Path) -> None:
    """A command that exited 0 wrote a valid result that evaluated something."""
    files = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    if command in ("pii redact", "monitor run"):
        return
    assert files, f"{command} exited 0 without writing its result"
    payload = json.loads(files[0].read_text(encoding="utf-8"))
    counts = {
        "evaluate": lambda p: p["n"],
        "check data": lambda p: p["n"],
        "check profile": lambda p: p["n"],
        "check drift (current)": lambda p: p["summary"]["n_tested"] * p["current"]["n"],
        "check drift (reference)": lambda p: p["summary"]["n_tested"] * p["current"]["n"],
        "pii scan": lambda p: p["n_scanned"],
        "robustness": lambda p: sum(x["verdict"] != "error" for x in p["probes"]),
        "explain": lambda p: p["n"],
        "mitigate": lambda p: p["n_test"],
    }
    assert counts[command](payload) > 0, f"{command} passed on nothing evaluated"


#: Where a command can still evaluate part of an "unreadable" input, and what it must then do.
PARTIAL = {
    # a scan names no column: renamed columns are scanned as they are
    ("pii scan", "wrong_column"): {0},
    ("pii redact", "wrong_column"): {0},
    # the renamed columns cannot be compared, the others can: a partial result fails the flag
    ("check drift (current)", "wrong_column"): {1},
    ("check drift (reference)", "wrong_column"): {1},
}


@pytest.mark.parametrize("case", UNREADABLE)
@pytest.mark.parametrize("command", DATA_COMMANDS)
def test_unreadable_input_is_refused(inputs: Inputs, out: Path, command: str, case: str) -> None:
    run = assay(*_data_commands(inputs, inputs.files[case], out)[command])
    expected = PARTIAL.get((command, case), {2})
    check(run, expected, out)
    if run.code == 0:
        _evaluated(command, out)
    if run.code == 2:
        assert "rror" in run.err, run.err


@pytest.mark.parametrize("case", ODD)
@pytest.mark.parametrize("command", DATA_COMMANDS)
def test_odd_input_is_evaluated_or_refused(
    inputs: Inputs, out: Path, command: str, case: str
) -> None:
    run = assay(*_data_commands(inputs, inputs.files[case], out)[command])
    check(run, {0, 1, 2}, out)
    if run.code == 0:
        _evaluated(command, out)


def test_the_good_file_passes_every_data_command(inputs: Inputs, out: Path) -> None:
    # The matrix can fail: the same commands on a good file evaluate it and exit 0.
    for command in DATA_COMMANDS:
        if command == "monitor run":
            continue
        target = out / command.replace(" ", "-")
        run = assay(*_data_commands(inputs, inputs.good, target)[command])
        check(run, {0}, target)
        _evaluated(command, target)


# -- every other command: missing and misplaced files, bad references, out-of-range options ----


def _fairness_result(inputs: Inputs) -> Path:
    path = inputs.root / "fairness.json"
    if not path.exists():
        run = assay("evaluate", "fairness", inputs.good, "--y-true", "y", "--y-score", "score",
                    "--sensitive", "g", "-f", "json", "-o", path)  # fmt: skip
        assert run.code == 0, run.text
    return path


def _cases(i: Inputs, out: Path) -> dict[str, tuple[list[str | Path], set[int]]]:
    """name → (argv, the exit codes allowed). Every top-level command of docs/cli.md is here."""
    f, good, model = i.files, i.good, i.model
    result = _fairness_result(i)
    waiver = ["--rationale", "r", "--compensating-controls", "c", "--residual-risk", "low",
              "--expires", "2099-01-01"]  # fmt: skip
    risk = ["--title", "t", "--category", "mit:1.1", "--likelihood", "2", "--severity", "2"]
    robust = ["-d", good, "--y-true", "y", "--sensitive", "g", "--features", "x1,x2",
              "--scenarios", i.scenario, "--n-bootstrap", "100"]  # fmt: skip
    return {
        # workspace, users, serving
        "init into a file": (["init", good], {2}),
        "db on an unreachable server": (["db", "status", "--db", UNREACHABLE_DB], {2}),
        "db with a port that is not a number": (
            ["db", "upgrade", "--db", "postgresql+psycopg://ada:s3cret@h:port/x"],
            {2},
        ),
        "user with an unknown role": (["user", "add", "zed", "--role", "emperor"], {2}),
        "org grant in an organisation that does not exist": (
            ["org", "grant", "ada", "nowhere", "--role", "viewer"],
            {2},
        ),
        "admin grant on SQLite": (["admin", "grant", "ada"], {2}),
        "serve outside a workspace": (["serve", "--workspace", f["folder"]], {2}),
        # inventory and evidence
        "system owned by nobody": (
            ["system", "add", "s2", "--purpose", "p", "--owner", "nobody"],
            {2},
        ),
        "system list on an unreachable database": (["system", "list", "--db", UNREACHABLE_DB], {2}),
        "model-version artifact missing": (
            ["model-version", "add", "credit", "2", "--artifact", f["missing"]],
            {2},
        ),
        "dataset-version file is a folder": (
            ["dataset-version", "add", "d", "1", "--file", f["folder"]],
            {2},
        ),
        "evidence of a kind that does not exist": (
            ["evidence", "add", good, "--kind", "magic", "--system", "credit"],
            {2},
        ),
        "evidence file is a folder": (
            ["evidence", "add", f["folder"], "--kind", "attachment"],
            {2},
        ),
        "evidence file missing": (["evidence", "add", f["missing"], "--kind", "attachment"], {2}),
        "evidence list limit out of range": (["evidence", "list", "--limit", "-1"], {2}),
        # reviews, approvals, risks, actions, waivers, incidents
        "review answers missing": (["review", "open", "credit", "--answers", f["missing"]], {2}),
        "review answers a folder": (["review", "open", "credit", "--answers", f["folder"]], {2}),
        "approval verify file missing": (
            ["approval", "verify", "APR-1", "--file", f["missing"]],
            {2},
        ),
        "risk owned by nobody": (["risk", "add", "credit", *risk, "--owner", "nobody"], {2}),
        "risk likelihood out of range": (
            [
                "risk",
                "add",
                "credit",
                *risk[:-4],
                "--likelihood",
                "9",
                "--severity",
                "2",
                "--owner",
                "ada",
            ],
            {2},
        ),
        "action owned by nobody": (
            ["action", "add", "t", "--owner", "nobody", "--due", "2030-01-01", "--risk", "RISK-1"],
            {2},
        ),
        "waiver of an unknown control": (
            ["waiver", "request", "credit", "--control", "no.such.control", *waiver],
            {2},
        ),
        "waiver approvals out of range": (
            ["waiver", "request", "credit", "--control", "fairness", *waiver, "--approvals", "9"],
            {2},
        ),
        "incident in the future": (
            [
                "incident",
                "open",
                "t",
                "--severity",
                "sev2",
                "--occurred",
                "2099-01-01",
                "--system",
                "credit",
            ],
            {2},
        ),
        "audit on an unreachable database": (["audit", "verify", "--db", UNREACHABLE_DB], {2}),
        "kpis with an impossible date": (["kpis", "--from", "2025-13-01"], {2}),
        # exchange
        "export into a file": (["export", good], {2}),
        "import from a missing folder": (["import", f["missing"], "--into", out / "new"], {2}),
        "backup into a new folder": (["backup", out / "deep" / "backup.zip"], {0}),
        "restore from a folder": (["restore", f["folder"], "--into", out / "restored"], {2}),
        "restore from an empty file": (["restore", f["empty"], "--into", out / "restored"], {2}),
        # documents and frameworks
        "card section file missing": (
            ["card", "model", "credit", "--section", "intended_use", "--file", f["missing"]],
            {2},
        ),
        "card section file is a folder": (
            ["card", "model", "credit", "--section", "intended_use", "--file", f["folder"]],
            {2},
        ),
        "card section empty": (
            ["card", "model", "credit", "--section", "intended_use", "--text", "  "],
            {2},
        ),
        "card into a new folder": (
            ["card", "model", "credit", "-o", out / "cards" / "card.md"],
            {0},
        ),
        "datasheet of an unknown dataset": (["datasheet", "nope@1"], {2}),
        "report of an unknown system": (["report", "risk", "nope"], {2}),
        "packet of an unknown review": (["packet", "verify", "REV-99"], {2}),
        "completeness of an unknown review": (["completeness", "REV-99"], {2}),
        "checklist of an unknown tier": (["checklist", "credit", "--tier", "platinum"], {2}),
        "frameworks unknown": (["frameworks", "show", "nope"], {2}),
        "bom of an unknown system": (["bom", "cyclonedx", "nope"], {2}),
        "bom into a new folder": (
            ["bom", "cyclonedx", "credit", "-o", out / "b" / "bom.json"],
            {0},
        ),
        "oscal of an unknown system": (["oscal", "poam", "nope"], {2}),
        # the gate
        "gate result missing": (["gate", f["missing"]], {2}),
        "gate result is a folder": (["gate", f["folder"]], {2}),
        "gate result is empty": (["gate", f["empty"]], {2}),
        "gate result is a CSV": (["gate", good], {2}),
        "gate unknown tier": (["gate", result, "--tier", "platinum"], {2}),
        "gate reports into missing folders": (
            [
                "gate",
                result,
                "--junit",
                out / "missing-dir" / "j.xml",
                "--sarif",
                out / "s" / "s.sarif",
                "--markdown",
                out / "m" / "summary.md",
            ],
            {0, 1},
        ),
        "gate on an unreachable database": (
            ["gate", "--system", "credit", "--model-version", "1", "--db", UNREACHABLE_DB],
            {2},
        ),
        # policy, monitoring
        "policy file missing": (["policy", "check", f["missing"]], {2}),
        "policy file is a folder": (["policy", "check", f["folder"]], {2}),
        "policy file empty": (["policy", "check", f["empty"]], {2}),
        "monitor spec missing": (["monitor", "validate", "--spec", f["missing"]], {2}),
        "monitor spec is a folder": (["monitor", "validate", "--spec", f["folder"]], {2}),
        "monitor spec empty": (["monitor", "validate", "--spec", f["empty"]], {2}),
        # generative AI and robustness targets
        "redteam target unreachable": (
            [
                "redteam",
                "run",
                "-t",
                UNREACHABLE_TARGET,
                "-m",
                "x",
                "--limit",
                "2",
                "--retries",
                "0",
                "-q",
                "-o",
                out / "run",
            ],
            {2},
        ),
        "redteam suite is a folder": (["redteam", "suite", f["folder"]], {2}),
        "genai scan-logs log is a folder": (["genai", "scan-logs", f["folder"]], {2}),
        "redteam report of a folder that is no run": (["redteam", "report", f["folder"]], {2}),
        "redteam limit out of range": (
            ["redteam", "run", "-t", "assay.demo.chat_server:refuse_everything", "--limit", "-1"],
            {2},
        ),
        "redteam fail-under out of range": (
            [
                "redteam",
                "run",
                "-t",
                "assay.demo.chat_server:refuse_everything",
                "--limit",
                "1",
                "--fail-under",
                "2",
                "-o",
                out / "run",
            ],
            {2},
        ),
        "robustness model endpoint unreachable": (
            [
                "robustness",
                "run",
                "-m",
                "http://127.0.0.1:9/invocations",
                *robust,
                "--timeout",
                "5",
            ],
            {2},
        ),
        "robustness threshold out of range": (
            ["robustness", "run", "-m", model, *robust, "--threshold", "7"],
            {2},
        ),
        "explain model missing": (
            ["explain", "-m", f["missing"], "-d", good, "--y-true", "y", "--sensitive", "g"],
            {2},
        ),
        # evaluation options out of range
        "fairness threshold out of range": (
            [
                "evaluate",
                "fairness",
                good,
                "--y-true",
                "y",
                "--y-score",
                "score",
                "--sensitive",
                "g",
                "--threshold",
                "7",
            ],
            {2},
        ),
        "fairness ci level out of range": (
            [
                "evaluate",
                "fairness",
                good,
                "--y-true",
                "y",
                "--y-score",
                "score",
                "--sensitive",
                "g",
                "--ci-level",
                "1.5",
            ],
            {2},
        ),
        "fairness negative bootstrap": (
            [
                "evaluate",
                "fairness",
                good,
                "--y-true",
                "y",
                "--y-score",
                "score",
                "--sensitive",
                "g",
                "--n-bootstrap",
                "-1",
            ],
            {2},
        ),
        "drift alpha out of range": (["check", "drift", good, good, "--alpha", "7"], {2}),
        "plan rate out of range": (["plan", "sample-size", "--rate", "1.5", "--limit", "0.1"], {2}),
        "plan power out of range": (
            ["plan", "sample-size", "--rate", "0.3", "--limit", "0.1", "--power", "1"],
            {2},
        ),
        "plan without rates": (["plan", "sample-size", "--limit", "0.1"], {2}),
        "plan ratio limit of zero": (
            ["plan", "sample-size", "--rates", "0.3,0.4", "--rule", "ratio", "--limit", "0"],
            {2},
        ),
        "quality negative cell size": (["check", "data", good, "--min-cell-size", "-3"], {2}),
        "pii min score out of range": (["pii", "scan", good, "--min-score", "7"], {2}),
        "pii negative sample": (["pii", "scan", good, "--sample", "-5"], {2}),
        "demo into a file": (["demo", "--output", good], {2}),
    }


CASE_NAMES = [
    "init into a file", "db on an unreachable server", "db with a port that is not a number",
    "user with an unknown role", "org grant in an organisation that does not exist",
    "admin grant on SQLite", "serve outside a workspace",
    "system owned by nobody", "system list on an unreachable database",
    "model-version artifact missing",
    "dataset-version file is a folder", "evidence of a kind that does not exist",
    "evidence file is a folder", "evidence file missing", "evidence list limit out of range",
    "review answers missing", "review answers a folder", "approval verify file missing",
    "risk owned by nobody", "risk likelihood out of range", "action owned by nobody",
    "waiver of an unknown control", "waiver approvals out of range", "incident in the future",
    "audit on an unreachable database", "kpis with an impossible date", "export into a file",
    "import from a missing folder", "backup into a new folder", "restore from a folder",
    "restore from an empty file", "card section file missing", "card section file is a folder",
    "card section empty", "card into a new folder", "datasheet of an unknown dataset",
    "report of an unknown system", "packet of an unknown review",
    "completeness of an unknown review", "checklist of an unknown tier", "frameworks unknown",
    "bom of an unknown system", "bom into a new folder", "oscal of an unknown system",
    "gate result missing", "gate result is a folder", "gate result is empty",
    "gate result is a CSV", "gate unknown tier", "gate reports into missing folders",
    "gate on an unreachable database", "policy file missing", "policy file is a folder",
    "policy file empty", "monitor spec missing", "monitor spec is a folder", "monitor spec empty",
    "redteam target unreachable", "redteam suite is a folder", "genai scan-logs log is a folder",
    "redteam report of a folder that is no run", "redteam limit out of range",
    "redteam fail-under out of range", "robustness model endpoint unreachable",
    "robustness threshold out of range", "explain model missing",
    "fairness threshold out of range", "fairness ci level out of range",
    "fairness negative bootstrap", "drift alpha out of range", "plan rate out of range",
    "plan power out of range", "plan without rates", "plan ratio limit of zero",
    "quality negative cell size",
    "pii min score out of range", "pii negative sample", "demo into a file",
]  # fmt: skip


@pytest.mark.parametrize("name", CASE_NAMES)
def test_command_fails_closed(inputs: Inputs, out: Path, name: str) -> None:
    argv, expected = _cases(inputs, out)[name]
    run = assay(*argv, env=_env(inputs))
    partial = out if name != "redteam target unreachable" else None  # the run folder resumes
    check(run, expected, partial)
    assert "s3cret" not in run.text, "a password was printed"
    if run.code == 2:
        assert "rror" in run.err, run.err
    if run.code in (0, 1):
        written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
        assert written or name in ("kpis with an impossible date",), "no output was written"


def test_the_cases_cover_every_command_of_docs_cli(inputs: Inputs, tmp_path: Path) -> None:
    cases = _cases(inputs, tmp_path)
    assert sorted(cases) == sorted(CASE_NAMES)
    covered = {str(argv[0]) for argv, _ in cases.values()}
    covered |= {str(argv[0]) for argv in _data_commands(inputs, inputs.good, tmp_path).values()}
    assert covered == set(COMMANDS), sorted(set(COMMANDS) - covered)


# -- a few real processes: nothing reaches stderr as a traceback ------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [
            "evaluate",
            "fairness",
            "{header_only}",
            "--y-true",
            "y",
            "--y-score",
            "score",
            "--sensitive",
            "g",
        ],
        ["gate", "{missing}", "--junit", "{out}/missing-dir/j.xml"],
        ["system", "list", "--db", UNREACHABLE_DB],
    ],
)
def test_no_traceback_reaches_stderr(inputs: Inputs, tmp_path: Path, argv: list[str]) -> None:
    names = {k: str(v) for k, v in inputs.files.items()} | {"out": str(tmp_path)}
    args = [a.format(**names) for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **_env(inputs)}, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("error: "), proc.stderr
    assert "s3cret" not in proc.stderr

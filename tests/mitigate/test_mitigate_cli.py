"""``assay mitigate`` as a user runs it: a real process; bad input is one clear line, exit 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import joblib
import pytest
from mitigate_data import biased_split
from rich.console import Console
from typer.testing import CliRunner

from assay import governance as g
from assay.cli._app import app, exit_code_for
from assay.mitigate import mitigate

ASSAY = [sys.executable, "-m", "assay", "mitigate"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mitigate")
    split = biased_split()
    split.train.write_parquet(folder / "train.parquet")
    split.test.write_parquet(folder / "test.parquet")
    joblib.dump(split.model, folder / "model.joblib")
    (folder / "broken.joblib").write_bytes(b"not a pickle at all")
    (folder / "model.txt").write_text("a model?", encoding="utf-8")
    return folder


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    common = [
        "-m", str(folder / "model.joblib"), "--train", str(folder / "train.parquet"),
        "--test", str(folder / "test.parquet"), "--y-true", "y", "--sensitive", "sex",
    ]  # fmt: skip
    return subprocess.run([*ASSAY, *common, *args], capture_output=True, text=True, timeout=300)


BAD_INPUT = [
    (["--method", "magic"], "method (--method) must be one of threshold, exponentiated_gradient"),
    (["--constraint", "parity"], "constraint (--constraint) must be one of demographic_parity"),
    (["--tolerance", "0"], "tolerance (--tolerance) must be in (0, 1]"),
    (["--tolerance", "1.5"], "tolerance (--tolerance) must be in (0, 1]"),
    (["--tolerances", "0.1,2"], "tolerances (--tolerances) must be in (0, 1]"),
    (["--tolerances", "0.1,abc"], "--tolerances: 'abc' is not a number"),
    (["--method", "grid_search", "--grid-size", "1"], "grid_size (--grid-size) must be an integer"),
    (["--sensitive", "race"], "The column 'race' named in sensitive_features is not in the train"),
    (["-m", "missing.joblib"], "model (--model): The model file 'missing.joblib' does not exist"),
    (["-m", "broken.joblib"], "model (--model): 'broken.joblib' is not a model Assay can load"),
    (["-m", "model.txt"], "model (--model): Cannot tell what kind of model 'model.txt' is"),
    (["--train", "nowhere.parquet"], "given as train (--train) does not exist"),
    (["-o", "thresholds.joblib"], "output (--output): the threshold method writes"),
    (["--record"], "--record files the result as evidence"),
    (["--risk", "RISK-1"], "--risk links the recorded evidence to a risk: add --record"),
]


@pytest.mark.parametrize(("args", "complaint"), BAD_INPUT, ids=lambda v: str(v)[:40])
def test_bad_input_is_a_clear_message_and_exit_2(
    files: Path, args: list[str], complaint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # in process (a process per case is slow): the same error boundary as the assay script
    monkeypatch.chdir(files)
    common = [
        "mitigate", "-m", "model.joblib", "--train", "train.parquet", "--test", "test.parquet",
        "--y-true", "y", "--sensitive", "sex", "--features", "x1,x2",
    ]  # fmt: skip
    result = CliRunner().invoke(app, [*common, *args])
    assert result.exception is not None, result.output
    printed = io.StringIO()
    code = exit_code_for(result.exception, Console(file=printed, width=400))
    assert code == 2, (args, printed.getvalue())
    assert complaint in " ".join(printed.getvalue().split())


def test_a_real_process_exits_2_with_one_line(files: Path) -> None:
    proc = run(files, "--tolerance", "7")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: tolerance (--tolerance) must be in (0, 1]")
    assert "Traceback" not in proc.stderr


def test_missing_fairlearn_is_a_clear_exit_2(files: Path) -> None:
    # Python skips a module whose sys.modules entry is None: Fairlearn is absent for this process.
    argv = ["assay", "mitigate", "-m", str(files / "model.joblib"), "--train",
            str(files / "train.parquet"), "--test", str(files / "test.parquet"), "--y-true", "y",
            "--sensitive", "sex"]  # fmt: skip
    code = (
        f"import sys; sys.modules['fairlearn'] = None; sys.argv = {argv!r}; "
        "from assay.cli import main; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'assay-rai[mitigate]'" in " ".join(proc.stderr.split())


def test_a_run_writes_records_and_links_to_a_risk(files: Path, tmp_path: Path) -> None:
    ws = g.init_workspace(tmp_path, user="ada")
    g.add_system(ws, "credit", purpose="Scores applications", owner="ada")
    g.add_model_version(ws, "credit", "1")
    risk = g.add_risk(
        ws, system="credit", title="Selection rates differ by sex", category="mit:1.1",
        likelihood=4, severity=4, owner="ada",
    )  # fmt: skip
    ws.store.dispose()
    out = tmp_path / "out"
    out.mkdir()
    proc = run(
        files, "--features", "x1,x2", "--limit", "0.1", "--tolerances", "0.02,0.05",
        "-o", str(out / "thresholds.json"), "--chart", str(out / "frontier.svg"),
        "--result", str(out / "result.json"), "--json", "--record", "--system", "credit",
        "--model-version", "1", "--risk", risk.ref, "--workspace", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed == json.loads((out / "result.json").read_text("utf-8"))
    split = biased_split()
    library = mitigate(
        split.model, split.train, split.test, y_true="y", sensitive_features="sex",
        features=["x1", "x2"], limit=0.1, tolerances=[0.02, 0.05],
    ).result.to_dict()  # fmt: skip
    for key in ("before", "after", "frontier"):
        assert printed[key] == library[key]
    thresholds = json.loads((out / "thresholds.json").read_text("utf-8"))
    assert thresholds["groups"] == printed["artefact"]["thresholds"]
    assert (out / "frontier.svg").read_text("utf-8").startswith("<svg")
    ws = g.open_workspace(tmp_path)
    (record,) = g.list_evidence(ws, system="credit", kind="mitigation")
    assert g.get_risk(ws, risk.ref).evidence == (record.id,)
    ws.store.dispose()

"""The command line: thin wrappers over the library, files written, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli._app import app
from assay.errors import InputError, SchemaError

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_run_writes_json_and_the_report_folder(files: dict[str, Path], tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "schema: assay.robustness-scenarios/v1\n"
        "limits: {accuracy_drop: 0.05, flip_rate: 0.1}\n"
        "probes:\n"
        "  - kind: gaussian_noise\n    scale: 0.2\n"
        "  - kind: counterfactual\n    feature: sex\n"
    )
    out = tmp_path / "r.json"
    result = runner.invoke(
        app,
        ["robustness", "run", "--model", str(files["model"]), "--data", str(files["data"]),
         "--y-true", "y", "--sensitive", "sex", "--scenarios", str(scenario), "-f", "json",
         "-o", str(out), "--report-dir", str(tmp_path / "report")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["schema"] == "assay.robustness/v1"
    assert [p["kind"] for p in payload["probes"]] == ["gaussian_noise", "counterfactual"]
    assert payload["params"]["limits"] == {"accuracy_drop": 0.05, "flip_rate": 0.1}
    for name in ("robustness.json", "robustness.html", "robustness.md"):
        assert (tmp_path / "report" / name).stat().st_size > 1000


def test_a_run_whose_every_probe_errored_is_an_error(
    files: dict[str, Path], tmp_path: Path
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("probes:\n  - kind: missing_values\n    features: [nope]\n")
    result = runner.invoke(
        app,
        ["robustness", "run", "-m", str(files["model"]), "-d", str(files["data"]), "--y-true",
         "y", "--sensitive", "sex", "--scenarios", str(scenario)],
    )  # fmt: skip
    assert isinstance(result.exception, InputError)
    assert "Nothing was evaluated: all 1 probe errored" in str(result.exception)
    assert "nope" in str(result.exception)


def test_a_partial_run_is_counted_and_fails_strict(files: dict[str, Path], tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "limits: {accuracy_drop: 0.5, flip_rate: 0.9}\n"
        "probes:\n  - kind: missing_values\n    features: [nope]\n"
        "  - kind: gaussian_noise\n    scale: 0.01\n"
    )
    args = ["robustness", "run", "-m", str(files["model"]), "-d", str(files["data"]),
            "--y-true", "y", "--sensitive", "sex", "--scenarios", str(scenario)]  # fmt: skip
    relaxed = runner.invoke(app, args)
    assert relaxed.exit_code == 0, relaxed.output
    assert "1 of 2 probes errored" in relaxed.output
    strict = runner.invoke(app, [*args, "--strict"])
    assert strict.exit_code == 1
    assert "1 of 2 probes errored" in strict.output


def test_not_a_model_is_a_clear_error(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "m.joblib"
    bad.write_text("not a model")
    result = runner.invoke(
        app,
        ["robustness", "run", "-m", str(bad), "-d", str(files["data"]), "--y-true", "y",
         "--sensitive", "sex"],
    )  # fmt: skip
    assert isinstance(result.exception, InputError)
    assert "is not a model Assay can load" in str(result.exception)


def test_check_probes_and_schema_commands(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("probes:\n  - kind: typos\n    fraction: 0.1\n")
    result = runner.invoke(app, ["robustness", "check", str(good)])
    assert result.exit_code == 0
    assert "valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("probes:\n  - kind: typos\n    fraction: 3\n")
    result = runner.invoke(app, ["robustness", "check", str(bad)])
    assert isinstance(result.exception, SchemaError)
    assert "probes[0] (typos).fraction" in str(result.exception)
    listing = runner.invoke(app, ["robustness", "probes"])
    assert listing.exit_code == 0
    assert "counterfactual" in listing.output
    schema = runner.invoke(app, ["robustness", "schema"])
    committed = json.loads((REPO / "docs/schemas/robustness-scenarios.schema.json").read_text())
    assert json.loads(schema.output) == committed


def test_explain_command_json(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "e.json"
    result = runner.invoke(
        app,
        ["explain", "-m", str(files["model"]), "-d", str(files["data"]), "--y-true", "y",
         "--sensitive", "sex", "--n-repeats", "2", "--max-rows", "300", "--no-shap",
         "-f", "json", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["schema"] == "assay.explanation/v1"
    assert payload["shap"]["status"] == "skipped"


@pytest.mark.xdist_group("adult_model")
def test_demo_model_default_probes_and_report(adult: tuple[object, object]) -> None:
    from assay.datasets import ADULT_LABEL, ADULT_POSITIVE_LABEL
    from assay.robustness import render_robustness_html, run_default_probes

    estimator, frame = adult
    result = run_default_probes(
        estimator, frame, y_true=ADULT_LABEL, sensitive=["sex", "race"],
        pos_label=ADULT_POSITIVE_LABEL,
    )  # fmt: skip
    kinds = [p["kind"] for p in result.probes]
    assert len(kinds) == 11
    assert kinds.count("counterfactual") == 2
    assert all(p["status"] == "ok" for p in result.probes), [p["error"] for p in result.probes]
    assert result.to_dict()["model"]["classes"] == [False, True]
    html = render_robustness_html(result.to_dict(), title="Adult income model")
    assert "Counterfactual sex" in html


def test_record_files_the_result_and_the_report_as_evidence(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assay.governance as g

    project = tmp_path / "project"
    ws = g.init_workspace(project, user="ada")
    try:
        g.add_system(ws, "loans", purpose="Scores loan applications", owner="ada")
        g.add_model_version(ws, "loans", "3")
    finally:
        ws.store.dispose()
    monkeypatch.setenv("ASSAY_USER", "ada")
    result = runner.invoke(
        app,
        ["robustness", "run", "-m", str(files["model"]), "-d", str(files["data"]), "--y-true",
         "y", "--sensitive", "sex", "-f", "json", "-o", str(tmp_path / "r.json"), "--record",
         "--system", "loans", "--model-version", "3", "--workspace", str(project)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ws = g.open_workspace(project)
    try:
        records = {r.kind: r for r in g.list_evidence(ws)}
        assert set(records) == {"robustness", "robustness_report"}
        blob = g.evidence_content(ws, records["robustness"].ref).decode("utf-8")
        html = g.evidence_content(ws, records["robustness_report"].ref).decode("utf-8")
    finally:
        ws.store.dispose()
    assert json.loads(blob)["schema"] == "assay.robustness/v1"
    assert html.startswith("<!DOCTYPE html>")


def test_a_threshold_outside_the_scores_is_refused(files: dict[str, Path]) -> None:
    # Scores are probabilities: at 7 every row is negative and every probe would "pass".
    result = runner.invoke(
        app,
        ["robustness", "run", "-m", str(files["model"]), "-d", str(files["data"]), "--y-true",
         "y", "--sensitive", "sex", "--threshold", "7"],
    )  # fmt: skip
    assert isinstance(result.exception, InputError)
    assert "threshold 7 is outside the range of the model's scores" in str(result.exception)


def test_a_model_failing_on_every_row_is_an_error(files: dict[str, Path]) -> None:
    # The pipeline needs five columns; given two, it raises on every row of the baseline.
    result = runner.invoke(
        app,
        ["robustness", "run", "-m", str(files["model"]), "-d", str(files["data"]), "--y-true",
         "y", "--sensitive", "sex", "--features", "x1,x2", "--strict"],
    )  # fmt: skip
    assert isinstance(result.exception, InputError), result.output
    assert "Nothing was evaluated" in str(result.exception)
    assert "failed on every row of the baseline" in str(result.exception)

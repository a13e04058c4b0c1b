"""The gate's JUnit and SARIF outputs load in their consumers' schemas; exit codes end to end."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gate_support import MODEL, SYSTEM, fairness_payload, predictions, write_policy

from assay.gate import run_gate, to_junit, to_markdown, to_sarif

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
SARIF = SCHEMAS / "sarif" / "sarif-schema-2.1.0.json"
JUNIT = SCHEMAS / "junit" / "junit-10.xsd"


def test_schema_files_are_the_documented_ones() -> None:
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    for path in (SARIF, JUNIT):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in readme, path


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("outputs")
    biased = predictions(tmp / "biased.csv", rate_a=0.5, rate_b=0.2)
    fair = predictions(tmp / "fair.csv", rate_a=0.4, rate_b=0.4, n=20000)
    result, _ = run_gate(
        policy=write_policy(tmp / "p.yaml"),
        results=[fairness_payload(biased), fairness_payload(fair)],
    )
    assert len(result.failures) == 1
    return result


def test_sarif_validates_against_sarif_2_1_0(failing: Any) -> None:
    import jsonschema

    log = json.loads(to_sarif(failing))
    jsonschema.Draft4Validator(json.loads(SARIF.read_text(encoding="utf-8"))).validate(log)
    (res,) = log["runs"][0]["results"]
    assert res["ruleId"] == "fairness.demographic_parity_difference"
    assert res["level"] == "error"


def test_junit_validates_against_the_xsd(failing: Any) -> None:
    import xml.etree.ElementTree as ET

    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is in the dev extra")
    text = to_junit(failing)
    xmlschema.XMLSchema(str(JUNIT)).validate(text)
    root = ET.fromstring(text)
    assert root.get("tests") == "2"
    assert root.get("failures") == "1"
    assert len(root.findall(".//testcase/failure")) == 1


def test_markdown_names_rule_value_threshold_and_fix(failing: Any) -> None:
    md = to_markdown(failing)
    assert "Assay gate: FAIL" in md
    assert "`fairness.demographic_parity_difference`" in md
    assert "at most 0.1" in md
    assert "Mitigate" in md


def _assay(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSAY_USER": "ada", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_exit_codes_in_a_subprocess(tmp_path: Path) -> None:

    policy = write_policy(tmp_path / "p.yaml")
    biased = tmp_path / "biased.json"
    biased.write_text(
        json.dumps(fairness_payload(predictions(tmp_path / "b.csv", rate_a=0.5, rate_b=0.2)))
    )
    fair = tmp_path / "fair.json"
    fair.write_text(
        json.dumps(
            fairness_payload(predictions(tmp_path / "f.csv", rate_a=0.4, rate_b=0.4, n=20000))
        )
    )
    ok = _assay("gate", "--policy", str(policy), str(fair), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "gate PASS" in ok.stdout

    out = tmp_path / "out"
    out.mkdir()
    bad = _assay(
        "gate", "--policy", str(policy), str(biased), "--junit", str(out / "j.xml"),
        "--sarif", str(out / "s.sarif"), "--markdown", str(out / "summary.md"), cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1, bad.stdout + bad.stderr
    for word in ("fairness.demographic_parity_difference", "at most 0.1", "Mitigate"):
        assert word in bad.stdout
    assert {p.name for p in out.iterdir()} == {"j.xml", "s.sarif", "summary.md"}

    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"schema": "assay.drift/v1"}')
    err = _assay("gate", "--policy", str(policy), str(wrong), cwd=tmp_path)
    assert err.returncode == 2
    assert "wrong.json" in err.stderr
    assert "assay.fairness/v1" in err.stderr


def _main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """Run the ``assay`` entry point in process (its error boundary included)."""
    from assay.cli import main

    monkeypatch.setattr(sys, "argv", ["assay", *args])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exc:
        main()
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def test_cli_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay import governance as g

    policy = write_policy(tmp_path / "p.yaml")
    biased = tmp_path / "biased.json"
    biased.write_text(
        json.dumps(fairness_payload(predictions(tmp_path / "b.csv", rate_a=0.5, rate_b=0.2)))
    )
    code, out, _ = _main(
        capsys, monkeypatch, "gate", "--policy", str(policy), str(biased), "--json"
    )
    assert code == 1
    assert json.loads(out)["decision"] == "fail"

    typo = tmp_path / "typo.yaml"
    typo.write_text(policy.read_text().replace("demographic_parity_difference", "dpd"))
    code, _, err = _main(capsys, monkeypatch, "gate", "--policy", str(typo), str(biased))
    assert code == 2
    assert "typo.yaml, line 7" in err

    # Governance: an unknown model version is an error, a known one with biased evidence fails.
    ws = g.init_workspace(tmp_path / "proj", user="ada")
    g.add_system(ws, SYSTEM, purpose="Scores loans", owner="ada", risk_tier="high")
    g.add_model_version(ws, SYSTEM, "1.0", name="clf")
    g.record_evaluation(
        ws, json.loads(biased.read_text()), kind="fairness", system=SYSTEM, model_version=MODEL
    )
    ws.close()
    common = ("gate", "--policy", str(policy), "--workspace", str(tmp_path / "proj"))
    code, _, err = _main(capsys, monkeypatch, *common, "--system", SYSTEM, "--model-version", "9")
    assert code == 2
    assert "'9'" in err
    code, out, _ = _main(
        capsys, monkeypatch, *common, "--system", SYSTEM, "--model-version", MODEL, "--record"
    )
    assert code == 1
    assert "recorded the decision as EV-" in out


def test_report_files_go_into_folders_that_do_not_exist_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = write_policy(tmp_path / "p.yaml")
    biased = tmp_path / "biased.json"
    biased.write_text(
        json.dumps(fairness_payload(predictions(tmp_path / "b.csv", rate_a=0.5, rate_b=0.2)))
    )
    out = tmp_path / "out" / "missing-dir"
    code, _, err = _main(
        capsys, monkeypatch, "gate", "--policy", str(policy), str(biased),
        "--junit", str(out / "j.xml"), "--sarif", str(out / "s" / "s.sarif"),
        "--markdown", str(out / "m" / "summary.md"),
    )  # fmt: skip
    assert code == 1, err  # the gate's own decision, not an internal error (3)
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == [
        "j.xml",
        "s.sarif",
        "summary.md",
    ]
    code, _, err = _main(capsys, monkeypatch, "gate", "--policy", str(policy), str(biased),
                         "--junit", str(tmp_path))  # fmt: skip
    assert code == 2
    assert f"--junit '{tmp_path}' is a folder" in err
    code, _, err = _main(capsys, monkeypatch, "gate", "--policy", str(policy), str(tmp_path))
    assert code == 2
    assert "is a folder" in err

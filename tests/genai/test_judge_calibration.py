"""Judges with measured error: calibration counts, the Rogan–Gladen correction and the coverage
of its interval (by simulation), refusing an uninformative judge, a judged run corrected, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from assay.cli import app
from assay.errors import InputError
from assay.genai import (
    JUDGE_CALIBRATION_SCHEMA,
    CallableTarget,
    JudgeCalibration,
    LabelledResponse,
    LLMJudge,
    calibrate_judge,
    correct_rate,
    correct_run,
    load_labelled,
    run_redteam,
)
from assay.result import load_result


def _calibration(tp: int, fn: int, tn: int, fp: int) -> JudgeCalibration:
    return JudgeCalibration({
        "schema": JUDGE_CALIBRATION_SCHEMA, "judge": {},
        "counts": {"tp": tp, "fn": fn, "tn": tn, "fp": fp, "errored": 0},
        "sensitivity": {"value": tp / (tp + fn)}, "specificity": {"value": tn / (tn + fp)},
        "params": {}, "provenance": {},
    })  # fmt: skip


def _scripted_judge(unsafe_responses: set[str]) -> LLMJudge:
    """A judge that calls exactly ``unsafe_responses`` UNSAFE (and errors on 'ERROR')."""

    def judge(messages: list[dict[str, str]]) -> str:
        text = messages[-1]["content"]
        response = text.split("Response:\n", 1)[1].split("\n\nExpected behaviour:", 1)[0]
        if response == "ERROR":
            return "no verdict here"
        return "VERDICT: UNSAFE" if response in unsafe_responses else "VERDICT: SAFE"

    return LLMJudge(CallableTarget(judge))


def test_calibration_counts_by_construction() -> None:
    # 10 unsafe responses, the judge flags 8; 10 safe, it flags 1; one it cannot judge
    rows = [LabelledResponse(f"u{i}", ("q",), f"bad {i}", True) for i in range(10)]
    rows += [LabelledResponse(f"s{i}", ("q",), f"good {i}", False) for i in range(10)]
    rows.append(LabelledResponse("e", ("q",), "ERROR", False))
    flagged = {f"bad {i}" for i in range(8)} | {"good 0"}
    cal = calibrate_judge(_scripted_judge(flagged), rows)
    assert cal.counts == {"tp": 8, "fn": 2, "tn": 9, "fp": 1, "errored": 1}
    assert cal.sensitivity == 0.8
    assert cal.specificity == 0.9
    # Wilson 95% for 8/10: 0.4902-0.9433 (hand: z = 1.95996)
    ci = cal.to_dict()["sensitivity"]["ci"]
    assert (round(ci["low"], 4), round(ci["high"], 4)) == (0.4902, 0.9433)
    assert load_result(cal.to_dict()) == cal


@pytest.mark.parametrize(
    ("flagged", "expected"),
    [(30, (0.3 + 0.9 - 1) / 0.7), (5, 0.0), (95, 1.0), (10, 0.0)],
)
def test_rogan_gladen_by_hand(flagged: int, expected: float) -> None:
    out = correct_rate(flagged, 100, _calibration(80, 20, 90, 10))
    assert out["corrected"]["value"] == pytest.approx(expected)
    assert out["raw"]["value"] == flagged / 100
    assert out["corrected_pass"]["value"] == pytest.approx(1 - expected)
    ci = out["corrected"]["ci"]
    assert 0.0 <= ci["low"] <= out["corrected"]["value"] <= ci["high"] <= 1.0


@pytest.mark.parametrize(("tp", "fn", "tn", "fp"), [(5, 5, 5, 5), (3, 7, 4, 6)])
def test_an_uninformative_judge_is_refused(tp: int, fn: int, tn: int, fp: int) -> None:
    with pytest.raises(InputError, match=r"sensitivity \+ specificity is .* ≤ 1"):
        correct_rate(30, 100, _calibration(tp, fn, tn, fp))


def test_the_corrected_interval_covers_by_simulation() -> None:
    """400 simulated studies: a judge with Se 0.85 and Sp 0.80, calibrated on 60 + 60 labelled
    responses, judges 300 responses of which 30% are truly unsafe. The corrected 95% interval
    must hold the truth about 95% of the time; the raw interval (the judge taken at its word)
    almost never does."""
    rng = np.random.default_rng(20261207)
    se, sp, prevalence, n, n_cal, reps = 0.85, 0.80, 0.30, 300, 60, 400
    apparent = prevalence * se + (1 - prevalence) * (1 - sp)
    covered = raw_covered = 0
    for i in range(reps):
        tp, tn = int(rng.binomial(n_cal, se)), int(rng.binomial(n_cal, sp))
        flagged = int(rng.binomial(n, apparent))
        out = correct_rate(flagged, n, _calibration(tp, n_cal - tp, tn, n_cal - tn),
                           n_draws=2000, random_state=i)  # fmt: skip
        covered += out["corrected"]["ci"]["low"] <= prevalence <= out["corrected"]["ci"]["high"]
        raw_covered += out["raw"]["ci"]["low"] <= prevalence <= out["raw"]["ci"]["high"]
    assert 0.92 <= covered / reps <= 0.99
    assert raw_covered / reps < 0.2


@pytest.fixture(scope="module")
def judged_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("judged") / "run"
    judge = CallableTarget.from_spec("assay.demo.judge:keyword_judge")
    return run_redteam(
        "builtin", "assay.demo.chat_server:weak_assistant", output=folder,
        categories=["dangerous", "toxicity"], judge=judge,
    )  # fmt: skip


def test_a_judged_run_is_corrected_by_the_measured_error(judged_run: Any) -> None:
    cal = calibrate_judge(LLMJudge(CallableTarget.from_spec("assay.demo.judge:keyword_judge")),
                          load_labelled("builtin"))  # fmt: skip
    c = cal.counts
    # the figures docs/genai.md gives for the demo judge on the built-in set
    assert (c["tp"], c["tp"] + c["fn"], c["tn"], c["tn"] + c["fp"]) == (17, 20, 13, 20)
    se, sp = c["tp"] / (c["tp"] + c["fn"]), c["tn"] / (c["tn"] + c["fp"])
    judged = [r for r in judged_run.records if r["outcome"] != "error"]
    q = sum(r["detectors"]["judge"]["hit"] for r in judged) / len(judged)
    figures = correct_run(judged_run, cal)
    overall = figures["overall"]
    assert overall["raw_pass"]["value"] == pytest.approx(1 - q)
    expected = min(max((q + sp - 1) / (se + sp - 1), 0.0), 1.0)
    assert overall["corrected_pass"]["value"] == pytest.approx(1 - expected)
    assert overall["corrected_pass"]["value"] != pytest.approx(overall["raw_pass"]["value"])
    assert {row["category"] for row in figures["by_category"]} == {"dangerous", "toxicity"}


def test_a_run_without_a_judge_is_refused(tmp_path: Path) -> None:
    run = run_redteam("builtin", "assay.demo.chat_server:weak_assistant", output=tmp_path / "r",
                      categories=["dangerous"])  # fmt: skip
    with pytest.raises(InputError, match="was scored by a judge"):
        correct_run(run, _calibration(8, 2, 9, 1))


def test_cli_calibrate_then_correct(judged_run: Any, tmp_path: Path) -> None:
    cal = tmp_path / "cal.json"
    judge = "assay.demo.judge:keyword_judge"
    result = CliRunner().invoke(
        app, ["redteam", "judge-calibrate", "--judge", judge, "-o", str(cal)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(cal.read_text())["schema"] == "assay.judge-calibration/v1"
    args = ["redteam", "judge-correct", str(judged_run.path), "--calibration", str(cal)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert "corrected_pass" in json.loads(result.output)["overall"]
    result = CliRunner().invoke(app, args)
    assert "Corrected pass" in result.output


def test_labelled_set_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_text("- {request: q, response: r, label: maybe}\n")
    with pytest.raises(InputError, match="label 'maybe'; use 'unsafe' or 'safe'"):
        load_labelled(path)
    with pytest.raises(InputError, match="does not exist"):
        load_labelled(tmp_path / "missing.jsonl")


def test_a_judge_that_never_answers_is_refused() -> None:
    rows = [LabelledResponse("e", ("q",), "ERROR", False)]
    with pytest.raises(InputError, match="no verdict on any of the 1 labelled"):
        calibrate_judge(_scripted_judge(set()), rows)

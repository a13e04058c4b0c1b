"""The gate and the evaluation decide with one verdict function, so they never disagree.

Six groups of 1,500 rows whose selection rates spread around a 0.10 limit, over 40 seeds: the
evaluation's own verdicts (limit given at evaluation time) must equal the gate's decisions when the
gate judges (a) the same result, (b) a result recorded without any limit, and (c) a result recorded
at another limit, and (d) the same evaluation recorded in a workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from assay.evaluate import fairness, judge
from assay.gate import run_gate

LIMIT = 0.10
SEEDS = range(40)
POLICY = """\
schema: assay.policy/v1
name: One engine
thresholds:
  fairness:
    demographic_parity_difference: 0.10
    demographic_parity_ratio: 0.80
  min_group_size: 30
  ci_level: 0.95
tiers:
  high:
    checkpoints:
      pre-launch: {}
"""
LIMITS = {"demographic_parity_difference": LIMIT, "demographic_parity_ratio": 0.80}


def _frame(seed: int) -> pl.DataFrame:
    """Six groups of 1,500 rows; the spread of their selection rates is drawn near the limit."""
    rng = np.random.default_rng(seed)
    spread = rng.uniform(0.04, 0.16)
    rates = 0.35 + np.linspace(0.0, spread, 6)
    group = np.repeat(np.array(list("abcdef")), 1500)
    pred = (rng.random(group.size) < np.repeat(rates, 1500)).astype(int)
    y = np.where(rng.random(group.size) < 0.8, pred, 1 - pred)
    return pl.DataFrame({"y": y, "pred": pred, "g": group})


def _evaluate(frame: pl.DataFrame, limits: dict[str, float]) -> dict[str, Any]:
    return fairness(
        frame,
        y_true="y",
        y_pred="pred",
        sensitive_features="g",
        thresholds=limits,
        n_bootstrap=100,
    ).to_dict()


def _gate_labels(policy: Path, payload: dict[str, Any]) -> dict[str, str]:
    result, _ = run_gate(policy=policy, results=[payload])
    labels = {}
    for outcome in result.outcomes:
        label = outcome.message.split(": ", 1)[1].split(";", 1)[0]
        labels[outcome.rule.removeprefix("fairness.")] = label.replace(" ", "_")
    return labels


@pytest.mark.slow
def test_gate_and_evaluation_agree_on_every_seed_and_recording_path(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    seen: set[str] = set()
    for seed in SEEDS:
        frame = _frame(seed)
        judged = _evaluate(frame, LIMITS)
        expected = {v["rule"]: v["verdict"] for v in judged["verdicts"]}
        seen |= set(expected.values())
        without = _evaluate(frame, {})
        other = _evaluate(frame, {"demographic_parity_difference": 0.02})
        for name, payload in (("same", judged), ("no limit", without), ("other", other)):
            assert _gate_labels(policy, payload) == expected, (seed, name)
        # the pure function gives the evaluation's verdicts, reasons and estimates to the letter
        assert judge(without, LIMITS) == judged["verdicts"]
    # near the limit the seeds must land on more than one verdict, or the test proves nothing
    assert {"pass", "fail", "insufficient_evidence"} <= seen


def test_recorded_evidence_is_judged_like_the_evaluation(tmp_path: Path, db_url: str) -> None:
    from assay import governance as g

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    ws = g.init_workspace(tmp_path / "proj", db_url=db_url, user="ada")
    try:
        g.add_system(ws, "loans", purpose="Scores loans", owner="ada", risk_tier="high")
        g.add_model_version(ws, "loans", "1.0", name="clf")
        frame = _frame(3)
        g.record_evaluation(
            ws, _evaluate(frame, {}), kind="fairness", system="loans", model_version="clf@1.0"
        )
        result, _ = run_gate(
            ws, policy=policy, system="loans", model_version="clf@1.0", rules=["fairness"]
        )
        got = {o.rule.removeprefix("fairness."): o.status for o in result.outcomes}
        judged = _evaluate(frame, LIMITS)["verdicts"]
        assert got == {v["rule"]: "pass" if v["verdict"] == "pass" else "fail" for v in judged}
    finally:
        ws.close()


def test_a_result_without_statistics_cannot_pass(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    payload = _evaluate(_frame(0), {})
    for group in payload["groups"]:
        del group["counts"]
    result, _ = run_gate(policy=policy, results=[payload])
    assert not result.passed
    assert "confusion counts" in result.failures[0].message

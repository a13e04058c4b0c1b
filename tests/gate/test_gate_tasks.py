"""The gate judges multiclass and regression results like binary ones: the policy's limits, the
one verdict engine, insufficient evidence never passing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assay.errors import InputError
from assay.evaluate import fairness
from assay.gate import gate_controls, run_gate

POLICY = """\
schema: assay.policy/v1
name: Tasks
thresholds:
  fairness:
    demographic_parity_difference: 0.10
  regression:
    mae_difference: {mae}
    rmse_ratio: 0.8
tiers:
  high:
    checkpoints:
      pre-launch: {{}}
"""


def _policy(tmp: Path, mae: float) -> Path:
    path = tmp / "policy.yaml"
    path.write_text(POLICY.format(mae=mae), encoding="utf-8")
    return path


def _regression(gap: float) -> dict[str, object]:
    rng = np.random.default_rng(4)
    g = np.repeat(["a", "b"], 3000)
    y = rng.normal(10, 2, g.size)
    err = rng.normal(0, 1, g.size) * np.where(g == "a", 1.0, 1.0 + gap)
    return fairness(
        pl.DataFrame({"g": g, "y": y, "p": y + err}),
        y_true="y", y_pred="p", sensitive_features="g", task="regression",
    ).to_dict()  # fmt: skip


def test_a_regression_result_gates_on_the_regression_limits(tmp_path: Path) -> None:
    fair, biased = _regression(0.0), _regression(1.5)
    ok, _ = run_gate(policy=_policy(tmp_path, 0.3), results=[fair])
    assert ok.passed, ok.failures
    assert {o.rule for o in ok.outcomes} == {"fairness.mae_difference", "fairness.rmse_ratio"}
    bad, _ = run_gate(policy=_policy(tmp_path, 0.3), results=[biased])
    assert {o.rule for o in bad.failures} == {"fairness.mae_difference", "fairness.rmse_ratio"}


def test_a_multiclass_result_gates_on_the_rate_limits(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    g = np.repeat(["a", "b"], 4000)
    y = rng.integers(0, 3, g.size)
    # group b is predicted class 2 far more often
    p = np.where(rng.random(g.size) < np.where(g == "a", 0.1, 0.5), 2, y)
    payload = fairness(
        pl.DataFrame({"g": g, "y": y, "p": p}), y_true="y", y_pred="p", sensitive_features="g",
        n_bootstrap=100,
    ).to_dict()  # fmt: skip
    assert payload["task"] == "multiclass"
    result, _ = run_gate(policy=_policy(tmp_path, 0.3), results=[payload])
    (failure,) = result.failures
    assert failure.rule == "fairness.demographic_parity_difference"
    assert "(class 2)" in failure.message


def test_regression_limits_are_checked_in_the_policy(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 0"):
        run_gate(policy=_policy(tmp_path, -1.0), results=[_regression(0.0)])
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.format(mae=0.3).replace("rmse_ratio", "rmse_gap"), encoding="utf-8")
    with pytest.raises(InputError, match="unknown regression threshold 'rmse_gap'"):
        run_gate(policy=bad, results=[_regression(0.0)])


def test_every_regression_limit_is_a_control() -> None:
    from assay.evaluate import regression_threshold_names

    assert {f"fairness.{n}" for n in regression_threshold_names()} < set(gate_controls())

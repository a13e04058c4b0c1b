"""Helpers of the gate tests: biased predictions and a small policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

SYSTEM = "loans"
MODEL = "clf@1.0"


def predictions(path: Path, *, rate_a: float, rate_b: float, n: int = 2000, seed: int = 1) -> Path:
    """Write a CSV of predictions where groups a and b are selected at the given rates."""
    rng = np.random.default_rng(seed)
    group = np.array(["a", "b"] * (n // 2))
    rate = np.where(group == "a", rate_a, rate_b)
    pred = (rng.random(n) < rate).astype(int)
    # Labels agree with the predictions 90% of the time, so every group has both classes.
    y = np.where(rng.random(n) < 0.9, pred, 1 - pred)
    pl.DataFrame({"y": y, "pred": pred, "sex": group}).write_csv(path)
    return path


def fairness_payload(path: Path) -> dict[str, Any]:
    from assay.evaluate import fairness

    return fairness(path, y_true="y", y_pred="pred", sensitive_features="sex").to_dict()


POLICY = """\
schema: assay.policy/v1
name: Test policy
version: "2"
minimum_completeness: {minimum}
thresholds:
  fairness:
    demographic_parity_difference: 0.10
tiers:
  high:
    checkpoints:
      pre-launch:
        approvers: [{approvers}]
        evidence:
          - kind: fairness
            max_age_days: 90
        block_on_open_risks: [high, critical]
"""


def write_policy(path: Path, *, minimum: float = 0.0, approvers: str = "") -> Path:
    path.write_text(POLICY.format(minimum=minimum, approvers=approvers), encoding="utf-8")
    return path

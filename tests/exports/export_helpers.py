"""Helpers of the export tests: a settable clock and a real fairness result that fails a limit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from assay.evaluate import fairness

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
COMMIT = "c" * 40
ARTIFACT = "d" * 64


class Clock:
    """A settable clock for Workspace.clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def adult_like_frame() -> pl.DataFrame:
    """1,000 rows where women are selected at 10% and men at 30% (a demographic parity gap)."""
    rows = []
    for sex, n, selected, positives in (("Female", 400, 40, 60), ("Male", 600, 180, 200)):
        for i in range(n):
            y = 1 if i < positives else 0
            pred = 1 if (i < selected * 3 // 4 or positives <= i < positives + selected // 4) else 0
            rows.append({"sex": sex, "y": y, "pred": pred})
    return pl.DataFrame(rows)


def fairness_result() -> dict[str, Any]:
    """A real ``assay.fairness/v1`` result with one failing and one passing verdict."""
    result = fairness(
        adult_like_frame(),
        y_true="y",
        y_pred="pred",
        sensitive_features="sex",
        thresholds={"demographic_parity_difference": 0.1, "equalized_odds_difference": 0.5},
        n_bootstrap=200,
    )
    return result.to_dict()

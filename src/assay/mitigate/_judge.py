"""Judging a mitigation with Assay's fairness evaluation: the model's decisions before, at the
chosen setting and at every setting of the frontier go through :func:`assay.evaluate.fairness`
(the same engine, intervals and verdicts as ``assay evaluate fairness``); nothing is recomputed
here, only read from its results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from assay.evaluate import fairness
from assay.mitigate._options import MitigationOptions
from assay.mitigate._result import MitigationEstimate, MitigationPoint, MitigationSide

if TYPE_CHECKING:
    from assay.mitigate._fit import Candidate
    from assay.mitigate._run import _Request

__all__ = ["DECISION", "Judge"]

#: The column of decisions (1 favourable) in the frames handed to the fairness evaluation.
DECISION = "decision"


class Judge:
    """Evaluates decisions on the held-out rows and reads accuracy and disparity back."""

    def __init__(
        self, groups: pl.DataFrame, y_test: npt.NDArray[np.int64], req: _Request, disparity: str
    ) -> None:
        self.groups = groups
        self.y_test = y_test
        self.req = req
        self.disparity = disparity
        self.dataset: dict[str, Any] = {}

    def evaluate(self, decisions: npt.NDArray[np.int64], *, verdict: bool) -> dict[str, Any]:
        """The fairness result (as JSON) of ``decisions`` on the held-out rows."""
        req = self.req
        frame = self.groups.with_columns(
            pl.Series(req.y_true, self.y_test), pl.Series(DECISION, decisions)
        )
        limits = {self.disparity: req.limit} if verdict and req.limit is not None else None
        return fairness(
            frame,
            y_true=req.y_true,
            y_pred=DECISION,
            sensitive_features=req.sensitive,
            pos_label=1,
            thresholds=limits,
            min_group_size=req.min_group_size,
            ci_level=req.ci_level,
            n_bootstrap=req.n_bootstrap,
            random_state=req.random_state,
        ).to_dict()

    def side(self, result: dict[str, Any]) -> MitigationSide:
        """Accuracy, selection rate, disparity and its verdict, read from a fairness result."""
        metrics = result["overall"]["metrics"]
        by = self.req.sensitive
        summary: dict[str, Any] = next((s for s in result["summaries"] if s["by"] == by), {})
        verdict = next(
            (v for v in result["verdicts"] if v["rule"] == self.disparity and v["by"] == by), None
        )
        return {
            "accuracy": _estimate(metrics.get("accuracy")),
            "disparity": _estimate(summary.get(self.disparity)),
            "verdict": verdict["verdict"] if verdict is not None else None,
            "selection_rate": _estimate(metrics.get("selection_rate")),
        }

    def judge(
        self, before: npt.NDArray[np.int64], candidates: Sequence[Candidate], chosen: int
    ) -> dict[str, Any]:
        """``before``, ``after``, ``chosen``, ``frontier`` and ``evaluations`` of the payload."""
        before_result = self.evaluate(before, verdict=True)
        after_result = self.evaluate(candidates[chosen].predictions, verdict=True)
        self.dataset = dict(before_result["provenance"].get("dataset") or {})
        results = [
            after_result if i == chosen else self.evaluate(c.predictions, verdict=False)
            for i, c in enumerate(candidates)
        ]
        frontier: list[MitigationPoint] = []
        for i, (c, result) in enumerate(zip(candidates, results, strict=True)):
            side = self.side(result)
            frontier.append(
                {
                    "setting": c.setting,
                    "label": c.label,
                    "chosen": i == chosen,
                    "accuracy": side["accuracy"],
                    "disparity": side["disparity"],
                }
            )
        return {
            "chosen": frontier[chosen],
            "before": self.side(before_result),
            "after": self.side(after_result),
            "frontier": frontier,
            "evaluations": {"before": before_result, "after": after_result},
        }

    def notes(self, options: MitigationOptions) -> list[str]:
        """What a reader should know about how the numbers were made."""
        notes = [
            f"Accuracy and {self.disparity.replace('_', ' ')} are Assay's fairness evaluation of "
            f"the decisions on the {len(self.y_test):,} held-out rows, with "
            f"{self.req.ci_level:.0%} intervals; the mitigation learned only from the training "
            "rows."
        ]
        if options.method in ("threshold", "exponentiated_gradient"):
            notes.append(
                f"The {options.method.replace('_', ' ')} method's decisions are randomized; they "
                f"were drawn with random_state {self.req.random_state}."
            )
        if options.method == "threshold":
            notes.append(
                "The thresholds need each row's group at prediction time: the sensitive feature "
                "becomes an input of the decision."
            )
        return notes


def _estimate(entry: Any) -> MitigationEstimate:
    entry = entry if isinstance(entry, dict) else {}
    return {
        "value": entry.get("value"),
        "ci_low": entry.get("ci_low"),
        "ci_high": entry.get("ci_high"),
    }

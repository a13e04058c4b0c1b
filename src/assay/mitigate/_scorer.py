"""The favourable class's score of any model Assay loads, and a fitted estimator that hands a
precomputed score to Fairlearn, so that ThresholdOptimizer post-processes scikit-learn files,
ONNX graphs, MLflow models and HTTP endpoints alike without refitting or re-scoring them.

Imported only when a mitigation runs: it needs scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin

from assay.errors import InputError
from assay.robustness import Model, ModelCallError

__all__ = ["ScoreColumn", "score_and_decide"]


def score_and_decide(
    model: Model, frame: pl.DataFrame, positive: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The model's score for the favourable class ``positive`` on every row of ``frame`` (its
    0/1 decision when the model gives labels only), and its decision (1 when the label it
    predicts is ``positive``), scored ``model.batch_size`` rows a call."""
    step = max(1, model.batch_size)
    parts = [_score(model, frame.slice(i, step), positive) for i in range(0, frame.height, step)]
    if not parts:
        return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _score(
    model: Model, frame: pl.DataFrame, positive: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    try:
        out = model.predict_batch(frame)
    except ModelCallError as exc:
        raise InputError(
            f"The model could not score the rows: {exc}. Check that it loads and that the data "
            "has its input columns with the types it was trained on."
        ) from None
    labels = np.asarray(out.label, dtype=object)
    decision = np.array([v == positive for v in labels], dtype=np.int64)
    if out.score is None:
        return decision.astype(np.float64), decision
    classes = out.classes or (0, 1)
    score = np.asarray(out.score, dtype=np.float64)
    if classes[0] == positive and classes[1] != positive:
        score = 1.0 - score
    return score, decision


class ScoreColumn(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A prefit estimator whose ``predict`` is the first column of its input: the model's score,
    computed once by :func:`score_and_decide`."""

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, x: Any, y: Any) -> ScoreColumn:
        """Nothing to fit: the score is the model's, as it was trained."""
        return self

    def predict(self, x: Any) -> npt.NDArray[np.float64]:
        """The score column of ``x`` (a pandas frame or a 2-D array)."""
        return np.asarray(x, dtype=np.float64)[:, 0]

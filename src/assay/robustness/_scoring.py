"""Scoring in batches, and the labels and groups the scores are compared on.

The model scores whole batches; when a batch fails, it is split in halves (at most
``MAX_BISECT_CALLS`` extra calls) to count the rows the model fails on, so that a probe can say
how many rows broke the model instead of only that it broke. A timeout is never bisected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from assay.errors import InputError
from assay.evaluate import Source, check_group_count, open_frame
from assay.robustness._models import Model, ModelCallError, Predictions

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


#: At most this many rows are bisected to find the rows a model fails on.
MAX_BISECT_CALLS = 64


MISSING_GROUP = "(missing)"


@dataclass
class Scored:
    """A model's decisions (and scores) for some rows, and the rows it failed on."""

    decision: npt.NDArray[np.int8]
    score: FloatArray | None
    failed: BoolArray
    error: str | None
    timeout: bool = False


class _Scorer:
    """Scores frames in batches; finds the failing rows of a batch by bisection."""

    def __init__(self, model: Model, positive: Any, threshold: float | None) -> None:
        self.model = model
        self.positive = positive
        self.threshold = threshold
        self.seconds = 0.0
        self.rows = 0
        self.calls = 0

    def _call(self, frame: pl.DataFrame) -> Predictions:
        start = time.perf_counter()
        try:
            return self.model.predict_batch(frame)
        finally:
            self.seconds += time.perf_counter() - start
            self.rows += frame.height
            self.calls += 1

    def score(self, frame: pl.DataFrame) -> Scored:
        n = frame.height
        decision = np.zeros(n, dtype=np.int8)
        score: FloatArray | None = None
        failed = np.zeros(n, dtype=bool)
        first_error: str | None = None
        budget = [MAX_BISECT_CALLS]
        size = max(1, self.model.batch_size)
        for start in range(0, n, size):
            stop = min(n, start + size)
            for lo, hi, pred, err in self._batch(frame, start, stop, budget):
                if pred is None:
                    failed[lo:hi] = True
                    if first_error is None and err is not None:
                        first_error = str(err)
                    if err is not None and err.timeout:
                        failed[lo:] = True
                        return Scored(decision, score, failed, first_error, timeout=True)
                    continue
                d, s = self._decide(pred)
                decision[lo:hi] = d
                if s is not None:
                    if score is None:
                        score = np.full(n, np.nan)
                    score[lo:hi] = s
        return Scored(decision, score, failed, first_error)

    def _batch(
        self, frame: pl.DataFrame, lo: int, hi: int, budget: list[int]
    ) -> list[tuple[int, int, Predictions | None, ModelCallError | None]]:
        try:
            pred = self._call(frame[lo:hi])
            self._check(pred, hi - lo)
            return [(lo, hi, pred, None)]
        except ModelCallError as err:
            if err.timeout or hi - lo == 1 or budget[0] <= 0:
                return [(lo, hi, None, err)]
            budget[0] -= 1
            mid = (lo + hi) // 2
            return self._batch(frame, lo, mid, budget) + self._batch(frame, mid, hi, budget)

    def _check(self, pred: Predictions, rows: int) -> None:
        for name, arr in (("scores", pred.score), ("labels", pred.label)):
            if arr is not None and len(arr) != rows:
                raise ModelCallError(f"the model returned {len(arr)} {name} for {rows} rows")
        if pred.score is None and pred.label is None:
            raise ModelCallError("the model returned neither scores nor labels")
        if pred.score is not None and not np.all(np.isfinite(pred.score)):
            raise ModelCallError("the model returned NaN or infinite scores")

    def _decide(self, pred: Predictions) -> tuple[npt.NDArray[np.int8], FloatArray | None]:
        if pred.score is not None:
            score = pred.score
            classes = pred.classes
            if classes is not None and len(classes) == 2 and _same(classes[0], self.positive):
                score = 1.0 - score
            threshold = 0.5 if self.threshold is None else self.threshold
            return (score >= threshold).astype(np.int8), score
        assert pred.label is not None
        labels = np.asarray(pred.label, dtype=object)
        hit = np.asarray(labels == self.positive, dtype=bool)
        if not hit.any():
            hit = labels.astype(str) == str(_plain(self.positive))
        return hit.astype(np.int8), None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.generic):
        a = a.item()
    if isinstance(b, np.generic):
        b = b.item()
    return bool(a == b) or str(a) == str(b)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _positive(labels: pl.Series, pos_label: Any) -> Any:
    values = labels.unique().sort().to_list()
    if len(values) > 2:
        shown = ", ".join(map(repr, values[:10]))
        raise InputError(
            f"y_true '{labels.name}' has {len(values)} distinct values ({shown}); robustness "
            "probes need binary labels."
        )
    if pos_label is not None:
        for v in values:
            if _same(v, pos_label):
                return v
        raise InputError(
            f"pos_label {pos_label!r} is not a value of '{labels.name}'; the values are "
            f"{', '.join(map(repr, values))}."
        )
    if all(isinstance(v, bool) for v in values):
        return True
    if all(isinstance(v, int | float) and v in (0, 1) for v in values):
        return 1
    raise InputError(
        f"The labels of '{labels.name}' are {', '.join(map(repr, values))}, not 0/1: say which one "
        "is the favourable outcome with pos_label (on the command line: --pos-label)."
    )


def _equals(labels: pl.Series, value: Any) -> BoolArray:
    """Rows whose label is ``value`` (a value taken from the column itself)."""
    return np.asarray((labels == value).fill_null(False).to_numpy(), dtype=bool)


def _model_positive(model: Model, positive: Any, given: Any) -> Any:
    classes = model.info.classes
    if given is not None:
        if classes is not None and not any(_same(c, given) for c in classes):
            raise InputError(
                f"model_pos_label {given!r} is not one of the model's classes {list(classes)}."
            )
        return next((c for c in classes if _same(c, given)), given) if classes else given
    if classes is None:
        return positive
    for c in classes:
        if _same(c, positive):
            return c
    if all(isinstance(c, bool | np.bool_) for c in classes):
        return True
    if all(_same(c, 0) or _same(c, 1) for c in classes):
        return next(c for c in classes if _same(c, 1))
    raise InputError(
        f"The model's classes are {list(classes)} and the favourable label is {positive!r}; say "
        "which class is favourable with model_pos_label (on the command line: "
        "--model-pos-label)."
    )


def read_frame(data: Any, y_true: str, sens: list[str]) -> tuple[Source, pl.DataFrame]:
    """The data as a Polars frame, with its label and sensitive columns, rows and labels checked."""
    source = open_frame(data)
    try:
        frame = source.frame.collect(backend="polars").to_native()
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None
    assert isinstance(frame, pl.DataFrame)
    listing = ", ".join(frame.columns[:40])
    for role, col in [("y_true", y_true)] + [("sensitive_features", s) for s in sens]:
        if col not in frame.columns:
            raise InputError(
                f"The column '{col}' named in {role} is not in the data. Columns are: {listing}."
            )
    if frame.height == 0:
        raise InputError("The data has no rows (only a header?); there is nothing to probe.")
    if frame.get_column(y_true).null_count():
        raise InputError(
            f"The column '{y_true}' has missing labels; drop those rows before probing."
        )
    return source, frame


def _group_frame(frame: pl.DataFrame, sens: list[str]) -> pl.DataFrame:
    """The sensitive columns as they are reported: missing values form their own group."""
    cols = []
    for s in sens:
        col = frame.get_column(s)
        check_group_count(s, col.n_unique())
        if col.null_count():
            col = col.cast(pl.String).fill_null(MISSING_GROUP)
        cols.append(col)
    return pl.DataFrame(cols)

"""The checks of :func:`assay.evaluate.fairness`'s options, columns and data.

Each fails with an :class:`~assay.errors.InputError` that names the argument or column and says
how to fix it.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw

from assay.errors import InputError
from assay.evaluate import _aggregate as agg
from assay.evaluate._frame import has_no_rows
from assay.evaluate._group_limit import check_group_count

NO_ROWS = "The data has no rows (only a header?); there is nothing to evaluate."


def check_options(
    task: str,
    y_pred: str | None,
    y_score: str | None,
    features: list[str],
    ci_level: float,
    n_bootstrap: int,
    min_group_size: int,
    score_bins: int | str,
    calibration_bins: int,
) -> None:
    """The options that do not depend on the data: task, columns named, levels, bins."""
    if task not in ("classification", "multiclass", "regression"):
        raise InputError(
            f"task must be 'classification', 'multiclass' or 'regression', got {task!r}."
        )
    if task == "multiclass" and (y_pred is None or y_score is not None):
        raise InputError(
            "A multiclass evaluation needs y_pred (the predicted class of each row) and no "
            "y_score: scores and probabilities are for binary classification. Take the most "
            "probable class per row (argmax) and pass that column as y_pred."
        )
    if task == "regression":
        if y_pred is None or y_score is not None:
            raise InputError("Regression needs y_pred (the predicted values) and no y_score.")
    elif (y_pred is None) == (y_score is None):
        raise InputError(
            "Give exactly one of y_pred (predicted labels) or y_score (scores, with threshold)."
        )
    if not features:
        raise InputError("sensitive_features is empty: name at least one column to group by.")
    if len(set(features)) != len(features):
        raise InputError(f"sensitive_features names a column twice: {features}.")
    if not 0.5 <= ci_level < 1:
        raise InputError(f"ci_level must be in [0.5, 1), got {ci_level}.")
    if n_bootstrap < 100:
        raise InputError(
            f"n_bootstrap must be at least 100 for stable intervals, got {n_bootstrap}."
        )
    if min_group_size < 1:
        raise InputError(f"min_group_size must be at least 1, got {min_group_size}.")
    if isinstance(score_bins, int) and (score_bins < 100 or score_bins % 100):
        raise InputError(
            f"score_bins must be a multiple of 100 (for exact sweep points), got {score_bins}."
        )
    if isinstance(score_bins, str) and score_bins not in ("auto", "exact"):
        raise InputError(
            f"score_bins must be 'auto', 'exact' or a multiple of 100, got {score_bins!r}."
        )
    if calibration_bins < 2 or 1000 % calibration_bins:
        raise InputError(
            f"calibration_bins must divide 1000 (5, 10, 20, ...), got {calibration_bins}."
        )


def read_schema(frame: nw.LazyFrame[Any]) -> dict[str, Any]:
    """The data's column types, or a message that says why the data could not be read."""
    try:
        return dict(frame.collect_schema())
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None


def check_columns(
    schema: dict[str, Any],
    y_true: str,
    y_pred: str | None,
    y_score: str | None,
    weight: str | None,
    features: list[str],
    frame: nw.LazyFrame[Any],
) -> None:
    """Every column named is in the data, in one role only; scores and weights are numbers."""
    named = [
        ("y_true", y_true),
        ("y_pred", y_pred),
        ("y_score", y_score),
        ("sample_weight", weight),
    ]
    named += [("sensitive_features", f) for f in features]
    listing = ", ".join(list(schema)[:40]) + (" ..." if len(schema) > 40 else "")
    for role, col in named:
        if col is not None and col not in schema:
            raise InputError(
                f"The column '{col}' named in {role} is not in the data. Columns are: {listing}."
            )
    used = [c for _, c in named[:4] if c is not None]
    if len(set(used)) != len(used):
        roles = ", ".join(f"{role}='{col}'" for role, col in named[:4] if col is not None)
        raise InputError(f"One column is named for two roles ({roles}); each needs its own column.")
    for f in features:
        if f in used:
            raise InputError(
                f"'{f}' is used both as a sensitive feature and as a label, score or weight column."
            )
    for role, col in (("y_score", y_score), ("sample_weight", weight)):
        if col is not None and not schema[col].is_numeric():
            if has_no_rows(frame):  # a header-only CSV reads as text: say what is wrong
                raise InputError(NO_ROWS)
            raise InputError(f"{role} '{col}' must be numeric; it is {schema[col]}.")


def check_profile(prof: agg.Profile, features: list[str], weight: str | None) -> None:
    """The data has rows, no missing values, few enough groups and no negative weights."""
    if prof.n_rows == 0:
        raise InputError(NO_ROWS)
    for col, count in prof.nulls.items():
        nans = prof.nans.get(col, 0)
        if count or nans:
            raise InputError(
                f"The column '{col}' has {count + nans} missing value(s) (null or NaN) in "
                f"{prof.n_rows} rows. Drop or impute those rows before evaluating."
            )
    for f in features:
        check_group_count(f, prof.n_unique[f])
    if weight is not None and prof.weight_min is not None and prof.weight_min < 0:
        raise InputError(f"sample_weight '{weight}' has negative values; weights must be >= 0.")


def check_scores(scores: agg.ScoreProfile, y_score: str) -> None:
    """The data has rows and no missing scores."""
    if scores.n_rows == 0:
        raise InputError(NO_ROWS)
    if scores.nulls or scores.nans:
        raise InputError(
            f"The column '{y_score}' has {scores.nulls + scores.nans} missing value(s) (null or "
            f"NaN) in {scores.n_rows} rows. Drop or impute those rows before evaluating."
        )

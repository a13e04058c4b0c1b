"""``assay.evaluate.fairness``: subgroup performance and fairness with uncertainty and verdicts."""

from __future__ import annotations

import hashlib
import io
import platform
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any, Literal

import narwhals as nw
import numpy as np
import polars as pl

from assay._version import __version__
from assay.errors import InputError
from assay.evaluate import _aggregate as agg
from assay.evaluate._disparity import disparity, estimate, four_fifths, summaries
from assay.evaluate._frame import (
    COLUMNS_DIGEST_OF,
    Source,
    columns_digest,
    file_digest,
    has_no_rows,
    open_frame,
    start_digest,
)
from assay.evaluate._group_limit import check_group_count
from assay.evaluate._groups import (
    CELLS,
    Confusion,
    Grouping,
    confusion,
    group_dict,
    grouping_of,
    json_value,
    level_table,
)
from assay.evaluate._limits import validate_thresholds
from assay.evaluate._metrics import MetricColumn, confusion_columns
from assay.evaluate._regression import regression_columns
from assay.evaluate._result import SCHEMA, FairnessPayload, FairnessResult
from assay.evaluate._scores import ScoreScale, score_columns
from assay.evaluate._stats import z_value
from assay.evaluate._sweep import sweep, threshold_grid
from assay.evaluate._threshold import check_threshold
from assay.evaluate._verdicts import judge

#: Scores with at most this many distinct values are kept exact (AUC equals scikit-learn's).
EXACT_SCORE_LEVELS = 20_000
#: Binned scores use this many equal-width bins unless told otherwise.
DEFAULT_SCORE_BINS = 1000
NO_ROWS = "The data has no rows (only a header?); there is nothing to evaluate."


def fairness(
    data: Any,
    *,
    y_true: str,
    sensitive_features: str | Sequence[str],
    y_pred: str | None = None,
    y_score: str | None = None,
    threshold: float | None = None,
    pos_label: Any = None,
    sample_weight: str | None = None,
    task: Literal["classification", "regression"] = "classification",
    reference_group: Any = None,
    min_group_size: int = 30,
    thresholds: Mapping[str, float] | None = None,
    ci_level: float = 0.95,
    n_bootstrap: int = 1000,
    score_bins: int | Literal["auto", "exact"] = "auto",
    calibration_bins: int = 10,
    random_state: int = 0,
    dataset_digest: str | None = None,
) -> FairnessResult:
    """Evaluate a model's performance and fairness by group, with intervals and verdicts.

    One grouped pass over the rows (run by the engine that holds the data) gathers confusion cells
    and score histograms per intersectional group; every metric, marginal group, interval,
    disparity, verdict and threshold sweep is derived from that small table.

    Parameters
    ----------
    data
        A path (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``; scanned lazily with Polars) or any
        frame narwhals accepts: pandas, Polars (eager or lazy), pyarrow, DuckDB, PySpark.
    y_true
        Column of true labels (classification) or targets (regression).
    sensitive_features
        Column(s) to group by. Each is evaluated alone and, when there are several, all together.
        Missing values form their own group.
    y_pred, y_score
        Column of predicted labels, or of scores; with scores a row is predicted positive when
        ``y_score >= threshold``. Give exactly one (regression: ``y_pred``).
    threshold
        Decision threshold for ``y_score``; defaults to 0.5 when the scores lie in [0, 1].
    pos_label
        The positive label; needed unless the labels are 0/1 or booleans.
    sample_weight
        Column of non-negative row weights.
    task
        ``"classification"`` (binary) or ``"regression"``.
    reference_group
        Group the others are compared with: a value (one feature) or ``{feature: value}``;
        defaults to the largest group of each grouping.
    min_group_size
        Groups with fewer rows are flagged ``small`` and cannot support a verdict.
    thresholds
        Limits that produce verdicts, for example ``{"demographic_parity_difference": 0.1,
        "equalized_odds_ratio": 0.8}``; see :func:`assay.evaluate.threshold_names`.
    ci_level
        Confidence level of every interval, and ``1 − α`` of every verdict.
    n_bootstrap
        Bootstrap replicates for metrics that are not single proportions.
    score_bins
        ``"auto"`` keeps scores exact up to 20,000 distinct values and otherwise uses 1,000 bins;
        ``"exact"`` always keeps them exact; an integer (a multiple of 100) always bins.
    calibration_bins
        Equal-width bins of [0, 1] for the expected calibration error and reliability curves.
    random_state
        Seed of the bootstrap; results are identical for identical data and seed.
    dataset_digest
        A digest to record instead of the one Assay computes.

    Returns
    -------
    FairnessResult

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate import fairness
    >>> df = pl.DataFrame({"y": [1, 0, 1, 0, 1, 0], "p": [1, 0, 0, 0, 1, 1],
    ...                    "sex": ["f", "f", "f", "m", "m", "m"]})
    >>> result = fairness(df, y_true="y", y_pred="p", sensitive_features="sex", min_group_size=1)
    >>> result.by_group()["selection_rate"].to_list()
    [0.3333333333333333, 0.6666666666666666]
    >>> round(result.difference()["selection_rate"], 6)
    0.333333
    """
    features = (
        [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features)
    )
    _check_options(
        task,
        y_pred,
        y_score,
        features,
        ci_level,
        n_bootstrap,
        min_group_size,
        score_bins,
        calibration_bins,
    )
    limits = dict(thresholds or {})
    validate_thresholds(limits)
    if task == "regression" and limits:
        raise InputError(
            "Thresholds apply to classification rates; a regression result has no verdicts."
        )
    source = open_frame(data)
    frame = source.frame
    schema = _schema(frame)
    _check_columns(schema, y_true, y_pred, y_score, sample_weight, features, frame)

    columns_read = [c for c in [y_true, y_pred, y_score, sample_weight, *features] if c]
    pending_digest = start_digest(source, columns_read) if dataset_digest is None else None
    float_cols = {c for c, dt in schema.items() if dt.is_float()}
    rng = np.random.default_rng(random_state)
    z = z_value(ci_level)
    notes: list[str] = []

    params: dict[str, Any] = {
        "task": task,
        "y_true": y_true,
        "y_pred": y_pred,
        "y_score": y_score,
        "sensitive_features": features,
        "sample_weight": sample_weight,
        "min_group_size": min_group_size,
        "ci_level": ci_level,
        "n_bootstrap": n_bootstrap,
        "thresholds": limits,
        "random_state": random_state,
    }

    scale: ScoreScale | None = None
    score_range = (0.0, 1.0)
    n_bins = 0
    if task == "regression":
        for col in (y_true, y_pred):
            assert col is not None
            if not schema[col].is_numeric():
                raise InputError(f"Regression needs numeric columns; '{col}' is {schema[col]}.")
        assert y_pred is not None
        stats = agg.regression_statistics(
            frame,
            keys=features,
            y_true=y_true,
            y_pred=y_pred,
            weight=sample_weight,
            float_columns=float_cols,
        )
        checks = {
            col: (f"__null_{i}", f"__nan_{i}" if col in float_cols else None)
            for i, col in enumerate((y_true, y_pred))
        }
        prof = agg.profile_of(
            stats,
            keyed=[],
            summed=checks,
            features=features,
            float_columns=float_cols,
            weight=sample_weight,
        )
        _check_profile(prof, features, sample_weight)
        stats = stats.drop(
            [c for pair in checks.values() for c in pair if c is not None]
            + [c for c in (agg.WNULL, agg.WNAN, agg.WMIN) if c in stats.columns]
        )
    else:
        score_params: dict[str, Any] = {}
        if y_score is not None:
            score_prof = agg.score_profile(
                frame,
                y_score,
                is_float=y_score in float_cols,
                level_limit=EXACT_SCORE_LEVELS if score_bins == "auto" else None,
            )
            _check_scores(score_prof, y_score)
            threshold, scale, n_bins = _score_setup(
                score_prof, y_score, threshold, score_bins, calibration_bins
            )
            score_range = (score_prof.low or 0.0, score_prof.high or 1.0)
            score_params = {
                "threshold": threshold,
                "score_levels": "exact" if scale.exact else f"{n_bins} equal-width bins",
                "calibration_bins": calibration_bins,
            }
        label_cols = [y_true, *([y_pred] if y_pred else [])]
        raw = agg.classification_statistics(
            frame,
            keys=features,
            y_true=y_true,
            y_pred=y_pred,
            y_score=y_score,
            threshold=threshold,
            level=None if scale is None or scale.exact else (scale.low, scale.high, n_bins),
            weight=sample_weight,
            weight_is_float=sample_weight in float_cols,
        )
        prof = agg.profile_of(
            raw,
            keyed=label_cols,
            summed={},
            features=features,
            float_columns=float_cols,
            weight=sample_weight,
        )
        _check_profile(prof, features, sample_weight)
        positive, pred_positive = _resolve_labels(raw, prof, schema, y_true, y_pred, pos_label)
        params["pos_label"] = json_value(positive)
        params |= score_params
        stats = agg.relabel(
            raw,
            keys=features,
            y_true=y_true,
            pos_label=positive,
            y_pred=y_pred,
            pred_pos_label=pred_positive,
        )

    groupings = [Grouping((), [()])]
    groupings += [grouping_of(stats, (f,)) for f in features]
    if len(features) > 1:
        groupings.append(grouping_of(stats, tuple(features)))
    references = _references(groupings, stats, reference_group, features)
    params["reference_group"] = json_value(reference_group)

    groups_out: list[dict[str, Any]] = []
    overall: dict[str, Any] = {}
    disparities_out: list[dict[str, Any]] = []
    summaries_out: list[dict[str, Any]] = []
    four_fifths_out: list[dict[str, Any]] = []
    calibration_out: list[dict[str, Any]] = []
    sweeps_out: list[dict[str, Any]] = []
    levels = (
        np.sort(stats.get_column(agg.LEVEL).unique().to_numpy().astype(np.float64))
        if scale
        else None
    )
    auc_bound = 0.0

    for grouping in groupings:
        conf: Confusion | None = None
        if task == "regression":
            rows, columns = regression_columns(stats, grouping, z)
        else:
            conf = confusion(stats, grouping)
            rows = conf.n
            columns = confusion_columns(conf, z, ci_level, n_bootstrap, rng)
            if scale is not None and levels is not None:
                tab = level_table(stats, grouping, levels)
                scores = score_columns(
                    tab, scale, ci_level=ci_level, n_bootstrap=n_bootstrap, rng=rng
                )
                columns |= scores.columns
                for g, bins in enumerate(scores.reliability):
                    calibration_out.append(
                        {
                            "by": list(grouping.features),
                            "group": group_dict(grouping, g),
                            "bins": bins,
                        }
                    )
                sweeps_out.append(
                    {"by": list(grouping.features)}
                    | sweep(
                        tab,
                        scale,
                        threshold_grid(scale, *score_range),
                        n_bins,
                    )
                )
                if not scale.exact:
                    auc_bound = max(auc_bound, _auc_tie_bound(tab.pos, tab.neg))
        entries = _group_entries(grouping, rows, columns, min_group_size, conf, sample_weight)
        if not grouping.features:
            overall = entries[0] | {"by": []}
            continue
        groups_out += entries
        small = [e for e in entries if e["small"]]
        if small:
            names = "; ".join(_label(e["group"]) for e in small)
            notes.append(
                f"{len(small)} group(s) by {grouping.label} have fewer than {min_group_size} rows "
                f"and are marked small: {names}."
            )
        if len(grouping) < 2:
            notes.append(
                f"'{grouping.label}' has a single group in the data, so it has no disparities."
            )
        by_metric = {
            name: disparity(col, grouping, references[grouping.features], z=z, ci_level=ci_level)
            for name, col in columns.items()
        }
        disparities_out += by_metric.values()
        if task == "classification":
            summary = summaries(by_metric, list(grouping.features))
            summaries_out.append(summary)
            four_fifths_out.append(four_fifths(columns["selection_rate"], grouping, z))

    if auc_bound > 0:
        notes.append(
            f"Scores were binned into {n_bins} equal-width bins; ROC AUC and average precision "
            "treat "
            f"scores within a bin as ties, which can move ROC AUC by at most {auc_bound:.2g}."
        )
    if any(v is None for g in groupings[1:] for key in g.keys for v in key):
        notes.append(
            "Rows with a missing sensitive value are kept as their own group, shown as null."
        )

    payload: FairnessPayload = {
        "schema": SCHEMA,
        "task": task,
        "n": int(prof.n_rows),
        "groups": groups_out,
        "overall": overall,
        "disparities": disparities_out,
        "summaries": summaries_out,
        "four_fifths": four_fifths_out,
        "verdicts": [],
        "calibration": calibration_out,
        "threshold_sweep": sweeps_out,
        "notes": notes,
        "methods": _methods(task, scale, ci_level, n_bootstrap, calibration_bins),
        "params": params,
        "provenance": _provenance(
            source, stats, columns_read, dataset_digest, pending_digest, random_state
        ),
    }
    # one verdict engine: the evaluation judges its own stored statistics, as the gate does
    payload["verdicts"] = judge(payload, limits)
    return FairnessResult(payload)


def _check_options(
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
    if task not in ("classification", "regression"):
        raise InputError(f"task must be 'classification' or 'regression', got {task!r}.")
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


def _schema(frame: nw.LazyFrame[Any]) -> dict[str, Any]:
    try:
        return dict(frame.collect_schema())
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None


def _check_columns(
    schema: dict[str, Any],
    y_true: str,
    y_pred: str | None,
    y_score: str | None,
    weight: str | None,
    features: list[str],
    frame: nw.LazyFrame[Any],
) -> None:
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


def _check_profile(prof: agg.Profile, features: list[str], weight: str | None) -> None:
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


def _check_scores(scores: agg.ScoreProfile, y_score: str) -> None:
    if scores.n_rows == 0:
        raise InputError(NO_ROWS)
    if scores.nulls or scores.nans:
        raise InputError(
            f"The column '{y_score}' has {scores.nulls + scores.nans} missing value(s) (null or "
            f"NaN) in {scores.n_rows} rows. Drop or impute those rows before evaluating."
        )


def _coerce(value: Any, like: list[Any]) -> Any:
    """Match a label given as text (from the command line) to the column's value type."""
    if not isinstance(value, str) or not like or all(isinstance(v, str) for v in like):
        return value
    if all(isinstance(v, bool) for v in like):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def _resolve_labels(
    table: pl.DataFrame,
    prof: agg.Profile,
    schema: dict[str, Any],
    y_true: str,
    y_pred: str | None,
    pos_label: Any,
) -> tuple[Any, Any]:
    """The positive label for y_true and the value of y_pred that means 'predicted positive'."""
    if prof.n_unique[y_true] > 2:
        values = table.get_column(y_true)
        shown = agg.sorted_values(values)[:10] if prof.n_unique[y_true] <= 50 else []
        raise InputError(
            f"y_true '{y_true}' has {prof.n_unique[y_true]} distinct values"
            + (
                f" ({', '.join(map(repr, shown))}{', ...' if prof.n_unique[y_true] > 10 else ''})"
                if shown
                else ""
            )
            + "; fairness evaluation needs binary labels. Map them to two classes, or use "
            "task='regression' for a numeric target."
        )
    true_values = agg.sorted_values(table.get_column(y_true))
    pred_values: list[Any] = []
    if y_pred is not None:
        if prof.n_unique[y_pred] > 2:
            raise InputError(
                f"y_pred '{y_pred}' has {prof.n_unique[y_pred]} distinct values; it must hold "
                "predicted "
                "labels. For scores or probabilities use y_score with a threshold."
            )
        pred_values = agg.sorted_values(table.get_column(y_pred))
    labels = list(dict.fromkeys(true_values + pred_values))
    if pos_label is None:
        if all(isinstance(v, bool) for v in labels):
            positive: Any = True
        elif all(
            isinstance(v, int | float) and not isinstance(v, bool) and v in (0, 1) for v in labels
        ):
            positive = 1
        else:
            raise InputError(
                f"The labels of '{y_true}' are {', '.join(map(repr, true_values))}, not 0/1: say "
                "which "
                "one is the positive outcome with pos_label (on the command line: --pos-label)."
            )
    else:
        positive = _coerce(pos_label, true_values)
        if positive not in labels:
            raise InputError(
                f"pos_label {pos_label!r} is not a value of '{y_true}'"
                + (f" or '{y_pred}'" if y_pred else "")
                + f"; the values are {', '.join(map(repr, labels))}."
            )
    if len(labels) > 2:
        raise InputError(
            f"y_true '{y_true}' and y_pred '{y_pred}' together hold {len(labels)} different labels "
            f"({', '.join(map(repr, labels))}); both must use the same two labels."
        )
    if (
        y_pred is not None
        and schema[y_true] != schema[y_pred]
        and not (schema[y_true].is_numeric() and schema[y_pred].is_numeric())
    ):
        raise InputError(
            f"y_true '{y_true}' is {schema[y_true]} but y_pred '{y_pred}' is {schema[y_pred]}; "
            "use the same label type."
        )
    return positive, positive


def _score_setup(
    scores: agg.ScoreProfile,
    y_score: str,
    threshold: float | None,
    score_bins: int | str,
    calibration_bins: int,
) -> tuple[float, ScoreScale, int]:
    lo, hi = scores.low, scores.high
    assert lo is not None and hi is not None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise InputError(f"y_score '{y_score}' has infinite values; scores must be finite numbers.")
    if lo == hi:
        raise InputError(
            f"y_score '{y_score}' is constant ({lo}); it cannot rank or separate anyone."
        )
    probabilities = lo >= 0.0 and hi <= 1.0
    if threshold is None:
        if not probabilities:
            raise InputError(
                f"y_score '{y_score}' ranges over [{lo:.4g}, {hi:.4g}], not [0, 1]; give the "
                "decision threshold explicitly (threshold=..., on the command line --threshold)."
            )
        threshold = 0.5
    threshold = check_threshold(threshold, lo, hi, scores=f"y_score '{y_score}'")
    exact = score_bins == "exact" or (score_bins == "auto" and bool(scores.few_levels))
    n_bins = score_bins if isinstance(score_bins, int) else DEFAULT_SCORE_BINS
    low, high = (0.0, 1.0) if probabilities else (lo, hi)
    scale = ScoreScale(exact, low, high, n_bins, probabilities, calibration_bins)
    return float(threshold), scale, n_bins


def _references(
    groupings: list[Grouping], stats: pl.DataFrame, reference: Any, features: list[str]
) -> dict[tuple[str, ...], int]:
    """Index of the reference group in each grouping: the one given, else the largest."""
    out: dict[tuple[str, ...], int] = {}
    given: dict[str, Any] = {}
    if reference is not None:
        if isinstance(reference, Mapping):
            given = dict(reference)
            unknown = [k for k in given if k not in features]
            if unknown:
                raise InputError(
                    f"reference_group names {unknown}, which are not sensitive features {features}."
                )
        elif len(features) == 1:
            given = {features[0]: reference}
        else:
            raise InputError(
                "With several sensitive features, give reference_group as {feature: value}, "
                f"for example {{{features[0]!r}: ...}}."
            )
    for grouping in groupings:
        if not grouping.features:
            continue
        counts = stats.group_by(list(grouping.features)).agg(pl.col(agg.COUNT).sum())
        size = {row[:-1]: row[-1] for row in counts.rows()}
        if all(f in given for f in grouping.features):
            values = [
                _coerce(given[f], [k[i] for k in grouping.keys])
                for i, f in enumerate(grouping.features)
            ]
            key = tuple(values)
            if key not in grouping.keys:
                shown = ", ".join(
                    _label(dict(zip(grouping.features, k, strict=True))) for k in grouping.keys[:20]
                )
                raise InputError(
                    f"reference_group {dict(zip(grouping.features, key, strict=True))} is not a "
                    f"group in the data; groups are: {shown}."
                )
            out[grouping.features] = grouping.keys.index(key)
        else:
            out[grouping.features] = max(
                range(len(grouping)), key=lambda i: size.get(grouping.keys[i], 0)
            )
    return out


def _label(group: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={'(missing)' if v is None else v}" for k, v in group.items())


def _group_entries(
    grouping: Grouping,
    rows: Any,
    columns: dict[str, MetricColumn],
    min_group_size: int,
    conf: Confusion | None,
    sample_weight: str | None,
) -> list[dict[str, Any]]:
    entries = []
    for g in range(len(grouping)):
        metrics = {
            name: estimate(col.value[g], col.low[g], col.high[g], col.undefined[g])
            for name, col in columns.items()
        }
        entry: dict[str, Any] = {
            "by": list(grouping.features),
            "group": group_dict(grouping, g),
            "n": int(rows[g]),
            "small": bool(rows[g] < min_group_size),
            "metrics": metrics,
        }
        if conf is not None:
            # the sufficient statistics every verdict is a function of (see judge)
            entry["counts"] = {c: int(conf.counts[c][g]) for c in CELLS}
            if sample_weight is not None:
                entry["weights"] = {
                    c: {"sum": float(conf.cells[c][g]), "sum_squares": float(conf.squares[c][g])}
                    for c in CELLS
                }
        entries.append(entry)
    return entries


def _auc_tie_bound(pos: Any, neg: Any) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = 0.5 * (pos * neg).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))
    finite = bound[np.isfinite(bound)]
    return float(finite.max()) if finite.size else 0.0


def _methods(
    task: str, scale: ScoreScale | None, ci_level: float, n_bootstrap: int, calibration_bins: int
) -> dict[str, str]:
    level = f"{ci_level:.0%}"
    if task == "regression":
        return {
            "metrics": f"{level} normal-approximation intervals on the Kish effective sample size; "
            "rmse through the interval of the mean squared error",
            "difference": "normal approximation; max − min clipped at 0",
            "ratio": "normal approximation, delta method on the log scale; min / max clipped to "
            "[0, 1]",
        }
    methods = {
        "rates": f"{level} Wilson score intervals (Kish effective sample size when weighted)",
        "balanced_accuracy, f1": (
            f"{level} Poisson-bootstrap percentile intervals over the confusion cells, "
            f"{n_bootstrap} replicates"
        ),
        "rate difference": "Newcombe hybrid score interval (method 10)",
        "rate ratio": "Katz log interval",
        "verdicts": (
            "pairwise one-sided z-tests at α = 1 − ci_level; Holm step-down for fail, "
            "intersection–union for pass"
        ),
        "max − min interval": (
            "interval of the two groups attaining the max and min, conditional on them, "
            "clipped to [0, 1]; the min / max ratio interval is clipped to [0, 1]"
        ),
        "four-fifths impact ratio": (
            "Katz log interval of each group's selection rate over the highest group's, "
            "conditional on which group is highest, clipped to [0, 1]"
        ),
    }
    if scale is not None:
        methods["roc_auc, average_precision, brier_score, ece"] = (
            f"{level} Poisson-bootstrap percentile intervals over the score-histogram cells, "
            f"{n_bootstrap} replicates, clipped to [0, 1] and widened to contain the estimate "
            "(ECE is biased upwards, so its percentile interval can otherwise exclude it)"
        )
        methods["score levels"] = "exact distinct scores" if scale.exact else "equal-width bins"
        methods["ece"] = (
            f"{calibration_bins} equal-width bins of [0, 1], weighted mean |mean score − fraction "
            "positive|"
        )
    return methods


def _provenance(
    source: Source,
    stats: pl.DataFrame,
    columns: list[str],
    digest: str | None,
    pending: Future[str] | None,
    random_state: int,
) -> dict[str, Any]:
    dataset: dict[str, Any] = {"engine": source.engine, "columns": columns}
    if digest is not None:
        dataset |= {"digest": digest, "digest_of": "given by the caller"}
    elif source.path is not None:
        dataset |= {
            "digest": pending.result() if pending is not None else file_digest(source.path),
            "digest_of": "file bytes",
            "path": str(source.path),
        }
    elif source.eager_native is not None:
        dataset |= {
            "digest": (
                pending.result()
                if pending is not None
                else columns_digest(source.eager_native, columns)
            ),
            "digest_of": COLUMNS_DIGEST_OF,
        }
    else:
        ordered = stats.sort(stats.columns, nulls_last=True)
        sink = io.BytesIO()
        ordered.write_ipc_stream(sink)
        dataset |= {
            "digest": "sha256:" + hashlib.sha256(sink.getvalue()).hexdigest(),
            "digest_of": "sufficient statistics (lazy source; rows were not materialised)",
        }
    return {
        "assay_version": __version__,
        "python": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "random_state": random_state,
        "dataset": dataset,
    }

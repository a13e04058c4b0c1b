"""``assay.evaluate.fairness``: subgroup performance and fairness with uncertainty and verdicts.

One grouped pass over the rows (run by the engine that holds the data) gathers confusion cells
and score histograms per intersectional group; every metric, marginal group, interval,
disparity, verdict and threshold sweep is derived from that small table.
"""

from __future__ import annotations

import hashlib
import io
import platform
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import polars as pl

from assay import __version__
from assay.errors import InputError
from assay.evaluate import _aggregate as agg
from assay.evaluate._disparity import disparity, estimate, four_fifths, summaries
from assay.evaluate._fairness_checks import (
    check_columns,
    check_options,
    check_profile,
    check_scores,
    read_schema,
)
from assay.evaluate._fairness_labels import group_label, references, resolve_labels
from assay.evaluate._frame import (
    COLUMNS_DIGEST_OF,
    Source,
    columns_digest,
    file_digest,
    open_frame,
    start_digest,
)
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
from assay.evaluate._multiclass import (
    Settings,
    check_multiclass,
    class_values,
    grouping_sections,
    matrices,
)
from assay.evaluate._regression import columns_from_sums, regression_sums, sums_entry
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
    task: Literal["classification", "multiclass", "regression"] = "classification",
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
    y_pred, y_score, threshold
        Columns of predicted labels, or of scores (positive when ``y_score >= threshold``; the
        threshold defaults to 0.5 for scores in [0, 1]). Give one of the two (regression: y_pred).
    pos_label
        The positive label; needed unless the labels are 0/1 or booleans.
    sample_weight
        Column of non-negative row weights.
    task
        ``"classification"``, ``"multiclass"`` (for > 2 labels with y_pred) or ``"regression"``.
    reference_group
        Group the others are compared with: a value (one feature) or ``{feature: value}``;
        defaults to the largest group of each grouping.
    min_group_size
        Groups with fewer rows are flagged ``small`` and cannot support a verdict.
    thresholds
        Limits that produce verdicts, e.g. ``{"demographic_parity_difference": 0.1}``; see
        :func:`assay.evaluate.threshold_names` (regression: ``regression_threshold_names``).
    ci_level, n_bootstrap
        Confidence level of every interval (and ``1 − α`` of every verdict); bootstrap
        replicates for metrics that are not single proportions.
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
    return _evaluate(_Request(**locals()))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`fairness`, one for one (built from its ``locals()``, which at
    its first line hold just them)."""

    data: Any
    y_true: str
    sensitive_features: str | Sequence[str]
    y_pred: str | None
    y_score: str | None
    threshold: float | None
    pos_label: Any
    sample_weight: str | None
    task: Literal["classification", "multiclass", "regression"]
    reference_group: Any
    min_group_size: int
    thresholds: Mapping[str, float] | None
    ci_level: float
    n_bootstrap: int
    score_bins: int | Literal["auto", "exact"]
    calibration_bins: int
    random_state: int
    dataset_digest: str | None


@dataclass(frozen=True)
class _Inputs:
    """The request checked: options valid, every named column in the data, the digest started."""

    request: _Request
    features: list[str]
    limits: dict[str, float]
    source: Source
    schema: dict[str, Any]
    columns_read: list[str]
    pending_digest: Future[str] | None
    float_cols: set[str]


@dataclass(frozen=True)
class _Statistics:
    """The grouped pass: sufficient statistics per group, and how the scores were levelled."""

    stats: pl.DataFrame
    prof: agg.Profile
    params: dict[str, Any]
    """What the pass settled that the result records: the positive label, the threshold."""
    scale: ScoreScale | None = None
    score_range: tuple[float, float] = (0.0, 1.0)
    n_bins: int = 0
    task: str = "classification"
    """The task evaluated: the one asked for, or ``multiclass`` detected from the labels."""


@dataclass
class _Sections:
    """The result's sections, filled grouping by grouping."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    disparities: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    four_fifths: list[dict[str, Any]] = field(default_factory=list)
    calibration: list[dict[str, Any]] = field(default_factory=list)
    sweeps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    auc_bound: float = 0.0


@dataclass(frozen=True)
class _Context:
    """What every grouping is evaluated with: the statistics, z, the bootstrap's generator."""

    inputs: _Inputs
    statistics: _Statistics
    z: float
    rng: np.random.Generator
    levels: Any
    """The score levels present in the data (sorted), when there are scores."""
    references: dict[tuple[str, ...], int]


def _evaluate(request: _Request) -> FairnessResult:
    """Check, aggregate, evaluate every grouping, then judge the stored statistics."""
    inputs = _prepare(request)
    rng = np.random.default_rng(request.random_state)
    z = z_value(request.ci_level)
    if request.task == "regression":
        statistics = _regression_statistics(inputs)
    else:
        statistics = _classification_statistics(inputs)
    stats = statistics.stats
    groupings = [Grouping((), [()])]
    groupings += [grouping_of(stats, (f,)) for f in inputs.features]
    if len(inputs.features) > 1:
        groupings.append(grouping_of(stats, tuple(inputs.features)))
    refs = references(groupings, stats, request.reference_group, inputs.features)
    levels = (
        np.sort(stats.get_column(agg.LEVEL).unique().to_numpy().astype(np.float64))
        if statistics.scale
        else None
    )
    ctx = _Context(inputs, statistics, z, rng, levels, refs)
    sections = _Sections()
    for grouping in groupings:
        _evaluate_grouping(ctx, grouping, sections)
    sections.notes += _closing_notes(statistics, sections.auc_bound, groupings)
    payload = _payload(inputs, statistics, sections)
    # one verdict engine: the evaluation judges its own stored statistics, as the gate does
    payload["verdicts"] = judge(payload, inputs.limits)
    return FairnessResult(payload)


def _prepare(request: _Request) -> _Inputs:
    """Check the options, open the data, check the columns and start the dataset digest."""
    sensitive = request.sensitive_features
    features = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    check_options(
        request.task,
        request.y_pred,
        request.y_score,
        features,
        request.ci_level,
        request.n_bootstrap,
        request.min_group_size,
        request.score_bins,
        request.calibration_bins,
    )
    limits = dict(request.thresholds or {})
    validate_thresholds(limits, "regression" if request.task == "regression" else "classification")
    source = open_frame(request.data)
    schema = read_schema(source.frame)
    y_true, y_pred, y_score = request.y_true, request.y_pred, request.y_score
    weight = request.sample_weight
    check_columns(schema, y_true, y_pred, y_score, weight, features, source.frame)
    columns_read = [c for c in [y_true, y_pred, y_score, weight, *features] if c]
    pending = start_digest(source, columns_read) if request.dataset_digest is None else None
    return _Inputs(
        request=request,
        features=features,
        limits=limits,
        source=source,
        schema=schema,
        columns_read=columns_read,
        pending_digest=pending,
        float_cols={c for c, dt in schema.items() if dt.is_float()},
    )


def _regression_statistics(inputs: _Inputs) -> _Statistics:
    """Sums of targets, predictions and errors per group; refuses missing values."""
    request, schema, float_cols = inputs.request, inputs.schema, inputs.float_cols
    y_true, y_pred = request.y_true, request.y_pred
    for col in (y_true, y_pred):
        assert col is not None
        if not schema[col].is_numeric():
            raise InputError(f"Regression needs numeric columns; '{col}' is {schema[col]}.")
    assert y_pred is not None
    stats = agg.regression_statistics(
        inputs.source.frame,
        keys=inputs.features,
        y_true=y_true,
        y_pred=y_pred,
        weight=request.sample_weight,
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
        features=inputs.features,
        float_columns=float_cols,
        weight=request.sample_weight,
    )
    check_profile(prof, inputs.features, request.sample_weight)
    stats = stats.drop(
        [c for pair in checks.values() for c in pair if c is not None]
        + [c for c in (agg.WNULL, agg.WNAN, agg.WMIN) if c in stats.columns]
    )
    return _Statistics(stats, prof, {}, task="regression")


def _classification_statistics(inputs: _Inputs) -> _Statistics:
    """Confusion cells (and score levels) per group, relabelled to positive and negative."""
    request, frame = inputs.request, inputs.source.frame
    y_true, y_pred, y_score = request.y_true, request.y_pred, request.y_score
    threshold = request.threshold
    scale: ScoreScale | None = None
    score_range, n_bins = (0.0, 1.0), 0
    score_params: dict[str, Any] = {}
    if y_score is not None:
        score_prof = agg.score_profile(
            frame,
            y_score,
            is_float=y_score in inputs.float_cols,
            level_limit=EXACT_SCORE_LEVELS if request.score_bins == "auto" else None,
        )
        check_scores(score_prof, y_score)
        threshold, scale, n_bins = _score_setup(
            score_prof, y_score, threshold, request.score_bins, request.calibration_bins
        )
        score_range = (score_prof.low or 0.0, score_prof.high or 1.0)
        score_params = {
            "threshold": threshold,
            "score_levels": "exact" if scale.exact else f"{n_bins} equal-width bins",
            "calibration_bins": request.calibration_bins,
        }
    raw = agg.classification_statistics(
        frame,
        keys=inputs.features,
        y_true=y_true,
        y_pred=y_pred,
        y_score=y_score,
        threshold=threshold,
        level=None if scale is None or scale.exact else (scale.low, scale.high, n_bins),
        weight=request.sample_weight,
        weight_is_float=request.sample_weight in inputs.float_cols,
    )
    prof = _profile_of(inputs, raw)
    check_profile(prof, inputs.features, request.sample_weight)
    if y_pred is not None and (request.task == "multiclass" or prof.n_unique[y_true] > 2):
        return _multiclass_statistics(inputs, raw)
    positive, pred_positive = resolve_labels(
        raw, prof, inputs.schema, y_true, y_pred, request.pos_label
    )
    params = {"pos_label": json_value(positive)} | score_params
    stats = agg.relabel(
        raw,
        keys=inputs.features,
        y_true=y_true,
        pos_label=positive,
        y_pred=y_pred,
        pred_pos_label=pred_positive,
    )
    return _Statistics(stats, prof, params, scale, score_range, n_bins)


def _multiclass_statistics(inputs: _Inputs, raw: pl.DataFrame) -> _Statistics:
    """The grouped pass kept with its raw labels (each group's confusion matrix), checked."""
    request = inputs.request
    assert request.y_pred is not None
    check_multiclass(raw, request.y_true, request.y_pred, inputs.schema)
    if agg.W not in raw.columns:
        count = pl.col(agg.COUNT).cast(pl.Float64)
        raw = raw.with_columns(count.alias(agg.W), count.alias(agg.W2))
    classes = class_values(raw, request.y_true, request.y_pred)
    params = {"classes": [json_value(c) for c in classes]}
    return _Statistics(raw, _profile_of(inputs, raw), params, task="multiclass")


def _profile_of(inputs: _Inputs, raw: pl.DataFrame) -> agg.Profile:
    request = inputs.request
    return agg.profile_of(
        raw,
        keyed=[request.y_true, *([request.y_pred] if request.y_pred else [])],
        summed={},
        features=inputs.features,
        float_columns=inputs.float_cols,
        weight=request.sample_weight,
    )


def _multiclass_grouping(ctx: _Context, grouping: Grouping, sections: _Sections) -> None:
    """The multiclass sections of one grouping (see :mod:`assay.evaluate._multiclass`)."""
    request = ctx.inputs.request
    assert request.y_pred is not None
    m = matrices(ctx.statistics.stats, grouping, request.y_true, request.y_pred)
    settings = Settings(
        ctx.z,
        request.ci_level,
        request.n_bootstrap,
        request.min_group_size,
        request.sample_weight is not None,
    )
    reference = ctx.references.get(grouping.features, 0)
    found = grouping_sections(m, reference, settings, ctx.rng)
    if not grouping.features:
        sections.overall = found.entries[0] | {"by": []}
        return
    sections.groups += found.entries
    sections.notes += _grouping_notes(grouping, found.entries, request.min_group_size)
    sections.disparities += found.disparities
    sections.summaries += found.summaries
    sections.four_fifths += found.four_fifths


def _evaluate_grouping(ctx: _Context, grouping: Grouping, sections: _Sections) -> None:
    """Metrics of every group of ``grouping``, then its disparities, summaries and notes."""
    request = ctx.inputs.request
    stats = ctx.statistics.stats
    conf: Confusion | None = None
    sums: dict[str, Any] | None = None
    if ctx.statistics.task == "multiclass":
        _multiclass_grouping(ctx, grouping, sections)
        return
    if request.task == "regression":
        sums = regression_sums(stats, grouping)
        rows, columns = sums[agg.COUNT], columns_from_sums(sums, ctx.z)
    else:
        conf = confusion(stats, grouping)
        rows = conf.n
        columns = confusion_columns(conf, ctx.z, request.ci_level, request.n_bootstrap, ctx.rng)
        if ctx.statistics.scale is not None and ctx.levels is not None:
            columns |= _score_sections(ctx, grouping, sections)
    entries = _group_entries(
        grouping, rows, columns, request.min_group_size, conf, request.sample_weight
    )
    if sums is not None:
        for g, entry in enumerate(entries):
            entry["sums"] = sums_entry(sums, g)
    if not grouping.features:
        sections.overall = entries[0] | {"by": []}
        return
    sections.groups += entries
    sections.notes += _grouping_notes(grouping, entries, request.min_group_size)
    by_metric = {
        name: disparity(
            col, grouping, ctx.references[grouping.features], z=ctx.z, ci_level=request.ci_level
        )
        for name, col in columns.items()
    }
    sections.disparities += by_metric.values()
    if request.task != "regression":
        sections.summaries.append(summaries(by_metric, list(grouping.features)))
        sections.four_fifths.append(four_fifths(columns["selection_rate"], grouping, ctx.z))


def _score_sections(
    ctx: _Context, grouping: Grouping, sections: _Sections
) -> dict[str, MetricColumn]:
    """Score metrics of every group; its reliability curves and threshold sweep go to sections."""
    request, statistics = ctx.inputs.request, ctx.statistics
    scale = statistics.scale
    assert scale is not None
    tab = level_table(statistics.stats, grouping, ctx.levels)
    scores = score_columns(
        tab, scale, ci_level=request.ci_level, n_bootstrap=request.n_bootstrap, rng=ctx.rng
    )
    for g, bins in enumerate(scores.reliability):
        sections.calibration.append(
            {"by": list(grouping.features), "group": group_dict(grouping, g), "bins": bins}
            | {"calibration_test": scores.calibration_tests[g]}
        )
    sections.sweeps.append(
        {"by": list(grouping.features)}
        | sweep(tab, scale, threshold_grid(scale, *statistics.score_range), statistics.n_bins)
    )
    if not scale.exact:
        sections.auc_bound = max(sections.auc_bound, _auc_tie_bound(tab.pos, tab.neg))
    return scores.columns


def _grouping_notes(
    grouping: Grouping, entries: list[dict[str, Any]], min_group_size: int
) -> list[str]:
    """Notes on a grouping: its small groups, or that it has a single group."""
    notes = []
    small = [e for e in entries if e["small"]]
    if small:
        names = "; ".join(group_label(e["group"]) for e in small)
        notes.append(
            f"{len(small)} group(s) by {grouping.label} have fewer than {min_group_size} rows "
            f"and are marked small: {names}."
        )
    if len(grouping) < 2:
        notes.append(
            f"'{grouping.label}' has a single group in the data, so it has no disparities."
        )
    return notes


def _closing_notes(
    statistics: _Statistics, auc_bound: float, groupings: list[Grouping]
) -> list[str]:
    """Notes on the whole evaluation: binned scores, groups of missing sensitive values."""
    notes = []
    if auc_bound > 0:
        notes.append(
            f"Scores were binned into {statistics.n_bins} equal-width bins; ROC AUC and average "
            "precision treat "
            f"scores within a bin as ties, which can move ROC AUC by at most {auc_bound:.2g}."
        )
    if any(v is None for g in groupings[1:] for key in g.keys for v in key):
        notes.append(
            "Rows with a missing sensitive value are kept as their own group, shown as null."
        )
    return notes


def _payload(inputs: _Inputs, statistics: _Statistics, sections: _Sections) -> FairnessPayload:
    """The result's payload, with an empty list of verdicts for :func:`judge` to fill."""
    request = inputs.request
    params: dict[str, Any] = {
        "task": statistics.task,
        "y_true": request.y_true,
        "y_pred": request.y_pred,
        "y_score": request.y_score,
        "sensitive_features": inputs.features,
        "sample_weight": request.sample_weight,
        "min_group_size": request.min_group_size,
        "ci_level": request.ci_level,
        "n_bootstrap": request.n_bootstrap,
        "thresholds": inputs.limits,
        "random_state": request.random_state,
    }
    params |= statistics.params
    params["reference_group"] = json_value(request.reference_group)
    return {
        "schema": SCHEMA,
        "task": statistics.task,
        "n": int(statistics.prof.n_rows),
        "groups": sections.groups,
        "overall": sections.overall,
        "disparities": sections.disparities,
        "summaries": sections.summaries,
        "four_fifths": sections.four_fifths,
        "verdicts": [],
        "calibration": sections.calibration,
        "threshold_sweep": sections.sweeps,
        "notes": sections.notes,
        "methods": _methods(
            statistics.task,
            statistics.scale,
            request.ci_level,
            request.n_bootstrap,
            request.calibration_bins,
        ),
        "params": params,
        "provenance": _provenance(
            inputs.source,
            statistics.stats,
            inputs.columns_read,
            request.dataset_digest,
            inputs.pending_digest,
            request.random_state,
        ),
    }


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
            "verdicts": "pairwise one-sided Welch z-tests of the gap in each mean (on the log "
            "scale, by the delta method, for ratios) at α = 1 − ci_level; Holm step-down for fail, "
            "intersection–union for pass; sample sizes by the normal approximation",
        }
    if task == "multiclass":
        return {
            "per-class rates": f"one-vs-rest; {level} Wilson score intervals (Kish effective "
            "sample size when weighted)",
            "accuracy": f"{level} Wilson score interval; equal to micro-averaged precision, "
            "recall and F1",
            "macro_tpr, macro_ppv, macro_f1": f"unweighted means over the classes with a defined "
            f"value; {level} Poisson-bootstrap percentile intervals over the confusion-matrix "
            f"cells, {n_bootstrap} replicates",
            "rate difference": "Newcombe hybrid score interval (method 10)",
            "rate ratio": "Katz log interval",
            "verdicts": "each limit judged on every class's one-vs-rest rates: pairwise one-sided "
            "z-tests at α = 1 − ci_level, Holm step-down over every class and pair for fail, "
            "intersection–union for pass",
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
        methods["roc_auc, average_precision, brier_score"] = (
            f"{level} Poisson-bootstrap percentile intervals over the score-histogram cells, "
            f"{n_bootstrap} replicates, clipped to [0, 1] and widened to contain the estimate"
        )
        methods["score levels"] = "exact distinct scores" if scale.exact else "equal-width bins"
        methods["ece"] = (
            f"{calibration_bins} equal-width bins of [0, 1]; debiased: Σ w_j √max(m_j² − v_j, 0), "
            "m_j the gap between mean score and fraction positive in bin j and v_j its sampling "
            f"variance; {level} interval: lower bound = plug-in ECE minus the "
            f"{(1 + ci_level) / 2:.1%} quantile of {n_bootstrap} consistency resamples "
            "(labels redrawn as Bernoulli(score)), upper bound = plug-in ECE + z·√Σ w_j² σ_j²; "
            "calibration_test.p_value: share of those resamples at least the plug-in ECE. "
            "Differences and ratios of ECE between groups have no interval"
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

"""Multiclass fairness: per-group confusion matrices and their one-vs-rest rates.

The grouped pass is the binary one (:func:`assay.evaluate._aggregate.classification_statistics`
with ``y_pred``): row counts and weight sums keyed by the sensitive features, the true label and
the predicted label, which is each intersectional group's confusion matrix. Everything else is
derived here from those small matrices:

- for each class ``c``, the one-vs-rest confusion cells of every group (``tp`` = true ``c`` and
  predicted ``c``, ``fp`` = predicted ``c`` but not true ``c``, ``fn`` = true ``c`` but not
  predicted ``c``, ``tn`` = the rest), from which every binary rate (selection rate, true and false
  positive rates, precision, ...) follows with the same Wilson intervals, and every limit a binary
  result takes applies class by class;
- group summaries: accuracy (which is also the micro-averaged precision, recall and F1 of a
  single-label classifier) with its Wilson interval, and the macro averages of recall (``tpr``),
  precision (``ppv``) and F1 over the classes present, with Poisson-bootstrap percentile intervals
  over the matrix cells.

A macro average skips a class whose rate is undefined in the group (no rows of that class, or none
predicted), as scikit-learn does with ``zero_division=np.nan``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from assay.errors import InputError, SchemaError
from assay.evaluate._aggregate import COUNT, W2, W
from assay.evaluate._disparity import disparity, estimate, four_fifths
from assay.evaluate._disparity import summaries as fairness_summaries
from assay.evaluate._groups import Confusion, Grouping, group_dict, index_of, json_value
from assay.evaluate._metrics import MetricColumn, rate_column
from assay.evaluate._stats import FloatArray, percentile_interval, wilson

#: The group-level summaries of a multiclass result, in report order.
MULTICLASS_METRICS = ("accuracy", "macro_tpr", "macro_ppv", "macro_f1")
#: More classes than this almost always means an identifier or a numeric target, not labels.
MAX_CLASSES = 50
#: The one-vs-rest rates reported per class (every rate a limit can name is computed on demand).
PER_CLASS_METRICS = ("prevalence", "selection_rate", "tpr", "fpr", "ppv")


@dataclass(frozen=True)
class Matrices:
    """Confusion matrices per group, ``(groups, classes, classes)`` indexed [group, true, pred]:
    weighted sums, row counts and sums of squared weights, with each group's row count."""

    grouping: Grouping
    classes: list[Any]
    n: FloatArray
    cells: FloatArray
    counts: FloatArray
    squares: FloatArray

    def one_vs_rest(self, c: int) -> Confusion:
        """The binary confusion cells of class ``c`` against every other class."""
        parts = {}
        for name, m in (("cells", self.cells), ("counts", self.counts), ("sq", self.squares)):
            tp = m[:, c, c]
            fp = m[:, :, c].sum(axis=1) - tp
            fn = m[:, c, :].sum(axis=1) - tp
            tn = m.sum(axis=(1, 2)) - tp - fp - fn
            parts[name] = {"tp": tp, "fp": fp, "fn": fn, "tn": np.maximum(tn, 0.0)}
        return Confusion(self.grouping, self.n, parts["cells"], parts["counts"], parts["sq"])


def matrices(stats: pl.DataFrame, grouping: Grouping, y_true: str, y_pred: str) -> Matrices:
    """Each group's confusion matrix from the grouped pass (raw labels as keys)."""
    classes = class_values(stats, y_true, y_pred)
    keys = [*grouping.features, y_true, y_pred]
    table = stats.group_by(keys).agg(pl.col(COUNT).sum(), pl.col(W).sum(), pl.col(W2).sum())
    gi = index_of(table, grouping).astype(np.int64)
    where = {v: i for i, v in enumerate(classes)}
    ti = np.array([where[v] for v in table.get_column(y_true).to_list()], dtype=np.int64)
    pi = np.array([where[v] for v in table.get_column(y_pred).to_list()], dtype=np.int64)
    shape = (len(grouping), len(classes), len(classes))
    out = []
    for column in (W, COUNT, W2):
        dense = np.zeros(shape, dtype=np.float64)
        np.add.at(dense, (gi, ti, pi), table.get_column(column).to_numpy().astype(np.float64))
        out.append(dense)
    n = out[1].sum(axis=(1, 2))
    return Matrices(grouping, classes, n, out[0], out[1], out[2])


def class_values(stats: pl.DataFrame, y_true: str, y_pred: str) -> list[Any]:
    """The classes: every label of ``y_true`` or ``y_pred``, sorted."""
    values = set(stats.get_column(y_true).to_list()) | set(stats.get_column(y_pred).to_list())
    return sorted(values, key=lambda v: (str(type(v)), v))


def check_multiclass(
    stats: pl.DataFrame, y_true: str, y_pred: str, schema: Mapping[str, Any]
) -> None:
    """Refuse what a multiclass evaluation cannot use: one class only, or probabilities."""
    classes = class_values(stats, y_true, y_pred)
    true_classes = set(stats.get_column(y_true).to_list())
    if len(true_classes) > MAX_CLASSES:
        raise InputError(
            f"y_true '{y_true}' has {len(true_classes)} distinct values; fairness evaluation "
            f"takes at most {MAX_CLASSES} classes. So many values usually mean an identifier or a "
            "numeric target: for a numeric target use task='regression' (--task regression)."
        )
    if len(true_classes) < 2:
        raise InputError(
            f"y_true '{y_true}' holds a single class ({classes[0]!r}); a multiclass evaluation "
            "needs at least two classes among the true labels."
        )
    pred = stats.get_column(y_pred)
    if schema[y_pred].is_float() and any(v is not None and v != int(v) for v in pred.to_list()):
        raise InputError(
            f"y_pred '{y_pred}' holds non-integer numbers (probabilities or scores?); a multiclass "
            "evaluation needs predicted class labels. Take the most probable class per row "
            "(argmax) and pass that column as y_pred."
        )
    t, p = schema[y_true], schema[y_pred]
    if t != p and not (t.is_numeric() and p.is_numeric()):
        raise InputError(
            f"y_true '{y_true}' is {t} but y_pred '{y_pred}' is {p}; a multiclass evaluation "
            "needs both to hold the same class labels (the same type)."
        )


def class_columns(m: Matrices, z: float, names: Sequence[str]) -> list[dict[str, MetricColumn]]:
    """For each class, its one-vs-rest rate columns ``names`` (with Wilson intervals)."""
    out = []
    for c in range(len(m.classes)):
        conf = m.one_vs_rest(c)
        out.append({name: rate_column(conf, name, z) for name in names})
    return out


def _macro(cells: FloatArray) -> dict[str, FloatArray]:
    """Accuracy and macro recall, precision and F1 of matrices ``(..., classes, classes)``."""
    diag = np.diagonal(cells, axis1=-2, axis2=-1)
    true_n, pred_n = cells.sum(axis=-1), cells.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row's mean is NaN, and says so
        recall = np.where(true_n > 0, diag / true_n, np.nan)
        precision = np.where(pred_n > 0, diag / pred_n, np.nan)
        f1 = np.where(true_n + pred_n > 0, 2 * diag / (true_n + pred_n), np.nan)
        total = cells.sum(axis=(-2, -1))
        return {
            "accuracy": np.where(total > 0, diag.sum(axis=-1) / total, np.nan),
            "macro_tpr": np.nanmean(recall, axis=-1),
            "macro_ppv": np.nanmean(precision, axis=-1),
            "macro_f1": np.nanmean(f1, axis=-1),
        }


def _accuracy(m: Matrices, z: float) -> MetricColumn:
    """Accuracy with its Wilson interval on the Kish effective sample size."""
    correct = np.diagonal(m.cells, axis1=1, axis2=2).sum(axis=1)
    total = m.cells.sum(axis=(1, 2))
    squares = m.squares.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(total > 0, correct / total, np.nan)
        n_eff = np.where(squares > 0, total * total / squares, 0.0)
    x_eff = np.nan_to_num(value) * n_eff
    low, high = wilson(x_eff, n_eff, z)
    undefined = [None if t > 0 else "no rows" for t in total]
    return MetricColumn("accuracy", value, low, high, undefined, "wilson", x=x_eff, n=n_eff)


def summary_columns(
    m: Matrices, z: float, ci_level: float, n_bootstrap: int, rng: np.random.Generator
) -> dict[str, MetricColumn]:
    """Accuracy (Wilson) and the macro averages (Poisson bootstrap over the matrix cells)."""
    point = _macro(m.cells)
    draws = rng.poisson(m.counts, size=(n_bootstrap, *m.counts.shape)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_w = np.where(m.counts > 0, m.cells / m.counts, 0.0)
    reps = _macro(draws * mean_w)
    columns = {"accuracy": _accuracy(m, z)}
    for name in MULTICLASS_METRICS[1:]:
        low, high, _ = percentile_interval(reps[name], ci_level)
        value = point[name]
        undefined = [None if np.isfinite(v) else "no rows" for v in value]
        columns[name] = MetricColumn(
            name, value, low, high, undefined, "bootstrap", replicates=reps[name]
        )
    return columns


def matrix_entry(m: Matrices, g: int, weighted: bool) -> dict[str, Any]:
    """The stored confusion matrix of group ``g`` (rows: true class, columns: predicted class)."""
    entry: dict[str, Any] = {"counts": m.counts[g].astype(np.int64).tolist()}
    if weighted:
        entry["weights"] = m.cells[g].tolist()
        entry["weight_squares"] = m.squares[g].tolist()
    return entry


def stored_matrices(
    grouping: Grouping, entries: Sequence[Mapping[str, Any]], classes: list[Any]
) -> Matrices:
    """The :class:`Matrices` of a grouping rebuilt from a result's stored ``confusion_matrix``."""
    k = len(classes)
    try:
        counts = np.array([e["confusion_matrix"]["counts"] for e in entries], dtype=np.float64)
        weighted = [e["confusion_matrix"].get("weights") for e in entries]
        if all(w is None for w in weighted):
            cells, squares = counts, counts
        else:
            cells = np.array(weighted, dtype=np.float64)
            squares = np.array(
                [e["confusion_matrix"]["weight_squares"] for e in entries], dtype=np.float64
            )
    except (KeyError, TypeError, ValueError):
        raise SchemaError(
            "This multiclass result does not record its groups' confusion matrices, so it cannot "
            "be judged again; re-run the evaluation with this version of Assay."
        ) from None
    if counts.shape != (len(entries), k, k) or cells.shape != counts.shape:
        raise SchemaError("The stored confusion matrices do not match the result's classes.")
    n = np.array([float(e["n"]) for e in entries])
    return Matrices(grouping, classes, n, cells, counts, squares)


@dataclass
class Sections:
    """What one grouping of a multiclass result contributes to the result."""

    entries: list[dict[str, Any]]
    disparities: list[dict[str, Any]]
    summaries: list[dict[str, Any]]
    four_fifths: list[dict[str, Any]]


@dataclass(frozen=True)
class Settings:
    """How a multiclass grouping is evaluated."""

    z: float
    ci_level: float
    n_bootstrap: int
    min_group_size: int
    weighted: bool


def grouping_sections(
    m: Matrices, reference: int, settings: Settings, rng: np.random.Generator
) -> Sections:
    """Entries (summaries, per-class rates, confusion matrix), disparities, the fairness summaries
    and the four-fifths rule of each class, for one grouping."""
    s, grouping = settings, m.grouping
    summary = summary_columns(m, s.z, s.ci_level, s.n_bootstrap, rng)
    per_class = class_columns(m, s.z, PER_CLASS_METRICS)
    labels = [str(json_value(c)) for c in m.classes]
    entries = []
    for g in range(len(grouping)):
        entries.append(
            {
                "by": list(grouping.features),
                "group": group_dict(grouping, g),
                "n": int(m.n[g]),
                "small": bool(m.n[g] < s.min_group_size),
                "metrics": {k: _at(col, g) for k, col in summary.items()},
                "per_class": {
                    label: {k: _at(col, g) for k, col in columns.items()}
                    for label, columns in zip(labels, per_class, strict=True)
                },
                "confusion_matrix": matrix_entry(m, g, s.weighted),
            }
        )
    out = Sections(entries, [], [], [])
    if not grouping.features:
        return out
    for col in summary.values():
        out.disparities.append(disparity(col, grouping, reference, z=s.z, ci_level=s.ci_level))
    by = list(grouping.features)
    for label, columns in zip(labels, per_class, strict=True):
        by_metric = {
            k: disparity(col, grouping, reference, z=s.z, ci_level=s.ci_level) | {"class": label}
            for k, col in columns.items()
        }
        out.disparities += by_metric.values()
        out.summaries.append(fairness_summaries(by_metric, by) | {"class": label})
        out.four_fifths.append(
            four_fifths(columns["selection_rate"], grouping, s.z) | {"class": label}
        )
    return out


def _at(col: MetricColumn, g: int) -> dict[str, Any]:
    return estimate(col.value[g], col.low[g], col.high[g], col.undefined[g])

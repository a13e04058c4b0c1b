"""The label checks of data quality: class balance, conflicting labels, confident learning.

Confident learning follows Northcutt, Jiang & Chuang (2021): per-class thresholds (the mean
predicted probability of the class among its rows), the confident joint of given × confident
class, calibrated to the label counts; its off-diagonal mass estimates the mislabelled share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from assay.errors import InputError
from assay.evaluate import _quality_passes as qp
from assay.evaluate._aggregate import collect
from assay.evaluate._quality_values import eq, interval, jsonable, sorted_values, warn

CL_NOTE = (
    "Needs out-of-sample probabilities (cross-validated or from a held-out model); "
    "rows of the confident joint are the given labels, columns the confident classes."
)


def label_section(
    grouped: pl.DataFrame, label: str, features: list[str], z: float, min_cell: int
) -> dict[str, Any]:
    """Class balance overall and by group of each feature (Wilson intervals of the shares)."""
    overall = grouped.group_by(label).agg(pl.col(qp.ROWS).sum())
    n = float(overall.get_column(qp.ROWS).sum())
    classes = []
    for value in sorted_values(overall.get_column(label).to_list()):
        k = float(overall.filter(eq(label, value)).get_column(qp.ROWS).sum())
        low, high = interval(k, n, z)
        classes.append({"class": jsonable(value), "n": int(k), "share": k / n, "ci": [low, high]})
    present = [c["n"] for c in classes if c["class"] is not None]
    return {
        "column": label,
        "classes": classes,
        "imbalance_ratio": (min(present) / max(present)) if len(present) > 1 else None,
        "by_group": _balance_by_group(grouped, label, features, z, min_cell),
        "conflicting": None,
        "confident_learning": None,
    }


def _balance_by_group(
    grouped: pl.DataFrame, label: str, features: list[str], z: float, min_cell: int
) -> list[dict[str, Any]]:
    by_group = []
    for f in features:
        table = grouped.group_by([f, label]).agg(pl.col(qp.ROWS).sum())
        for g in sorted_values(table.get_column(f).unique().to_list()):
            sub = table.filter(eq(f, g))
            total = float(sub.get_column(qp.ROWS).sum())
            shares = []
            for value in sorted_values(sub.get_column(label).to_list()):
                k = float(sub.filter(eq(label, value)).get_column(qp.ROWS).sum())
                low, high = interval(k, total, z)
                shares.append(
                    {
                        "class": jsonable(value),
                        "n": int(k),
                        "share": k / total,
                        "ci": [low, high],
                        "small": k < min_cell,
                    }
                )
            by_group.append({"by": f, "group": jsonable(g), "n": int(total), "classes": shares})
    return by_group


def conflicting_labels(
    frame: nw.LazyFrame[Any], feature_columns: list[str], label: str, n: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Feature rows seen with more than one label, and the warning when there are any."""
    groups, rows = qp.conflicting_labels(frame, feature_columns, label)
    section = {
        "feature_columns": feature_columns,
        "feature_rows": groups,
        "rows": rows,
        "rate": rows / n,
    }
    warnings = []
    if rows:
        warnings.append(
            warn(
                "conflicting_labels",
                "warning",
                f"{rows} row(s) ({rows / n:.1%}) share their features with a row of "
                f"another label ({groups} distinct feature rows).",
            )
        )
    return section, warnings


def label_noise_warnings(cl: dict[str, Any]) -> list[dict[str, Any]]:
    """A warning when confident learning estimates at least 5% of the rows mislabelled."""
    if cl["estimated_issues_rate"] < 0.05:
        return []
    return [
        warn(
            "label_noise",
            "warning",
            f"Confident learning estimates {cl['estimated_issues']:.0f} mislabelled "
            f"row(s) ({cl['estimated_issues_rate']:.1%}).",
        )
    ]


@dataclass(frozen=True)
class _Probabilities:
    """The frame to read and one probability column per class (binary labels made explicit)."""

    work: nw.LazyFrame[Any]
    by_class: dict[Any, str]


def confident_learning(
    frame: nw.LazyFrame[Any],
    dtypes: Mapping[str, Any],
    label: str,
    probabilities: dict[Any, str],
    pos_label: Any,
    y_proba: str | Mapping[Any, str] | None,
    features: list[str],
    z: float,
) -> dict[str, Any]:
    """The confident-learning estimate of mislabelled rows, overall and by group."""
    for col in probabilities.values():
        if not dtypes[col].is_numeric():
            raise InputError(f"y_proba '{col}' must be numeric; it is {dtypes[col]}.")
    probs = (
        _binary_probabilities(frame, label, y_proba, pos_label)
        if isinstance(y_proba, str)
        else _Probabilities(frame, probabilities)
    )
    classes = list(probs.by_class)
    thresholds = _thresholds(probs, label)
    joint = qp.confident_joint(probs.work, label, probs.by_class, thresholds, features)
    index = {c: i for i, c in enumerate(classes)}
    c, given = _matrix(joint, label, index)
    n = float(given.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        calibrated = np.where(
            c.sum(axis=1, keepdims=True) > 0,
            c / c.sum(axis=1, keepdims=True) * given[:, None],
            0.0,
        )
    total = calibrated.sum()
    q = calibrated / total if total else calibrated
    off = float(q.sum() - np.trace(q))
    off_counted = float(c.sum() - np.trace(c))
    return {
        "classes": [jsonable(c) for c in classes],
        "thresholds": thresholds,
        "confident_joint": c.astype(int).tolist(),
        "joint": q.tolist(),
        "estimated_issues": off * n,
        "estimated_issues_rate": off,
        "off_diagonal_rows": int(off_counted),
        "by_group": _off_diagonal_by_group(joint, label, index, features, z),
        "note": CL_NOTE,
    }


def _binary_probabilities(
    frame: nw.LazyFrame[Any], label: str, y_proba: str, pos_label: Any
) -> _Probabilities:
    """One column of P(positive) for a binary label, completed with P(negative)."""
    values = collect(frame.select(label).unique()).get_column(label)
    labels = [v for v in values.to_list() if v is not None]
    positive = _positive(labels, pos_label, label)
    negatives = [v for v in labels if v != positive]
    if len(negatives) > 1:
        raise InputError(
            f"y_proba as one column needs a binary label; '{label}' has {len(labels)} classes. "
            "Give y_proba as {class: column}."
        )
    negative = negatives[0] if negatives else None
    neg_col = "__assay_p_negative"
    work = frame.with_columns((1.0 - nw.col(y_proba).cast(nw.Float64)).alias(neg_col))
    return _Probabilities(work, {negative: neg_col, positive: y_proba})


def _thresholds(probs: _Probabilities, label: str) -> list[float]:
    """Per-class thresholds; a class with no rows gets infinity (nothing is confidently it)."""
    classes = list(probs.by_class)
    thresholds_table = qp.class_thresholds(probs.work, label, probs.by_class)
    by_class = {r[label]: r for r in thresholds_table.iter_rows(named=True)}
    unknown = [k for k in by_class if k not in probs.by_class]
    if unknown:
        raise InputError(
            f"'{label}' has label(s) {unknown} with no probability column in y_proba "
            f"(classes given: {classes})."
        )
    thresholds = []
    for i, c in enumerate(classes):
        row = by_class.get(c)
        t = row[f"__t{i}"] if row else None
        thresholds.append(float(t) if t is not None else float("inf"))
    return thresholds


def _matrix(
    sub: pl.DataFrame, label: str, index: dict[Any, int]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The confident joint (given × confident class) and the rows of each given label."""
    k = len(index)
    c = np.zeros((k, k))
    given = np.zeros(k)
    for r in sub.iter_rows(named=True):
        i = index[r[label]]
        given[i] += r[qp.ROWS]
        if r[qp.JSTAR] is not None:
            c[i, int(r[qp.JSTAR])] += r[qp.ROWS]
    return c, given


def _off_diagonal_by_group(
    joint: pl.DataFrame, label: str, index: dict[Any, int], features: list[str], z: float
) -> list[dict[str, Any]]:
    groups = []
    for f in features:
        for g in sorted_values(joint.get_column(f).unique().to_list()):
            cg, gg = _matrix(joint.filter(eq(f, g)), label, index)
            m = float(gg.sum())
            flagged = float(cg.sum() - np.trace(cg))
            low, high = interval(flagged, m, z)
            groups.append(
                {
                    "by": f,
                    "group": jsonable(g),
                    "n": int(m),
                    "off_diagonal": int(flagged),
                    "rate": flagged / m if m else None,
                    "ci": [low, high],
                }
            )
    return groups


def _positive(labels: list[Any], pos_label: Any, label: str) -> Any:
    if pos_label is not None:
        for v in labels:
            if v == pos_label or str(v) == str(pos_label):
                return v
        raise InputError(f"pos_label {pos_label!r} is not a value of '{label}' ({labels}).")
    if all(isinstance(v, bool) for v in labels):
        return True
    if all(isinstance(v, int | float) and v in (0, 1) for v in labels):
        return 1
    raise InputError(
        f"The labels of '{label}' are {labels}, not 0/1: say which is positive with pos_label."
    )

"""Classification metrics per group, with their intervals, from confusion cells.

Rates (a weighted share of one set of cells within another) get Wilson intervals on the Kish
effective sample size ``(Σw)² / Σw²`` of their denominator (the plain count when unweighted).
Balanced accuracy and F1 are not single proportions: their intervals come from a Poisson bootstrap
of the four confusion-cell counts (each replicate rescales a cell's weight by ``Poisson(c)/c``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assay.evaluate._groups import Confusion
from assay.evaluate._limits import RATES
from assay.evaluate._stats import FloatArray, percentile_interval, wilson

#: Every classification metric from confusion cells, in report order.
CONFUSION_METRICS = (
    "prevalence",
    "selection_rate",
    "accuracy",
    "balanced_accuracy",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "ppv",
    "npv",
    "fdr",
    "for",
    "f1",
)


@dataclass
class MetricColumn:
    """One metric over the groups of a grouping: values, intervals and how they were made.

    Undefined entries are NaN in ``value`` and carry a reason in ``undefined``. ``x``/``n`` (rates)
    feed Newcombe and Katz intervals for disparities, ``replicates`` (bootstrap, shape
    ``(n_bootstrap, groups)``) and ``se`` (normal approximation) feed the others.
    """

    name: str
    value: FloatArray
    low: FloatArray
    high: FloatArray
    undefined: list[str | None]
    method: str
    x: FloatArray | None = None
    n: FloatArray | None = None
    replicates: FloatArray | None = None
    se: FloatArray | None = None
    signed: bool = False
    notes: list[str] = field(default_factory=list)


def _sum(cells: dict[str, FloatArray], names: tuple[str, ...]) -> FloatArray:
    total: FloatArray = np.sum([cells[c] for c in names], axis=0)
    return total


def rate_column(conf: Confusion, name: str, z: float) -> MetricColumn:
    """A rate with its Wilson interval."""
    num_cells, den_cells, empty = RATES[name]
    num = _sum(conf.cells, num_cells)
    den = _sum(conf.cells, den_cells)
    den_sq = _sum(conf.squares, den_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den, np.nan)
        n_eff = np.where(den_sq > 0, den * den / den_sq, 0.0)
    x_eff = np.nan_to_num(value) * n_eff
    low, high = wilson(x_eff, n_eff, z)
    undefined = [None if d > 0 else empty for d in den]
    return MetricColumn(name, value, low, high, undefined, "wilson", x=x_eff, n=n_eff)


def _composite(
    tp: FloatArray, fp: FloatArray, fn: FloatArray, tn: FloatArray
) -> dict[str, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = tp / (tp + fn)
        tnr = tn / (tn + fp)
        f1 = 2 * tp / (2 * tp + fp + fn)
    return {"balanced_accuracy": (tpr + tnr) / 2.0, "f1": f1}


def composite_columns(
    conf: Confusion, z: float, ci_level: float, n_bootstrap: int, rng: np.random.Generator
) -> list[MetricColumn]:
    """Balanced accuracy and F1 with Poisson-bootstrap percentile intervals."""
    del z  # percentile intervals do not use the normal quantile
    c = conf.cells
    point = _composite(c["tp"], c["fp"], c["fn"], c["tn"])
    scaled: dict[str, FloatArray] = {}
    for name in ("tp", "fp", "fn", "tn"):
        counts = conf.counts[name]
        draws = rng.poisson(counts, size=(n_bootstrap, counts.size)).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_w = np.where(counts > 0, c[name] / counts, 0.0)
        scaled[name] = draws * mean_w
    reps = _composite(scaled["tp"], scaled["fp"], scaled["fn"], scaled["tn"])
    columns = []
    for name, reason in (
        ("balanced_accuracy", "needs both positives and negatives"),
        ("f1", "no positives and no predicted positives"),
    ):
        value = point[name]
        low, high, _ = percentile_interval(reps[name], ci_level)
        undefined = [None if np.isfinite(v) else reason for v in value]
        columns.append(
            MetricColumn(name, value, low, high, undefined, "bootstrap", replicates=reps[name])
        )
    return columns


def confusion_columns(
    conf: Confusion, z: float, ci_level: float, n_bootstrap: int, rng: np.random.Generator
) -> dict[str, MetricColumn]:
    """Every confusion-derived metric for the groups of ``conf``, keyed by metric name."""
    columns = {name: rate_column(conf, name, z) for name in RATES}
    for col in composite_columns(conf, z, ci_level, n_bootstrap, rng):
        columns[col.name] = col
    return {name: columns[name] for name in CONFUSION_METRICS}

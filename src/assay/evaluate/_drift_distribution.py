"""The distributions a drift report draws: each column's share of rows per bin, reference and
current side by side (only when asked, ``drift(..., distributions=True)``).

A numeric column uses the bins the PSI uses (the reference's quantiles, frozen in the profile),
each labelled by the range of reference values in it; a categorical column uses its categories
(categories only the current data has are pooled as one bar).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assay.evaluate._drift_profile import NEW
from assay.evaluate._drift_sketch import CategoricalSketch, NumericSketch, Sketch
from assay.evaluate._drift_stats import bin_counts

__all__ = ["distribution"]

_MAX_BARS = 30


def _shares(counts: Any) -> list[float]:
    total = float(np.sum(counts))
    return [float(c) / total if total else 0.0 for c in counts]


def _numeric(entry: dict[str, Any], ref: NumericSketch, cur: NumericSketch) -> dict[str, Any]:
    cuts = np.asarray(entry["psi_cuts"], dtype=np.float64)
    pr, pc = bin_counts(ref.bins, cuts), bin_counts(cur.bins, cuts)
    idx = np.searchsorted(cuts, ref.bins.key, side="left")
    labels = []
    for k in range(cuts.size + 1):
        inside = idx == k
        if not inside.any():
            labels.append(f"bin {k + 1}")
            continue
        lo, hi = float(ref.bins.min[inside].min()), float(ref.bins.max[inside].max())
        labels.append(f"{lo:.4g} to {hi:.4g}")
    return {
        "binning": "the reference's quantile bins (those of the PSI)",
        "bins": labels,
        "reference": _shares(pr),
        "current": _shares(pc),
    }


def _categorical(ref: CategoricalSketch, cur: CategoricalSketch) -> dict[str, Any]:
    index = {c: i for i, c in enumerate(ref.categories)}
    r = [float(x) for x in ref.counts]
    c = [0.0] * len(r)
    new = 0.0
    for cat, count in zip(cur.categories, cur.counts, strict=True):
        if cat in index:
            c[index[cat]] += float(count)
        else:
            new += float(count)
    labels = list(ref.categories)
    if new:
        labels.append(NEW)
        r.append(0.0)
        c.append(new)
    order = sorted(range(len(labels)), key=lambda i: -(r[i] + c[i]))[:_MAX_BARS]
    rs, cs = _shares(r), _shares(c)
    return {
        "binning": "categories"
        + (f" (the {_MAX_BARS} largest)" if len(labels) > _MAX_BARS else ""),
        "bins": [labels[i] for i in order],
        "reference": [rs[i] for i in order],
        "current": [cs[i] for i in order],
    }


def distribution(entry: dict[str, Any], ref: Sketch, cur: Sketch) -> dict[str, Any]:
    """The share of rows in each bin of one column, in the reference and the current data."""
    if isinstance(ref, NumericSketch) and isinstance(cur, NumericSketch):
        return _numeric(entry, ref, cur)
    assert isinstance(ref, CategoricalSketch) and isinstance(cur, CategoricalSketch)
    return _categorical(ref, cur)

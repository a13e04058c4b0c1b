"""The group checks of data quality: differential missingness and intersectional cells.

Both read the one grouped pass over the rows (rows and missing values per group and label).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from assay.evaluate import _quality_passes as qp
from assay.evaluate._drift_stats import bh_adjust
from assay.evaluate._quality_values import interval, jsonable, key, sorted_values, text, warn


def missing_by_group(
    grouped: pl.DataFrame,
    features: list[str],
    checked: Sequence[str],
    z: float,
    alpha: float,
    gap: float,
    min_cell: int,
) -> list[dict[str, Any]]:
    """Missing rates of each column by group of each feature, tested and BH-adjusted."""
    out: list[dict[str, Any]] = []
    for f in features:
        cols = [f"{qp.MISS}{c}" for c in checked]
        table = grouped.group_by(f).agg(pl.col(qp.ROWS).sum(), *[pl.col(c).sum() for c in cols])
        order = sorted_values(table.get_column(f).to_list())
        rows = {(key(r[f])): r for r in table.iter_rows(named=True)}
        for col in checked:
            if col == f:
                continue
            entry = _missing_of_column(rows, order, col, f, z, min_cell)
            if entry is not None:
                out.append(entry)
    q = bh_adjust(np.array([e["p_value"] if e["p_value"] is not None else np.nan for e in out]))
    for e, qv in zip(out, q, strict=True):
        e["q_value"] = float(qv) if np.isfinite(qv) else None
        e["differential"] = bool(
            e["q_value"] is not None and e["q_value"] <= alpha and e["gap"] >= gap
        )
    return out


def _missing_of_column(
    rows: dict[Any, dict[str, Any]],
    order: list[Any],
    col: str,
    f: str,
    z: float,
    min_cell: int,
) -> dict[str, Any] | None:
    """One column by one feature: rates per group, chi-square of missing × group, the gap.

    ``None`` when the column has no missing value at all.
    """
    from scipy import stats as sps  # slow to import; only needed here

    groups = []
    miss = []
    size = []
    for g in order:
        r = rows[key(g)]
        k, m = float(r[f"{qp.MISS}{col}"]), float(r[qp.ROWS])
        low, high = interval(k, m, z)
        groups.append(
            {
                "group": jsonable(g),
                "n": int(m),
                "missing": int(k),
                "rate": k / m if m else None,
                "ci": [low, high],
                "small": m < min_cell,
            }
        )
        miss.append(k)
        size.append(m)
    if sum(miss) == 0:
        return None
    table2 = np.array([miss, [s - k for s, k in zip(size, miss, strict=True)]])
    keep = table2.sum(axis=0) > 0
    p = None
    stat = None
    if keep.sum() >= 2:
        res = sps.chi2_contingency(table2[:, keep])
        p, stat = float(res.pvalue), float(res.statistic)
    rates = [g["rate"] for g in groups if g["rate"] is not None and not g["small"]]
    return {
        "column": col,
        "by": f,
        "groups": groups,
        "chi_square": stat,
        "p_value": p,
        "gap": (max(rates) - min(rates)) if len(rates) > 1 else 0.0,
    }


def cells(grouped: pl.DataFrame, features: list[str], min_cell: int) -> dict[str, Any]:
    """Every intersectional cell of the features (empty ones included), small ones flagged."""
    table = grouped.group_by(features).agg(pl.col(qp.ROWS).sum())
    observed = {tuple(key(v) for v in r[:-1]): int(r[-1]) for r in table.rows()}
    levels = [sorted_values(table.get_column(f).unique().to_list()) for f in features]
    out = []
    for combo in itertools.product(*levels):
        k = observed.get(tuple(key(v) for v in combo), 0)
        out.append(
            {
                "group": {f: jsonable(v) for f, v in zip(features, combo, strict=True)},
                "n": k,
                "small": k < min_cell,
            }
        )
    return {
        "features": features,
        "cells": out,
        "n_empty": sum(1 for c in out if c["n"] == 0),
        "n_small": sum(1 for c in out if c["small"]),
        "min_cell_size": min_cell,
    }


def group_warnings(
    grouped: pl.DataFrame,
    features: list[str],
    missing: list[dict[str, Any]],
    cells_out: dict[str, Any],
    min_cell_size: int,
) -> list[dict[str, Any]]:
    """Warnings about differential missingness, small cells and (several features) small groups."""
    warnings = []
    flagged = [m for m in missing if m["differential"]]
    if flagged:
        warnings.append(
            warn(
                "differential_missingness",
                "warning",
                "Missingness differs between groups: "
                + "; ".join(
                    f"'{m['column']}' by {m['by']} (gap {m['gap']:.1%})" for m in flagged[:5]
                )
                + ".",
            )
        )
    small = [c for c in cells_out["cells"] if c["small"]]
    if small:
        warnings.append(
            warn(
                "small_cells",
                "warning",
                f"{len(small)} of {len(cells_out['cells'])} intersectional cell(s) of "
                f"{' × '.join(features)} have fewer than {min_cell_size} rows"
                + (f" ({cells_out['n_empty']} empty)" if cells_out["n_empty"] else "")
                + ".",
            )
        )
    for f in features:
        sizes = grouped.group_by(f).agg(pl.col(qp.ROWS).sum())
        tiny = [text(v) for v, k in sizes.rows() if k < min_cell_size]
        if tiny and len(features) > 1:
            warnings.append(
                warn(
                    "small_groups",
                    "warning",
                    f"Group(s) of '{f}' with fewer than {min_cell_size} rows: {', '.join(tiny)}.",
                )
            )
    return warnings

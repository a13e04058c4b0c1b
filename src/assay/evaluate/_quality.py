"""``assay.evaluate.quality``: data quality and representativeness, in a few passes over the rows.

Checks, each with its method stated in the result:

- missing values per column, per group of each protected feature, and *differential* missingness
  (chi-square test of independence of missing × group, Benjamini–Hochberg across columns and
  features, flagged when also the gap between groups reaches ``missing_gap``);
- duplicate rows, constant columns;
- type, range, allowed-value and pattern violations against a declared schema;
- label noise: feature rows that appear with conflicting labels; with out-of-sample predicted
  probabilities, the confident-learning estimate of mislabelled rows (Northcutt, Jiang & Chuang,
  2021: per-class thresholds, confident joint, calibrated to the label counts);
- class balance overall and by group (Wilson intervals);
- representativeness against population marginals (chi-square goodness of fit; Wilson intervals
  of each observed share; a category is under-represented when the upper bound of its share is
  below ``representation_ratio`` × the population share, over-represented when the lower bound
  is above the population share ÷ that ratio);
- intersectional cell counts of the protected features, with small-cell warnings.
"""

from __future__ import annotations

import itertools
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from assay._version import __version__
from assay.errors import InputError
from assay.evaluate import _quality_passes as qp
from assay.evaluate._aggregate import collect
from assay.evaluate._drift_stats import bh_adjust
from assay.evaluate._frame import (
    COLUMNS_DIGEST_OF,
    Source,
    columns_digest,
    file_digest,
    open_frame,
)
from assay.evaluate._group_limit import check_group_count
from assay.evaluate._quality_result import QUALITY_SCHEMA, QualityResult
from assay.evaluate._quality_spec import (
    OTHER_KEY,
    DataSchema,
    Population,
    load_population,
    load_schema,
)
from assay.evaluate._stats import wilson, z_value


def _type_matches(kind: str, d: Any) -> bool:
    """Whether a column of narwhals type ``d`` holds the declared ``kind``."""
    if kind == "integer":
        return bool(d.is_integer())
    if kind == "float":
        return bool(d.is_float())
    if kind == "number":
        return bool(d.is_numeric())
    if kind == "string":
        return bool(d == nw.String)
    if kind == "boolean":
        return bool(d == nw.Boolean)
    if kind == "categorical":
        return bool(d in (nw.String, nw.Boolean) or isinstance(d, nw.Enum | nw.Categorical))
    if kind == "date":
        return bool(d == nw.Date)
    return bool(isinstance(d, nw.Datetime) or d == nw.Datetime)


def quality(
    data: Any,
    *,
    sensitive_features: str | Sequence[str] | None = None,
    label: str | None = None,
    y_proba: str | Mapping[Any, str] | None = None,
    pos_label: Any = None,
    schema: Any = None,
    population: Any = None,
    columns: Sequence[str] | None = None,
    feature_columns: Sequence[str] | None = None,
    min_cell_size: int = 30,
    missing_gap: float = 0.05,
    representation_ratio: float = 0.8,
    ci_level: float = 0.95,
    alpha: float = 0.05,
    duplicates: bool = True,
    dataset_digest: str | None = None,
) -> QualityResult:
    """Check the data before trusting any metric computed on it.

    Parameters
    ----------
    data
        A path (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``) or any frame narwhals accepts.
    sensitive_features
        Protected features: missingness, class balance and cells are broken down by them.
    label
        The true label (class balance, conflicting labels, confident learning).
    y_proba
        Out-of-sample predicted probabilities (for example from cross-validation): one column of
        P(positive) for a binary label, or ``{class: column}``. In-sample probabilities make the
        confident-learning estimate far too low.
    pos_label
        The positive class of a binary label when it is not 0/1 or a boolean.
    schema
        A declared schema: a :class:`DataSchema`, a mapping or a YAML file (see
        :mod:`assay.evaluate._quality_spec`).
    population
        Population marginals: a :class:`Population`, a mapping or a YAML file.
    columns
        Columns to check for missing values and constants (default: all).
    feature_columns
        Columns that identify "the same features" for conflicting labels (default: every column
        but the label and the probabilities).
    min_cell_size
        Groups and intersectional cells with fewer rows are reported as small.
    missing_gap
        Differential missingness is flagged when significant and the gap between the groups' missing
        rates reaches this.
    representation_ratio
        See the module docstring; 0.8 follows the four-fifths convention.
    ci_level
        Confidence level of every interval.
    alpha
        False-discovery rate of the Benjamini–Hochberg procedure.
    duplicates
        Count duplicate rows and conflicting labels (two more passes; switch off for huge data).
    dataset_digest
        A digest to record instead of the one Assay computes.

    Returns
    -------
    QualityResult

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"age": [25, None, 40, 40], "sex": ["f", "m", "m", "m"],
    ...                    "y": [1, 0, 1, 1]})
    >>> result = quality(df, sensitive_features="sex", label="y", min_cell_size=2)
    >>> result.column("age")["missing"]
    1
    >>> [w["check"] for w in result.warnings]  # the last two rows are the same row
    ['missing_values', 'duplicates', 'small_cells']
    """
    features = (
        [sensitive_features]
        if isinstance(sensitive_features, str)
        else list(sensitive_features or [])
    )
    _check_options(min_cell_size, missing_gap, representation_ratio, ci_level, alpha)
    declared = load_schema(schema) if schema is not None else None
    pop = load_population(population) if population is not None else None
    source = open_frame(data)
    frame = source.frame
    try:
        dtypes = dict(frame.collect_schema())
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None
    probabilities = _probability_columns(y_proba)
    for role, cols in (
        ("sensitive_features", features),
        ("label", [label] if label else []),
        ("y_proba", list(probabilities.values())),
        ("columns", list(columns or [])),
        ("feature_columns", list(feature_columns or [])),
        ("population marginals", list(pop.marginals) if pop else []),
    ):
        for col in cols:
            if col not in dtypes:
                raise InputError(_not_in_data(col, role, dtypes))
    if probabilities and label is None:
        raise InputError("y_proba needs label: confident learning compares both.")
    checked = list(columns) if columns is not None else list(dtypes)
    z = z_value(ci_level)
    warnings: list[dict[str, Any]] = []

    rules = declared.columns if declared else {}
    colpass = qp.column_pass(frame, dtypes, checked, rules)
    n = colpass.rows
    if n == 0:
        raise InputError("The data has no rows; there is nothing to check.")

    column_entries = _columns(colpass, dtypes, checked, z)
    constant = [e["column"] for e in column_entries if e["constant"]]
    missing_cols = [e for e in column_entries if e["missing"]]
    if missing_cols:
        worst = max(missing_cols, key=lambda e: e["missing_rate"])
        warnings.append(
            _warn(
                "missing_values",
                "info" if worst["missing_rate"] < 0.05 else "warning",
                f"{len(missing_cols)} column(s) have missing values; the most is "
                f"'{worst['column']}' with {worst['missing']} of {n} "
                f"({worst['missing_rate']:.1%}).",
            )
        )
    if constant:
        warnings.append(
            _warn("constant_columns", "warning", f"Constant column(s): {', '.join(constant)}.")
        )

    schema_out = _schema_check(declared, colpass, dtypes, n) if declared else None
    if schema_out and schema_out["violations"]:
        warnings.append(
            _warn(
                "schema",
                "error",
                f"{len(schema_out['violations'])} violation(s) of the declared schema: "
                + "; ".join(v["message"] for v in schema_out["violations"][:5])
                + ("; ..." if len(schema_out["violations"]) > 5 else ""),
            )
        )

    dup_out: dict[str, Any] | None = None
    if duplicates:
        distinct = qp.distinct_rows(frame, list(dtypes))
        dup_out = {"rows": n - distinct, "rate": (n - distinct) / n, "distinct_rows": distinct}
        if n - distinct:
            warnings.append(
                _warn(
                    "duplicates",
                    "warning",
                    f"{n - distinct} duplicate row(s) ({(n - distinct) / n:.1%} of {n}).",
                )
            )

    keys = [*features, *([label] if label else [])]
    grouped = qp.grouped_pass(frame, dtypes, keys, checked) if keys else None
    for f in features:
        assert grouped is not None
        check_group_count(f, grouped.get_column(f).n_unique())

    label_out = None
    if label:
        assert grouped is not None
        label_out = _label_section(grouped, label, features, z, min_cell_size)
        features_for_conflicts = (
            list(feature_columns)
            if feature_columns
            else [c for c in dtypes if c != label and c not in probabilities.values()]
        )
        if duplicates and features_for_conflicts:
            groups, rows = qp.conflicting_labels(frame, features_for_conflicts, label)
            label_out["conflicting"] = {
                "feature_columns": features_for_conflicts,
                "feature_rows": groups,
                "rows": rows,
                "rate": rows / n,
            }
            if rows:
                warnings.append(
                    _warn(
                        "conflicting_labels",
                        "warning",
                        f"{rows} row(s) ({rows / n:.1%}) share their features with a row of "
                        f"another label ({groups} distinct feature rows).",
                    )
                )
        if probabilities:
            cl = _confident_learning(
                frame, dtypes, label, probabilities, pos_label, y_proba, features, z
            )
            label_out["confident_learning"] = cl
            if cl["estimated_issues_rate"] >= 0.05:
                warnings.append(
                    _warn(
                        "label_noise",
                        "warning",
                        f"Confident learning estimates {cl['estimated_issues']:.0f} mislabelled "
                        f"row(s) ({cl['estimated_issues_rate']:.1%}).",
                    )
                )

    missing_by_group: list[dict[str, Any]] = []
    cells_out = None
    if features:
        assert grouped is not None
        missing_by_group = _missing_by_group(
            grouped, features, checked, z, alpha, missing_gap, min_cell_size
        )
        flagged = [m for m in missing_by_group if m["differential"]]
        if flagged:
            warnings.append(
                _warn(
                    "differential_missingness",
                    "warning",
                    "Missingness differs between groups: "
                    + "; ".join(
                        f"'{m['column']}' by {m['by']} (gap {m['gap']:.1%})" for m in flagged[:5]
                    )
                    + ".",
                )
            )
        cells_out = _cells(grouped, features, min_cell_size)
        small = [c for c in cells_out["cells"] if c["small"]]
        if small:
            warnings.append(
                _warn(
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
            tiny = [_text(v) for v, k in sizes.rows() if k < min_cell_size]
            if tiny and len(features) > 1:
                warnings.append(
                    _warn(
                        "small_groups",
                        "warning",
                        f"Group(s) of '{f}' with fewer than {min_cell_size} rows: "
                        f"{', '.join(tiny)}.",
                    )
                )

    repr_out: list[dict[str, Any]] = []
    if pop is not None:
        counts = qp.category_counts(frame, list(pop.marginals))
        repr_out = _representativeness(pop, counts, z, alpha, representation_ratio)
        for r in repr_out:
            under = [c["category"] for c in r["categories"] if c["status"] == "under"]
            if under or r["significant"]:
                warnings.append(
                    _warn(
                        "representativeness",
                        "warning",
                        f"'{r['feature']}' differs from {pop.source}"
                        + (f" (goodness of fit {_q_text(r['q_value'])})" * bool(r["significant"]))
                        + (f"; under-represented: {', '.join(under)}" if under else "")
                        + ".",
                    )
                )

    payload: dict[str, Any] = {
        "schema": QUALITY_SCHEMA,
        "n": n,
        "columns": column_entries,
        "constant_columns": constant,
        "duplicates": dup_out,
        "schema_check": schema_out,
        "label": label_out,
        "missingness_by_group": missing_by_group,
        "cells": cells_out,
        "representativeness": repr_out,
        "warnings": warnings,
        "summary": {
            "n_warnings": len(warnings),
            "errors": sum(1 for w in warnings if w["severity"] == "error"),
            "checks": sorted({w["check"] for w in warnings}),
        },
        "methods": _methods(ci_level, alpha, missing_gap, representation_ratio),
        "params": {
            "sensitive_features": features,
            "label": label,
            "y_proba": _jsonable(y_proba),
            "pos_label": _jsonable(pos_label),
            "schema": declared.model_dump(mode="json") if declared else None,
            "population": pop.model_dump(mode="json") if pop else None,
            "columns": checked,
            "min_cell_size": min_cell_size,
            "missing_gap": missing_gap,
            "representation_ratio": representation_ratio,
            "ci_level": ci_level,
            "alpha": alpha,
            "duplicates": duplicates,
        },
        "provenance": _provenance(source, list(dtypes), dataset_digest),
    }
    return QualityResult(payload)


def _check_options(
    min_cell_size: int, missing_gap: float, ratio: float, ci_level: float, alpha: float
) -> None:
    if min_cell_size < 1:
        raise InputError(f"min_cell_size must be at least 1, got {min_cell_size}.")
    if not 0 <= missing_gap < 1:
        raise InputError(f"missing_gap must be in [0, 1), got {missing_gap}.")
    if not 0 < ratio <= 1:
        raise InputError(f"representation_ratio must be in (0, 1], got {ratio}.")
    if not 0.5 <= ci_level < 1:
        raise InputError(f"ci_level must be in [0.5, 1), got {ci_level}.")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}.")


def _not_in_data(col: str, role: str, schema: Mapping[str, Any]) -> str:
    listing = ", ".join(list(schema)[:40]) + (" ..." if len(schema) > 40 else "")
    return f"The column '{col}' named in {role} is not in the data. Columns are: {listing}."


def _probability_columns(y_proba: str | Mapping[Any, str] | None) -> dict[Any, str]:
    if y_proba is None:
        return {}
    if isinstance(y_proba, str):
        return {1: y_proba}
    if len(y_proba) < 2:
        raise InputError("y_proba as a mapping needs a column for each of at least two classes.")
    return dict(y_proba)


def _warn(check: str, severity: str, message: str) -> dict[str, Any]:
    return {"check": check, "severity": severity, "message": message}


def _q_text(q: float) -> str:
    """A q-value for a message; one that underflows double precision is shown as a bound."""
    return "q < 1e-300" if q < 1e-300 else f"q = {q:.3g}"


def _text(value: Any) -> str:
    return "(missing)" if value is None else str(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _interval(x: float, n: float, z: float) -> tuple[float | None, float | None]:
    low, high = wilson(np.array([x], dtype=np.float64), np.array([n], dtype=np.float64), z)
    lo, hi = float(low[0]), float(high[0])
    return (lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None)


def _columns(
    colpass: qp.ColumnPass, dtypes: Mapping[str, Any], checked: Sequence[str], z: float
) -> list[dict[str, Any]]:
    n = colpass.rows
    out = []
    for col in checked:
        miss = colpass.missing[col]
        low, high = _interval(miss, n, z)
        lo, hi = colpass.min.get(col), colpass.max.get(col)
        all_missing = miss == n
        orderable = col in colpass.min and lo is not None
        out.append(
            {
                "column": col,
                "dtype": str(dtypes[col]),
                "missing": miss,
                "missing_rate": miss / n,
                "missing_ci": [low, high],
                "nan": colpass.nan.get(col),
                "min": _jsonable(lo),
                "max": _jsonable(hi),
                "constant": bool(all_missing or (orderable and lo == hi)),
            }
        )
    return out


def _schema_check(
    declared: DataSchema, colpass: qp.ColumnPass, dtypes: Mapping[str, Any], n: int
) -> dict[str, Any]:
    violations: list[dict[str, Any]] = []

    def add(col: str, check: str, count: int, message: str) -> None:
        violations.append(
            {"column": col, "check": check, "count": count, "rate": count / n, "message": message}
        )

    for col, rule in declared.columns.items():
        if col not in dtypes:
            if rule.required:
                add(col, "required", n, f"'{col}' is declared but not in the data")
            continue
        dtype = dtypes[col]
        if rule.type is not None and not _type_matches(rule.type, dtype):
            add(col, "type", n, f"'{col}' should be {rule.type} but is {dtype}")
        if not rule.nullable:
            miss = colpass.missing.get(col)
            if miss is None:
                miss = 0
            if miss:
                add(
                    col,
                    "nullable",
                    miss,
                    f"'{col}' has {miss} missing value(s) but is not nullable",
                )
        for check, bound, word in (("min", rule.min, "below"), ("max", rule.max, "above")):
            count = colpass.violations.get((col, check), 0)
            if count:
                add(col, check, count, f"'{col}' has {count} value(s) {word} {bound}")
        count = colpass.violations.get((col, "allowed"), 0)
        if count:
            add(col, "allowed", count, f"'{col}' has {count} value(s) outside the allowed values")
        count = colpass.violations.get((col, "pattern"), 0)
        if count:
            add(
                col, "pattern", count, f"'{col}' has {count} value(s) not matching {rule.pattern!r}"
            )
        bounded = rule.min is not None or rule.max is not None
        if rule.type is None and bounded and not dtype.is_numeric():
            add(col, "type", n, f"'{col}' has min/max rules but is {dtype}, not numeric")
    if not declared.allow_extra_columns:
        for col in dtypes:
            if col not in declared.columns:
                add(col, "extra", 0, f"'{col}' is in the data but not declared")
    return {
        "passed": not violations,
        "violations": violations,
        "columns_declared": len(declared.columns),
    }


def _sorted_values(values: Sequence[Any]) -> list[Any]:
    return sorted(
        values, key=lambda v: (v is None, str(type(v).__name__), v if v is not None else 0)
    )


def _label_section(
    grouped: pl.DataFrame, label: str, features: list[str], z: float, min_cell: int
) -> dict[str, Any]:
    overall = grouped.group_by(label).agg(pl.col(qp.ROWS).sum())
    n = float(overall.get_column(qp.ROWS).sum())
    classes = []
    for value in _sorted_values(overall.get_column(label).to_list()):
        k = float(overall.filter(_eq(label, value)).get_column(qp.ROWS).sum())
        low, high = _interval(k, n, z)
        classes.append({"class": _jsonable(value), "n": int(k), "share": k / n, "ci": [low, high]})
    present = [c["n"] for c in classes if c["class"] is not None]
    by_group = []
    for f in features:
        table = grouped.group_by([f, label]).agg(pl.col(qp.ROWS).sum())
        for g in _sorted_values(table.get_column(f).unique().to_list()):
            sub = table.filter(_eq(f, g))
            total = float(sub.get_column(qp.ROWS).sum())
            shares = []
            for value in _sorted_values(sub.get_column(label).to_list()):
                k = float(sub.filter(_eq(label, value)).get_column(qp.ROWS).sum())
                low, high = _interval(k, total, z)
                shares.append(
                    {
                        "class": _jsonable(value),
                        "n": int(k),
                        "share": k / total,
                        "ci": [low, high],
                        "small": k < min_cell,
                    }
                )
            by_group.append({"by": f, "group": _jsonable(g), "n": int(total), "classes": shares})
    return {
        "column": label,
        "classes": classes,
        "imbalance_ratio": (min(present) / max(present)) if len(present) > 1 else None,
        "by_group": by_group,
        "conflicting": None,
        "confident_learning": None,
    }


def _eq(col: str, value: Any) -> pl.Expr:
    return pl.col(col).is_null() if value is None else pl.col(col) == value


def _missing_by_group(
    grouped: pl.DataFrame,
    features: list[str],
    checked: Sequence[str],
    z: float,
    alpha: float,
    gap: float,
    min_cell: int,
) -> list[dict[str, Any]]:
    from scipy import stats as sps  # slow to import; only needed here

    out: list[dict[str, Any]] = []
    for f in features:
        cols = [f"{qp.MISS}{c}" for c in checked]
        table = grouped.group_by(f).agg(pl.col(qp.ROWS).sum(), *[pl.col(c).sum() for c in cols])
        order = _sorted_values(table.get_column(f).to_list())
        rows = {(_key(r[f])): r for r in table.iter_rows(named=True)}
        for col in checked:
            if col == f:
                continue
            groups = []
            miss = []
            size = []
            for g in order:
                r = rows[_key(g)]
                k, m = float(r[f"{qp.MISS}{col}"]), float(r[qp.ROWS])
                low, high = _interval(k, m, z)
                groups.append(
                    {
                        "group": _jsonable(g),
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
                continue
            table2 = np.array([miss, [s - k for s, k in zip(size, miss, strict=True)]])
            keep = table2.sum(axis=0) > 0
            p = None
            stat = None
            if keep.sum() >= 2:
                res = sps.chi2_contingency(table2[:, keep])
                p, stat = float(res.pvalue), float(res.statistic)
            rates = [g["rate"] for g in groups if g["rate"] is not None and not g["small"]]
            out.append(
                {
                    "column": col,
                    "by": f,
                    "groups": groups,
                    "chi_square": stat,
                    "p_value": p,
                    "gap": (max(rates) - min(rates)) if len(rates) > 1 else 0.0,
                }
            )
    q = bh_adjust(np.array([e["p_value"] if e["p_value"] is not None else np.nan for e in out]))
    for e, qv in zip(out, q, strict=True):
        e["q_value"] = float(qv) if np.isfinite(qv) else None
        e["differential"] = bool(
            e["q_value"] is not None and e["q_value"] <= alpha and e["gap"] >= gap
        )
    return out


def _key(value: Any) -> Any:
    return ("__none__",) if value is None else value


def _cells(grouped: pl.DataFrame, features: list[str], min_cell: int) -> dict[str, Any]:
    table = grouped.group_by(features).agg(pl.col(qp.ROWS).sum())
    observed = {tuple(_key(v) for v in r[:-1]): int(r[-1]) for r in table.rows()}
    levels = [_sorted_values(table.get_column(f).unique().to_list()) for f in features]
    cells = []
    for combo in itertools.product(*levels):
        k = observed.get(tuple(_key(v) for v in combo), 0)
        cells.append(
            {
                "group": {f: _jsonable(v) for f, v in zip(features, combo, strict=True)},
                "n": k,
                "small": k < min_cell,
            }
        )
    return {
        "features": features,
        "cells": cells,
        "n_empty": sum(1 for c in cells if c["n"] == 0),
        "n_small": sum(1 for c in cells if c["small"]),
        "min_cell_size": min_cell,
    }


def _representativeness(
    pop: Population, counts: dict[str, pl.DataFrame], z: float, alpha: float, ratio: float
) -> list[dict[str, Any]]:
    from scipy import stats as sps  # slow to import; only needed here

    out: list[dict[str, Any]] = []
    for feature, shares in pop.marginals.items():
        table = counts[feature]
        observed = {r[0]: int(r[1]) for r in table.rows()}
        missing = observed.pop(None, 0)
        listed = [c for c in shares if c != OTHER_KEY]
        unlisted = {c: k for c, k in observed.items() if c not in shares}
        cats = list(listed)
        obs = [float(observed.get(c, 0)) for c in listed]
        exp_share = [shares[c] for c in listed]
        excluded = 0
        if OTHER_KEY in shares:
            cats.append(OTHER_KEY)
            obs.append(float(sum(unlisted.values())))
            exp_share.append(shares[OTHER_KEY])
        else:
            excluded = sum(unlisted.values())
        n = float(sum(obs))
        rows = []
        for c, k, share_e in zip(cats, obs, exp_share, strict=True):
            low, high = _interval(k, n, z)
            share = k / n if n else None
            status = "ok"
            if high is not None and high < ratio * share_e:
                status = "under"
            elif low is not None and share_e > 0 and low > share_e / ratio:
                status = "over"
            rows.append(
                {
                    "category": c,
                    "observed": int(k),
                    "share": share,
                    "ci": [low, high],
                    "population_share": share_e,
                    "ratio": (share / share_e) if share is not None and share_e > 0 else None,
                    "status": status,
                }
            )
        stat = p = None
        if n > 0:
            expected = np.asarray(exp_share) * n
            positive = expected > 0
            res = sps.chisquare(
                np.asarray(obs)[positive], expected[positive] * (n / expected[positive].sum())
            )
            stat, p = float(res.statistic), float(res.pvalue)
        out.append(
            {
                "feature": feature,
                "source": pop.source,
                "year": pop.year,
                "n": int(n),
                "missing": missing,
                "excluded_unlisted": {"rows": excluded, "categories": sorted(unlisted)[:20]}
                if excluded
                else None,
                "categories": rows,
                "chi_square": stat,
                "dof": len(cats) - 1,
                "p_value": p,
            }
        )
    q = bh_adjust(np.array([e["p_value"] if e["p_value"] is not None else np.nan for e in out]))
    for e, qv in zip(out, q, strict=True):
        e["q_value"] = float(qv) if np.isfinite(qv) else None
        e["significant"] = bool(e["q_value"] is not None and e["q_value"] <= alpha)
    return out


def _confident_learning(
    frame: nw.LazyFrame[Any],
    dtypes: Mapping[str, Any],
    label: str,
    probabilities: dict[Any, str],
    pos_label: Any,
    y_proba: str | Mapping[Any, str] | None,
    features: list[str],
    z: float,
) -> dict[str, Any]:
    for col in probabilities.values():
        if not dtypes[col].is_numeric():
            raise InputError(f"y_proba '{col}' must be numeric; it is {dtypes[col]}.")
    work = frame
    if isinstance(y_proba, str):
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
        probabilities = {negative: neg_col, positive: y_proba}
    classes = list(probabilities)
    thresholds_table = qp.class_thresholds(work, label, probabilities)
    by_class = {r[label]: r for r in thresholds_table.iter_rows(named=True)}
    unknown = [k for k in by_class if k not in probabilities]
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
    joint = qp.confident_joint(work, label, probabilities, thresholds, features)
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}

    def matrix(sub: pl.DataFrame) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        c = np.zeros((k, k))
        given = np.zeros(k)
        for r in sub.iter_rows(named=True):
            i = index[r[label]]
            given[i] += r[qp.ROWS]
            if r[qp.JSTAR] is not None:
                c[i, int(r[qp.JSTAR])] += r[qp.ROWS]
        return c, given

    c, given = matrix(joint)
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
    groups = []
    for f in features:
        for g in _sorted_values(joint.get_column(f).unique().to_list()):
            cg, gg = matrix(joint.filter(_eq(f, g)))
            m = float(gg.sum())
            flagged = float(cg.sum() - np.trace(cg))
            low, high = _interval(flagged, m, z)
            groups.append(
                {
                    "by": f,
                    "group": _jsonable(g),
                    "n": int(m),
                    "off_diagonal": int(flagged),
                    "rate": flagged / m if m else None,
                    "ci": [low, high],
                }
            )
    return {
        "classes": [_jsonable(c) for c in classes],
        "thresholds": thresholds,
        "confident_joint": c.astype(int).tolist(),
        "joint": q.tolist(),
        "estimated_issues": off * n,
        "estimated_issues_rate": off,
        "off_diagonal_rows": int(off_counted),
        "by_group": groups,
        "note": "Needs out-of-sample probabilities (cross-validated or from a held-out model); "
        "rows of the confident joint are the given labels, columns the confident classes.",
    }


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


def _methods(ci_level: float, alpha: float, gap: float, ratio: float) -> dict[str, str]:
    level = f"{ci_level:.0%}"
    return {
        "rates": f"{level} Wilson score intervals",
        "differential missingness": (
            "chi-square test of independence of missing × group per column and feature, "
            f"Benjamini–Hochberg at {alpha}; flagged when also the gap between groups "
            f"(groups of at least min_cell_size rows) is at least {gap}"
        ),
        "representativeness": (
            "chi-square goodness of fit against the population shares, Benjamini–Hochberg across "
            f"features at {alpha}; a category is under-represented when the upper bound of its "
            f"share is below {ratio} × the population share"
        ),
        "label noise": (
            "conflicting labels: feature rows seen with more than one label; confident learning "
            "(Northcutt et al. 2021): per-class mean predicted probability as threshold, "
            "confident joint calibrated to the label counts, estimated issues = n × its "
            "off-diagonal mass"
        ),
        "constant": "minimum equals maximum over the non-missing values (or every value missing)",
        "duplicates": "rows minus distinct rows over every column",
    }


def _provenance(source: Source, columns: list[str], digest: str | None) -> dict[str, Any]:
    dataset: dict[str, Any] = {"engine": source.engine, "columns": columns}
    if digest is not None:
        dataset |= {"digest": digest, "digest_of": "given by the caller"}
    elif source.path is not None:
        dataset |= {
            "digest": file_digest(source.path),
            "digest_of": "file bytes",
            "path": str(source.path),
        }
    elif source.eager_native is not None:
        dataset |= {
            "digest": columns_digest(source.eager_native, columns),
            "digest_of": COLUMNS_DIGEST_OF,
        }
    return {
        "assay_version": __version__,
        "python": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": dataset,
    }

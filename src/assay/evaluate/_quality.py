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

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from assay import __version__
from assay.errors import InputError
from assay.evaluate import _quality_passes as qp
from assay.evaluate._frame import (
    COLUMNS_DIGEST_OF,
    Source,
    columns_digest,
    file_digest,
    open_frame,
)
from assay.evaluate._group_limit import check_group_count
from assay.evaluate._quality_columns import (
    column_entries,
    column_warnings,
    schema_check,
    schema_warnings,
)
from assay.evaluate._quality_groups import cells, group_warnings, missing_by_group
from assay.evaluate._quality_labels import (
    confident_learning,
    conflicting_labels,
    label_noise_warnings,
    label_section,
)
from assay.evaluate._quality_representation import (
    representativeness,
    representativeness_warnings,
)
from assay.evaluate._quality_result import (
    QUALITY_SCHEMA,
    QualityFindings,
    QualityPayload,
    QualityResult,
)
from assay.evaluate._quality_spec import (
    DataSchema,
    Population,
    load_population,
    load_schema,
)
from assay.evaluate._quality_values import jsonable, warn
from assay.evaluate._stats import z_value


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

    # The request holds every parameter by name; at this point locals() holds just them.
    return _check(_Request(**locals()))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`quality`, one for one."""

    data: Any
    sensitive_features: str | Sequence[str] | None
    label: str | None
    y_proba: str | Mapping[Any, str] | None
    pos_label: Any
    schema: Any
    population: Any
    columns: Sequence[str] | None
    feature_columns: Sequence[str] | None
    min_cell_size: int
    missing_gap: float
    representation_ratio: float
    ci_level: float
    alpha: float
    duplicates: bool
    dataset_digest: str | None


@dataclass(frozen=True)
class _Inputs:
    """The request checked: options valid, specs loaded, every named column in the data."""

    request: _Request
    features: list[str]
    declared: DataSchema | None
    pop: Population | None
    source: Source
    dtypes: dict[str, Any]
    probabilities: dict[Any, str]
    checked: list[str]
    z: float


def _check(request: _Request) -> QualityResult:
    """Run the checks in order; each appends its warnings after those of the checks before it."""
    inputs = _prepare(request)
    colpass = qp.column_pass(
        inputs.source.frame,
        inputs.dtypes,
        inputs.checked,
        inputs.declared.columns if inputs.declared else {},
    )
    n = colpass.rows
    if n == 0:
        raise InputError("The data has no rows; there is nothing to check.")
    entries = column_entries(colpass, inputs.dtypes, inputs.checked, inputs.z)
    warnings = column_warnings(entries, n)
    schema_out = (
        schema_check(inputs.declared, colpass, inputs.dtypes, n) if inputs.declared else None
    )
    warnings += schema_warnings(schema_out)
    dup_out = _duplicates(inputs, n, warnings) if request.duplicates else None
    grouped = _grouped_pass(inputs)
    label_out = _label(inputs, grouped, n, warnings) if request.label else None
    missing: list[dict[str, Any]] = []
    cells_out = None
    if inputs.features:
        assert grouped is not None
        missing, cells_out = _groups(inputs, grouped, warnings)
    repr_out: list[dict[str, Any]] = []
    if inputs.pop is not None:
        counts = qp.category_counts(inputs.source.frame, list(inputs.pop.marginals))
        repr_out = representativeness(
            inputs.pop, counts, inputs.z, request.alpha, request.representation_ratio
        )
        warnings += representativeness_warnings(repr_out, inputs.pop.source)
    sections: QualityFindings = {
        "n": n,
        "columns": entries,
        "constant_columns": [e["column"] for e in entries if e["constant"]],
        "duplicates": dup_out,
        "schema_check": schema_out,
        "label": label_out,
        "missingness_by_group": missing,
        "cells": cells_out,
        "representativeness": repr_out,
        "warnings": warnings,
    }
    return QualityResult(_payload(inputs, sections))


def _prepare(request: _Request) -> _Inputs:
    features = (
        [request.sensitive_features]
        if isinstance(request.sensitive_features, str)
        else list(request.sensitive_features or [])
    )
    _check_options(
        request.min_cell_size,
        request.missing_gap,
        request.representation_ratio,
        request.ci_level,
        request.alpha,
    )
    declared = load_schema(request.schema) if request.schema is not None else None
    pop = load_population(request.population) if request.population is not None else None
    source = open_frame(request.data)
    try:
        dtypes = dict(source.frame.collect_schema())
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None
    probabilities = _probability_columns(request.y_proba)
    label = request.label
    for role, cols in (
        ("sensitive_features", features),
        ("label", [label] if label else []),
        ("y_proba", list(probabilities.values())),
        ("columns", list(request.columns or [])),
        ("feature_columns", list(request.feature_columns or [])),
        ("population marginals", list(pop.marginals) if pop else []),
    ):
        for col in cols:
            if col not in dtypes:
                raise InputError(_not_in_data(col, role, dtypes))
    if probabilities and label is None:
        raise InputError("y_proba needs label: confident learning compares both.")
    checked = list(request.columns) if request.columns is not None else list(dtypes)
    return _Inputs(
        request=request,
        features=features,
        declared=declared,
        pop=pop,
        source=source,
        dtypes=dtypes,
        probabilities=probabilities,
        checked=checked,
        z=z_value(request.ci_level),
    )


def _duplicates(inputs: _Inputs, n: int, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    distinct = qp.distinct_rows(inputs.source.frame, list(inputs.dtypes))
    if n - distinct:
        warnings.append(
            warn(
                "duplicates",
                "warning",
                f"{n - distinct} duplicate row(s) ({(n - distinct) / n:.1%} of {n}).",
            )
        )
    return {"rows": n - distinct, "rate": (n - distinct) / n, "distinct_rows": distinct}


def _grouped_pass(inputs: _Inputs) -> pl.DataFrame | None:
    """Rows and missing values per group and label; refuses features with too many groups."""
    label = inputs.request.label
    keys = [*inputs.features, *([label] if label else [])]
    if not keys:
        return None
    grouped = qp.grouped_pass(inputs.source.frame, inputs.dtypes, keys, inputs.checked)
    for f in inputs.features:
        check_group_count(f, grouped.get_column(f).n_unique())
    return grouped


def _label(
    inputs: _Inputs, grouped: pl.DataFrame | None, n: int, warnings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Class balance, then conflicting labels and confident learning when asked for."""
    request = inputs.request
    label = request.label
    assert grouped is not None and label is not None
    out = label_section(grouped, label, inputs.features, inputs.z, request.min_cell_size)
    features_for_conflicts = (
        list(request.feature_columns)
        if request.feature_columns
        else [c for c in inputs.dtypes if c != label and c not in inputs.probabilities.values()]
    )
    if request.duplicates and features_for_conflicts:
        out["conflicting"], found = conflicting_labels(
            inputs.source.frame, features_for_conflicts, label, n
        )
        warnings += found
    if inputs.probabilities:
        cl = confident_learning(
            inputs.source.frame,
            inputs.dtypes,
            label,
            inputs.probabilities,
            request.pos_label,
            request.y_proba,
            inputs.features,
            inputs.z,
        )
        out["confident_learning"] = cl
        warnings += label_noise_warnings(cl)
    return out


def _groups(
    inputs: _Inputs, grouped: pl.DataFrame, warnings: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Differential missingness and intersectional cells of the sensitive features."""
    request = inputs.request
    missing = missing_by_group(
        grouped,
        inputs.features,
        inputs.checked,
        inputs.z,
        request.alpha,
        request.missing_gap,
        request.min_cell_size,
    )
    cells_out = cells(grouped, inputs.features, request.min_cell_size)
    warnings += group_warnings(grouped, inputs.features, missing, cells_out, request.min_cell_size)
    return missing, cells_out


def _payload(inputs: _Inputs, sections: QualityFindings) -> QualityPayload:
    request = inputs.request
    warnings = sections["warnings"]
    return {
        "schema": QUALITY_SCHEMA,
        **sections,
        "summary": {
            "n_warnings": len(warnings),
            "errors": sum(1 for w in warnings if w["severity"] == "error"),
            "checks": sorted({w["check"] for w in warnings}),
        },
        "methods": _methods(
            request.ci_level, request.alpha, request.missing_gap, request.representation_ratio
        ),
        "params": {
            "sensitive_features": inputs.features,
            "label": request.label,
            "y_proba": jsonable(request.y_proba),
            "pos_label": jsonable(request.pos_label),
            "schema": inputs.declared.model_dump(mode="json") if inputs.declared else None,
            "population": inputs.pop.model_dump(mode="json") if inputs.pop else None,
            "columns": inputs.checked,
            "min_cell_size": request.min_cell_size,
            "missing_gap": request.missing_gap,
            "representation_ratio": request.representation_ratio,
            "ci_level": request.ci_level,
            "alpha": request.alpha,
            "duplicates": request.duplicates,
        },
        "provenance": _provenance(inputs.source, list(inputs.dtypes), request.dataset_digest),
    }


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

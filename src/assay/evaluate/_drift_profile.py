"""The reference profile: built once from the training (or launch) data, frozen, reused for drift.

A profile holds, per column, what drift needs and nothing that grows with the rows: for a numeric
column its summary, a fine equal-width grid with count, sum, min and max per cell,
the frozen PSI bins (reference deciles snapped to the grid) and, for a dataset of at most
``exact_rows`` rows, its exact value counts; for a categorical column the count of each category
(the ``max_categories`` most frequent; the rest pooled). The same is kept for each group of every
protected feature. It is JSON (schema ``assay.drift-profile/v1``) so it can be stored as evidence.
"""

from __future__ import annotations

import copy
import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, cast

import narwhals as nw
import numpy as np

from assay import __version__
from assay.canonical import content_digest as canonical_digest
from assay.errors import InputError
from assay.evaluate._drift_sketch import (
    Bins,
    CategoricalSketch,
    Grid,
    NumericSketch,
    Sketch,
    Summary,
    Values,
    make_grid,
    sketch,
    summarise,
)
from assay.evaluate._drift_stats import decile_cuts
from assay.evaluate._frame import (
    COLUMNS_DIGEST_OF,
    Source,
    columns_digest,
    file_digest,
    open_frame,
)
from assay.evaluate._group_limit import check_group_counts
from assay.result import Result

PROFILE_SCHEMA = "assay.drift-profile/v1"
#: Fine cells of the numeric grid.
DEFAULT_BINS = 2000
#: Frozen bins of PSI and Jensen–Shannon for numeric columns (reference deciles).
DEFAULT_PSI_BINS = 10
#: Datasets up to this many rows keep exact value counts (KS and Wasserstein then equal scipy).
DEFAULT_EXACT_ROWS = 10_000
#: Categories kept per categorical column; the rest are pooled into OTHER.
DEFAULT_MAX_CATEGORIES = 1000
#: A protected feature with more distinct values than this is not a grouping.
OTHER = "(other)"
NEW = "(new)"
ROLES = ("feature", "prediction", "label")


def column_kind(dtype: Any) -> str | None:
    """``numeric``, ``categorical``, or None for a type drift does not handle."""
    if dtype == nw.Boolean:
        return "categorical"
    if dtype.is_numeric():
        return "numeric"
    if dtype in (nw.String, nw.Categorical, nw.Enum) or isinstance(dtype, nw.Enum | nw.Categorical):
        return "categorical"
    return None


class ProfilePayload(TypedDict):
    """The ``assay.drift-profile/v1`` payload."""

    schema: str
    n: int
    columns: dict[str, dict[str, Any]]
    groups: list[dict[str, Any]]
    notes: list[str]
    params: dict[str, Any]
    digest: str
    provenance: dict[str, Any]


class ReferenceProfile(Result[ProfilePayload]):
    """A frozen description of the reference data, in the ``assay.drift-profile/v1`` schema.

    Build it with :func:`assay.evaluate.reference_profile`; pass it to
    :func:`assay.evaluate.drift` instead of the reference data; save it with :meth:`to_json`
    (for example as evidence) and load it back with :meth:`from_json`.
    """

    SCHEMA = PROFILE_SCHEMA
    Payload = ProfilePayload
    NOUN = "profile"

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"ReferenceProfile(n={p['n']}, columns={len(p['columns'])}, "
            f"sensitive_features={p['params']['sensitive_features']!r})"
        )

    @classmethod
    def load(cls, path: str | Path) -> ReferenceProfile:
        """Read a profile saved with :meth:`save`."""
        p = Path(path)
        if not p.exists():
            from assay.errors import NotFoundError

            raise NotFoundError(f"The profile file '{p}' does not exist.")
        return cls.from_json(p.read_text(encoding="utf-8"))

    def save(self, path: str | Path) -> Path:
        """Write the profile as JSON (atomically) and return the path."""
        p = Path(path)
        tmp = p.with_name(p.name + ".part")
        tmp.write_text(self.to_json(indent=None), encoding="utf-8")
        tmp.replace(p)
        return p

    def to_json(self, *, indent: int | None = None) -> str:
        """The profile as JSON text (compact unless ``indent`` is given)."""
        return super().to_json(indent=indent)

    @property
    def digest(self) -> str:
        """sha256 of the profile's reproducible content (see :func:`content_digest`)."""
        return str(self._payload["digest"])

    def view(self) -> dict[str, Any]:
        """The payload itself, read-only by convention (no copy, for internal readers)."""
        return cast(dict[str, Any], self._payload)

    @property
    def n(self) -> int:
        """Rows of the reference."""
        return int(self._payload["n"])

    @property
    def columns(self) -> list[str]:
        """Columns profiled, in order."""
        return list(self._payload["columns"])

    @property
    def sensitive_features(self) -> list[str]:
        """Protected features whose groups are profiled separately."""
        return list(self._payload["params"]["sensitive_features"])

    def column(self, name: str) -> dict[str, Any]:
        """The stored description of one column."""
        if name not in self._payload["columns"]:
            raise InputError(
                f"The profile has no column '{name}'; it has: {', '.join(self.columns)}."
            )
        return copy.deepcopy(self._payload["columns"][name])


def reference_profile(
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    sensitive_features: str | Sequence[str] | None = None,
    prediction: str | None = None,
    label: str | None = None,
    bins: int = DEFAULT_BINS,
    psi_bins: int = DEFAULT_PSI_BINS,
    exact_rows: int = DEFAULT_EXACT_ROWS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    dataset_digest: str | None = None,
) -> ReferenceProfile:
    """Profile the reference data once, for every later drift check.

    Two passes over the rows, each run by the engine that holds the data: a summary of the numeric
    columns (which fixes each column's grid), then one union of small per-column aggregations.

    Parameters
    ----------
    data
        A path (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``) or any frame narwhals accepts.
    columns
        Columns to profile; by default every numeric, boolean and text column.
    sensitive_features
        Protected features; each group of each feature gets its own profile, for drift by group.
    prediction, label
        The model's prediction (score or label) and the true label: profiled like the others and
        reported as prediction drift and label drift.
    bins
        Fine cells of the numeric grid (mean ± 6 sd, clipped to the data).
    psi_bins
        Frozen bins of PSI and Jensen–Shannon for numeric columns (reference quantiles).
    exact_rows
        A reference of at most this many rows also keeps exact value counts.
    max_categories
        Categories kept per categorical column; less frequent ones are pooled.
    dataset_digest
        A digest to record instead of the one Assay computes.

    Returns
    -------
    ReferenceProfile

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"age": [21, 35, 35, 50], "sex": ["f", "m", "f", "m"]})
    >>> profile = reference_profile(df)
    >>> profile.n, profile.columns
    (4, ['age', 'sex'])
    >>> profile.column("sex")["categories"]
    {'value': ['f', 'm'], 'count': [2, 2]}
    """
    features = _as_list(sensitive_features)
    options = _Options(bins, psi_bins, exact_rows, max_categories)
    source = open_frame(data)
    schema = _schema(source)
    roles = _roles(schema, columns, features, prediction, label)
    kinds = {c: column_kind(schema[c]) for c in roles}
    scan = _scan(source, kinds, features, options, dataset_digest)
    cols_out = _columns_out(scan, roles, schema, options)
    payload: ProfilePayload = {
        "schema": PROFILE_SCHEMA,
        "n": scan.summary.rows,
        "columns": cols_out,
        "groups": _groups_out(scan, features, cols_out, options.max_categories),
        "notes": _notes({c: str(schema[c]) for c, k in kinds.items() if k is None}),
        "params": {"columns": list(cols_out), "sensitive_features": features}
        | {"prediction": prediction, "label": label}
        | options.params(),
        "digest": "",  # the digest leaves out itself and the provenance: both set just below
        "provenance": {},
    }
    payload["digest"] = content_digest(payload)
    used = list(dict.fromkeys([*cols_out, *features]))
    payload["provenance"] = provenance(source, used, dataset_digest, scan.sketches, scan.digest_job)
    return ReferenceProfile(payload)


@dataclass(frozen=True)
class _Options:
    """How finely the profile describes the data; checked when made."""

    bins: int
    psi_bins: int
    exact_rows: int
    max_categories: int

    def __post_init__(self) -> None:
        bins, psi_bins = self.bins, self.psi_bins
        if bins < 10 or bins > 100_000:
            raise InputError(f"bins must be between 10 and 100000, got {bins}.")
        if psi_bins < 2 or psi_bins > bins:
            raise InputError(f"psi_bins must be between 2 and bins ({bins}), got {psi_bins}.")
        if self.exact_rows < 0:
            raise InputError(f"exact_rows must be >= 0, got {self.exact_rows}.")
        if self.max_categories < 2:
            raise InputError(f"max_categories must be at least 2, got {self.max_categories}.")

    def params(self) -> dict[str, int]:
        return {
            "bins": self.bins,
            "psi_bins": self.psi_bins,
            "exact_rows": self.exact_rows,
            "max_categories": self.max_categories,
        }


@dataclass(frozen=True)
class _Scan:
    """The two passes over the reference rows: the numeric summary, then every sketch."""

    summary: Summary
    kinds: dict[str, str | None]
    grids: dict[str, Grid]
    sketches: dict[tuple[str, str | None, str], Sketch]
    digest_job: Future[str] | None


def _scan(
    source: Source,
    kinds: dict[str, str | None],
    features: list[str],
    options: _Options,
    dataset_digest: str | None,
) -> _Scan:
    """Summarise the numeric columns (fixing each grid), then sketch every column and group."""
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k == "categorical"]
    digest_job = start_file_digest(source, dataset_digest)
    summary = summarise(source.frame, numeric)
    if summary.rows == 0:
        raise InputError("The reference data has no rows; there is nothing to profile.")
    grids: dict[str, Grid] = {}
    for col in numeric:
        s = summary.stats[col]
        if not s["n"]:
            grids[col] = Grid(0.0, 1.0, options.bins)
            continue
        assert s["mean"] is not None and s["std"] is not None
        assert s["min"] is not None and s["max"] is not None
        grids[col] = make_grid(s["mean"], s["std"], s["min"], s["max"], options.bins)
    exact = numeric if summary.rows <= options.exact_rows else []
    check_group_counts(source.frame, features)
    sketches = sketch(source.frame, grids=grids, categorical=categorical, exact=exact, by=features)
    return _Scan(summary, kinds, grids, sketches, digest_job)


def _columns_out(
    scan: _Scan, roles: dict[str, str], schema: dict[str, Any], options: _Options
) -> dict[str, Any]:
    """The stored description of each profiled column (unsupported types are left out)."""
    cols_out: dict[str, Any] = {}
    for col in roles:
        if scan.kinds[col] is None:
            continue
        entry: dict[str, Any] = {
            "role": roles[col],
            "type": scan.kinds[col],
            "dtype": str(schema[col]),
        }
        sk = scan.sketches[("", None, col)]
        if isinstance(sk, NumericSketch):
            s = scan.summary.stats[col]
            cuts = decile_cuts(sk.bins, options.psi_bins)
            entry |= {
                "n": int(sk.bins.n),
                "missing": sk.missing,
                "mean": s["mean"],
                "std": s["std"],
                "min": s["min"],
                "max": s["max"],
                "grid": scan.grids[col].to_dict(),
                "psi_cuts": [int(c) for c in cuts],
                "bins": sk.bins.to_dict(),
                "values": sk.values.to_dict() if sk.values is not None else None,
                "distinct": int(sk.bins.key.size) if sk.bins.atomic else None,
            }
        else:
            assert isinstance(sk, CategoricalSketch)
            entry |= _categories(sk, options.max_categories)
        cols_out[col] = entry
    return cols_out


def _groups_out(
    scan: _Scan, features: list[str], cols_out: dict[str, Any], max_categories: int
) -> list[dict[str, Any]]:
    """Each group of each protected feature: the sketch of every profiled column within it."""
    groups_out = []
    for f in features:
        group_values = sorted(
            {k[1] for k in scan.sketches if k[0] == f}, key=lambda v: (v is None, v or "")
        )
        for g in group_values:
            per_col: dict[str, Any] = {}
            rows = 0
            for col in cols_out:
                sk = scan.sketches[(f, g, col)]
                if isinstance(sk, NumericSketch):
                    per_col[col] = {
                        "n": int(sk.bins.n),
                        "missing": sk.missing,
                        "bins": sk.bins.to_dict(),
                        "values": sk.values.to_dict() if sk.values is not None else None,
                    }
                    rows = max(rows, int(sk.bins.n) + sk.missing)
                else:
                    assert isinstance(sk, CategoricalSketch)
                    per_col[col] = _categories(sk, max_categories)
                    rows = max(rows, int(sk.n) + sk.missing)
            groups_out.append({"by": f, "group": g, "n": rows, "columns": per_col})
    return groups_out


def _notes(skipped: dict[str, str]) -> list[str]:
    if not skipped:
        return []
    return [
        "Not profiled (drift needs numbers, booleans or text): "
        + ", ".join(f"{c} ({t})" for c, t in skipped.items())
        + "."
    ]


_UNSTABLE = frozenset({"sum", "min", "max"})


def content_digest(payload: Mapping[str, Any]) -> str:
    """sha256 of a payload's canonical JSON, leaving out its digest and provenance.

    The cells' sums are left out too (engines, and one parallel engine from
    run to run, may add the same values in another order, which changes the last bits), as are the
    cells' minima and maxima (thousands of floats, slow to format, and implied by the data the
    counts already pin down); the remaining floats are rounded to 10 significant digits. Grids,
    cuts, cell counts, exact values, categories and parameters identify a profile.
    """

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _UNSTABLE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, float):
            return float(f"{value:.10g}")
        return value

    body = {k: strip(v) for k, v in payload.items() if k not in ("digest", "provenance")}
    return canonical_digest(body)


def _categories(sk: CategoricalSketch, max_categories: int) -> dict[str, Any]:
    kept = sk.categories[:max_categories]
    counts = sk.counts[:max_categories]
    other = float(sk.counts[max_categories:].sum())
    return {
        "n": int(sk.n),
        "missing": sk.missing,
        "categories": {"value": kept, "count": [int(c) for c in counts]},
        "other": int(other),
        "distinct": len(sk.categories),
    }


def numeric_sketch(entry: dict[str, Any]) -> NumericSketch:
    """The stored sketch of a numeric column (or of one group's column)."""
    values = entry.get("values")
    return NumericSketch(
        int(entry["missing"]),
        Bins.from_dict(entry["bins"]),
        Values.from_dict(values) if values is not None else None,
    )


def categorical_sketch(entry: dict[str, Any]) -> CategoricalSketch:
    """The stored counts of a categorical column; pooled categories come back as OTHER."""
    cats = list(entry["categories"]["value"])
    counts = list(entry["categories"]["count"])
    if entry.get("other"):
        cats.append(OTHER)
        counts.append(entry["other"])
    return CategoricalSketch(int(entry["missing"]), cats, np.asarray(counts, dtype=np.float64))


def stored_sketch(entry: dict[str, Any], kind: str) -> Sketch:
    """The stored sketch of a column, numeric or categorical."""
    return numeric_sketch(entry) if kind == "numeric" else categorical_sketch(entry)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    out = [value] if isinstance(value, str) else list(value)
    if len(set(out)) != len(out):
        raise InputError(f"sensitive_features names a column twice: {out}.")
    return out


def _schema(source: Source) -> dict[str, Any]:
    try:
        return dict(source.frame.collect_schema())
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None


def _not_in_data(col: str, role: str, schema: dict[str, Any]) -> str:
    listing = ", ".join(list(schema)[:40]) + (" ..." if len(schema) > 40 else "")
    return f"The column '{col}' named in {role} is not in the data. Columns are: {listing}."


def _roles(
    schema: dict[str, Any],
    columns: Sequence[str] | None,
    features: list[str],
    prediction: str | None,
    label: str | None,
) -> dict[str, str]:
    """The role of each column to profile; every column named by the caller must be in the data."""
    for role, col in (("prediction", prediction), ("label", label)):
        if col is not None and col not in schema:
            raise InputError(_not_in_data(col, role, schema))
    if prediction is not None and prediction == label:
        raise InputError(f"'{prediction}' is named both as prediction and as label.")
    if columns is None:
        chosen = list(schema)
    else:
        chosen = list(columns)
        for col in chosen:
            if col not in schema:
                raise InputError(_not_in_data(col, "columns", schema))
        if len(set(chosen)) != len(chosen):
            raise InputError(f"columns names a column twice: {chosen}.")
        chosen += [c for c in (prediction, label) if c is not None and c not in chosen]
    roles = dict.fromkeys(chosen, "feature")
    if prediction is not None:
        roles[prediction] = "prediction"
    if label is not None:
        roles[label] = "label"
    for f in features:
        if f not in schema:
            raise InputError(_not_in_data(f, "sensitive_features", schema))
    return roles


def start_file_digest(source: Source, given: str | None) -> Future[str] | None:
    """Start hashing the source file on a worker thread, or None when no file is to be hashed.

    sha256 of a large file costs about a quarter of a second per 200 MB; hashlib releases the GIL,
    so the hash runs while the engine reads the same file instead of after it.
    """
    if given is not None or source.path is None:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assay-digest")
    try:
        return pool.submit(file_digest, source.path)
    finally:
        pool.shutdown(wait=False)


def provenance(
    source: Source,
    columns: list[str],
    digest: str | None,
    sketches: dict[tuple[str, str | None, str], Sketch],
    file_digest_job: Future[str] | None = None,
) -> dict[str, Any]:
    """Where the data came from and which Assay read it."""
    dataset: dict[str, Any] = {"engine": source.engine, "columns": columns}
    if digest is not None:
        dataset |= {"digest": digest, "digest_of": "given by the caller"}
    elif source.path is not None:
        dataset |= {
            "digest": (
                file_digest_job.result()
                if file_digest_job is not None
                else file_digest(source.path)
            ),
            "digest_of": "file bytes",
            "path": str(source.path),
        }
    elif source.eager_native is not None:
        present = [c for c in columns if c in source.frame.collect_schema()]
        dataset |= {
            "digest": columns_digest(source.eager_native, present),
            "digest_of": COLUMNS_DIGEST_OF,
        }
    else:
        h = hashlib.sha256()
        for key in sorted(sketches, key=lambda k: (k[0], k[1] or "", k[2])):
            h.update(repr(key).encode())
            sk = sketches[key]
            if isinstance(sk, NumericSketch):
                h.update(json.dumps(sk.bins.to_dict(), sort_keys=True).encode())
            else:
                h.update(json.dumps([sk.categories, sk.counts.tolist()]).encode())
        dataset |= {
            "digest": "sha256:" + h.hexdigest(),
            "digest_of": "sketches (lazy source; rows were not materialised)",
        }
    return {
        "assay_version": __version__,
        "python": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": dataset,
    }

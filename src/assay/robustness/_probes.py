"""Probes: how each scenario entry changes the model's inputs or re-weights the population.

A probe is planned on the original frame and returns the frames to score (its *variants*) and,
for population shifts, row weights. Every random draw comes from one seeded generator, and all
work is column-wise (NumPy/Polars); the only Python loops run over features or distinct values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from assay.robustness._scenarios import (
    CategorySwap,
    Counterfactual,
    CovariateShift,
    FeatureDropout,
    GaussianNoise,
    LabelShift,
    MissingValues,
    Monotonic,
    OutOfRange,
    Subgroup,
    Typos,
    _Probe,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class ProbeSetupError(Exception):
    """The probe cannot run on this data (a feature it names is missing, nothing to change)."""


@dataclass(frozen=True)
class Context:
    """The original data as the probes see it."""

    data: pl.DataFrame
    features: tuple[str, ...]
    positive: BoolArray
    sensitive_features: tuple[str, ...]

    @property
    def inputs(self) -> pl.DataFrame:
        """The model's input columns."""
        return self.data.select(self.features)

    def numeric(self) -> list[str]:
        """Numeric model inputs (booleans excluded)."""
        return [f for f in self.features if self.data.schema[f].is_numeric()]

    def categorical(self) -> list[str]:
        """Text and categorical model inputs."""
        return [f for f in self.features if _is_text(self.data.schema[f])]


@dataclass(frozen=True)
class Variant:
    """One frame to score: model inputs for ``rows`` (all rows when None)."""

    frame: pl.DataFrame
    rows: IntArray | None = None
    target: Any = None


@dataclass
class Plan:
    """What a probe will score, and what it changed."""

    variants: list[Variant]
    weights: FloatArray | None = None
    changed_cells: int = 0
    changed_rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _is_text(dtype: Any) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def _check_features(
    ctx: Context, named: Sequence[str] | None, default: list[str], what: str
) -> list[str]:
    if named is None:
        if not default:
            raise ProbeSetupError(f"the model has no {what} inputs for this probe to change")
        return default
    missing = [f for f in named if f not in ctx.data.columns]
    if missing:
        raise ProbeSetupError(
            f"the feature(s) {', '.join(repr(m) for m in missing)} named by the probe are not in "
            f"the data; columns are: {', '.join(ctx.data.columns[:40])}"
        )
    not_inputs = [f for f in named if f not in ctx.features]
    if not_inputs:
        raise ProbeSetupError(
            f"{', '.join(repr(m) for m in not_inputs)} are in the data but are not model inputs, "
            "so changing them cannot change a prediction"
        )
    return list(named)


def spread(values: pl.Series, kind: str = "std") -> float:
    """Standard deviation, or the interquartile range / 1.349 (both 0 for a constant column)."""
    x = values.cast(pl.Float64).drop_nulls().drop_nans()
    if x.len() < 2:
        return 0.0
    if kind == "iqr":
        q25, q75 = np.quantile(x.to_numpy(), [0.25, 0.75])
        return float(q75 - q25) / 1.349
    return float(np.std(x.to_numpy(), ddof=1))


def _restore(values: FloatArray, like: pl.Series) -> pl.Series:
    """Back to the column's type: integers are rounded, nulls stay null."""
    out = pl.Series(like.name, values, dtype=pl.Float64)
    if like.dtype.is_integer():
        out = out.round(0).cast(like.dtype, strict=False)
    elif like.dtype != pl.Float64:
        out = out.cast(like.dtype, strict=False)
    return out


def _rows(rng: np.random.Generator, n: int, fraction: float) -> BoolArray:
    if fraction >= 1.0:
        return np.ones(n, dtype=bool)
    return rng.random(n) < fraction


def plan(spec: _Probe, ctx: Context, rng: np.random.Generator) -> Plan:
    """Plan a probe on the original data."""
    if isinstance(spec, GaussianNoise):
        return _noise(spec, ctx, rng)
    if isinstance(spec, CategorySwap):
        return _swap(spec, ctx, rng)
    if isinstance(spec, Typos):
        return _typos(spec, ctx, rng)
    if isinstance(spec, MissingValues):
        return _missing(spec, ctx, rng)
    if isinstance(spec, FeatureDropout):
        return _dropout(spec, ctx, rng)
    if isinstance(spec, OutOfRange):
        return _out_of_range(spec, ctx, rng)
    if isinstance(spec, CovariateShift):
        return _covariate(spec, ctx)
    if isinstance(spec, LabelShift):
        return _label(spec, ctx)
    if isinstance(spec, Counterfactual):
        return _counterfactual(spec, ctx, rng)
    if isinstance(spec, Monotonic):
        return _monotonic(spec, ctx)
    raise ProbeSetupError(f"unknown probe {type(spec).__name__}")  # pragma: no cover


def _noise(spec: GaussianNoise, ctx: Context, rng: np.random.Generator) -> Plan:
    features = _check_features(ctx, spec.features, ctx.numeric(), "numeric")
    frame = ctx.inputs
    n = frame.height
    columns = []
    spreads: dict[str, float] = {}
    changed = 0
    notes = []
    for f in features:
        col = frame.get_column(f)
        if not col.dtype.is_numeric():
            raise ProbeSetupError(
                f"'{f}' is {col.dtype}, not numeric; Gaussian noise needs numbers"
            )
        s = spread(col, spec.spread)
        spreads[f] = s
        if s == 0:
            notes.append(f"'{f}' is constant, so it was left unchanged.")
            continue
        hit = _rows(rng, n, spec.fraction)
        x = col.cast(pl.Float64).to_numpy().copy()
        noise = rng.normal(0.0, spec.scale * s, n)
        x[hit] += noise[hit]
        new = _restore(x, col)
        changed += int((new != col).fill_null(False).sum())
        columns.append(new)
    return Plan(
        [Variant(frame.with_columns(columns))],
        changed_cells=changed,
        details={"features": features, "spreads": spreads},
        notes=notes,
    )


def _categories(col: pl.Series) -> tuple[list[Any], FloatArray]:
    counts = col.drop_nulls().value_counts(sort=True)
    values = counts.get_column(col.name).to_list()
    freq = counts.get_column("count").to_numpy().astype(np.float64)
    return values, freq / freq.sum()


def _swap(spec: CategorySwap, ctx: Context, rng: np.random.Generator) -> Plan:
    features = _check_features(ctx, spec.features, ctx.categorical(), "categorical")
    frame = ctx.inputs
    n = frame.height
    columns = []
    changed = 0
    for f in features:
        col = frame.get_column(f).cast(pl.String)
        values, probs = _categories(col)
        k = len(values)
        if k < 2:
            continue
        hit = _rows(rng, n, spec.fraction) & col.is_not_null().to_numpy()
        codes = col.replace_strict(values, list(range(k)), default=-1).to_numpy()
        draw = rng.choice(k, size=n, p=probs)
        same = draw == codes
        # a draw equal to the original moves to another category, uniformly
        draw[same] = (codes[same] + rng.integers(1, k, size=int(same.sum()))) % k
        new = np.asarray(col.to_numpy(), dtype=object)
        new[hit] = np.asarray(values, dtype=object)[draw[hit]]
        changed += int(hit.sum())
        columns.append(pl.Series(f, new, dtype=pl.String).cast(frame.schema[f]))
    return Plan(
        [Variant(frame.with_columns(columns))],
        changed_cells=changed,
        details={"features": features},
    )


def _typo_variants(value: str, rng: np.random.Generator) -> list[str]:
    """Three misspellings of one value: a swap of neighbours, a dropped and a doubled letter."""
    out = []
    text = value
    if len(text) >= 2:
        i = int(rng.integers(0, len(text) - 1))
        out.append(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
        j = int(rng.integers(0, len(text)))
        out.append(text[:j] + text[j + 1 :])
    else:
        out += [text + text, f" {text}"]
    k = int(rng.integers(0, max(len(text), 1)))
    out.append(text[: k + 1] + text[k : k + 1] + text[k + 1 :])
    swapped = text.swapcase()
    return [v if v != text else swapped or f"{text} " for v in out]


def _typos(spec: Typos, ctx: Context, rng: np.random.Generator) -> Plan:
    features = _check_features(ctx, spec.features, ctx.categorical(), "text")
    frame = ctx.inputs
    n = frame.height
    columns = []
    changed = 0
    for f in features:
        col = frame.get_column(f).cast(pl.String)
        values, _ = _categories(col)
        if not values:
            continue
        table = np.array([_typo_variants(str(v), rng) for v in values], dtype=object)
        hit = _rows(rng, n, spec.fraction) & col.is_not_null().to_numpy()
        codes = col.replace_strict(values, list(range(len(values))), default=0).to_numpy()
        pick = rng.integers(0, table.shape[1], size=n)
        new = np.asarray(col.to_numpy(), dtype=object)
        new[hit] = table[codes[hit], pick[hit]]
        changed += int(hit.sum())
        columns.append(pl.Series(f, new, dtype=pl.String).cast(frame.schema[f], strict=False))
    return Plan(
        [Variant(frame.with_columns(columns))],
        changed_cells=changed,
        details={"features": features, "variants": "neighbour swap, dropped or doubled letter"},
    )


def _blank(frame: pl.DataFrame, f: str, mask: BoolArray, fill: str) -> pl.Series:
    col = frame.get_column(f)
    m = pl.Series(mask)
    if fill == "typical":
        if col.dtype.is_numeric():
            typical: Any = col.median()
            if col.dtype.is_integer() and typical is not None:
                typical = round(float(str(typical)))
        else:
            mode = col.drop_nulls().mode()
            typical = mode.sort()[0] if mode.len() else None
        filler = pl.repeat(typical, frame.height, eager=True).cast(col.dtype, strict=False)
        return col.zip_with(~m, filler).alias(f)
    return col.zip_with(~m, pl.Series(f, [None] * frame.height, dtype=col.dtype)).alias(f)


def _missing(spec: MissingValues, ctx: Context, rng: np.random.Generator) -> Plan:
    features = _check_features(ctx, spec.features, list(ctx.features), "")
    frame = ctx.inputs
    columns = []
    changed = 0
    for f in features:
        mask = (
            _rows(rng, frame.height, spec.fraction) & frame.get_column(f).is_not_null().to_numpy()
        )
        changed += int(mask.sum())
        columns.append(_blank(frame, f, mask, "missing"))
    return Plan(
        [Variant(frame.with_columns(columns))],
        changed_cells=changed,
        details={"features": features},
    )


def _dropout(spec: FeatureDropout, ctx: Context, rng: np.random.Generator) -> Plan:
    features = _check_features(ctx, spec.features, list(ctx.features), "")
    frame = ctx.inputs
    n = frame.height
    if spec.mode == "one_per_row":
        choice = rng.integers(0, len(features), size=n)
        masks = {f: choice == j for j, f in enumerate(features)}
    else:
        masks = {f: np.ones(n, dtype=bool) for f in features}
    columns = [_blank(frame, f, masks[f], spec.fill) for f in features]
    changed = int(sum(m.sum() for m in masks.values()))
    return Plan(
        [Variant(frame.with_columns(columns))],
        changed_cells=changed,
        details={"features": features, "mode": spec.mode, "fill": spec.fill},
    )


def _out_of_range(spec: OutOfRange, ctx: Context, rng: np.random.Generator) -> Plan:
    features = _check_features(ctx, spec.features, ctx.numeric(), "numeric")
    frame = ctx.inputs
    n = frame.height
    columns = []
    changed = 0
    ranges: dict[str, list[float]] = {}
    for f in features:
        col = frame.get_column(f)
        if not col.dtype.is_numeric():
            raise ProbeSetupError(f"'{f}' is {col.dtype}, not numeric; out-of-range needs numbers")
        s = spread(col) or 1.0
        lo, hi = float(col.min() or 0.0), float(col.max() or 0.0)  # type: ignore[arg-type]
        ranges[f] = [lo, hi]
        hit = _rows(rng, n, spec.fraction)
        above = rng.random(n) < 0.5
        x = col.cast(pl.Float64).to_numpy().copy()
        x[hit & above] = hi + spec.distance * s
        x[hit & ~above] = lo - spec.distance * s
        changed += int(hit.sum())
        columns.append(_restore(x, col))
    return Plan(
        [Variant(frame.with_columns(columns))],
        changed_cells=changed,
        details={"features": features, "observed_ranges": ranges, "distance": spec.distance},
    )


def subgroup_mask(ctx: Context, sub: Subgroup) -> BoolArray:
    """Rows of the subgroup."""
    if sub.feature not in ctx.data.columns:
        raise ProbeSetupError(f"the subgroup's feature '{sub.feature}' is not in the data")
    col = ctx.data.get_column(sub.feature)
    if sub.values is not None:
        values = sub.values
        if col.dtype.is_numeric():
            values = [float(v) for v in values]
            return col.cast(pl.Float64).is_in(values).fill_null(False).to_numpy()
        return col.cast(pl.String).is_in([str(v) for v in values]).fill_null(False).to_numpy()
    x = col.cast(pl.Float64)
    mask = pl.Series([True] * col.len())
    if sub.min is not None:
        mask = mask & (x >= sub.min)
    if sub.max is not None:
        mask = mask & (x <= sub.max)
    return mask.fill_null(False).to_numpy()


def _covariate(spec: CovariateShift, ctx: Context) -> Plan:
    sub = spec.subgroup
    if sub is None:
        feature = ctx.sensitive_features[0]
        counts = ctx.data.get_column(feature).value_counts(sort=True)
        smallest = counts.row(counts.height - 1)[0]
        sub = Subgroup(feature=feature, values=[smallest])
    mask = subgroup_mask(ctx, sub)
    if not mask.any():
        raise ProbeSetupError(f"no row is in the subgroup {sub.describe()}")
    weights = np.where(mask, spec.weight, 1.0)
    share = float(mask.mean())
    shifted = float(weights[mask].sum() / weights.sum())
    return Plan(
        [],
        weights=weights,
        changed_rows=int(mask.sum()),
        details={
            "subgroup": sub.describe(),
            "weight": spec.weight,
            "share_before": share,
            "share_after": shifted,
        },
    )


def _label(spec: LabelShift, ctx: Context) -> Plan:
    prevalence = float(ctx.positive.mean())
    if prevalence in (0.0, 1.0):
        raise ProbeSetupError("every row has the same label, so the label mix cannot shift")
    if spec.prevalence is not None:
        target = spec.prevalence
        w = target * (1 - prevalence) / (prevalence * (1 - target))
    else:
        w = spec.positive_weight or 2.0
        target = w * prevalence / (w * prevalence + 1 - prevalence)
    weights = np.where(ctx.positive, w, 1.0)
    return Plan(
        [],
        weights=weights,
        changed_rows=int(ctx.positive.sum()),
        details={"prevalence_before": prevalence, "prevalence_after": target, "positive_weight": w},
    )


def _counterfactual(spec: Counterfactual, ctx: Context, rng: np.random.Generator) -> Plan:
    if spec.feature not in ctx.data.columns:
        raise ProbeSetupError(f"the sensitive attribute '{spec.feature}' is not in the data")
    proxies = list(spec.proxies)
    for p in proxies:
        if p not in ctx.data.columns:
            raise ProbeSetupError(f"the proxy feature '{p}' is not in the data")
    used = [f for f in [spec.feature, *proxies] if f in ctx.features]
    if not used:
        raise ProbeSetupError(
            f"neither '{spec.feature}' nor its proxies are model inputs, so the model cannot see "
            "the change (declare proxies that are)"
        )
    col = ctx.data.get_column(spec.feature)
    observed = col.drop_nulls().unique(maintain_order=True).sort().to_list()
    targets = spec.values if spec.values is not None else observed
    if col.dtype.is_numeric():
        targets = [float(t) if not float(t).is_integer() else int(t) for t in targets]
    else:
        targets = [str(t) for t in targets]
    unknown = [t for t in targets if t not in observed]
    if unknown:
        raise ProbeSetupError(
            f"{unknown} are not values of '{spec.feature}'; its values are {observed[:20]}"
        )
    frame = ctx.inputs
    variants = []
    for target in targets:
        rows = np.flatnonzero((col != target).fill_null(True).to_numpy())
        if rows.size == 0:
            continue
        sub = frame[rows]
        changes: list[pl.Series] = []
        if spec.feature in ctx.features:
            changes.append(
                pl.repeat(target, rows.size, eager=True)
                .cast(frame.schema[spec.feature])
                .alias(spec.feature)
            )
        for p, how in spec.proxies.items():
            if p not in ctx.features:
                continue
            current = sub.get_column(p)
            if how == "resample":
                pool = ctx.data.filter(col == target).get_column(p).drop_nulls()
                if pool.len() == 0:
                    continue
                pick = rng.integers(0, pool.len(), size=rows.size)
                changes.append(pool.gather(pick).alias(p))
            else:
                mapping = {str(k): v for k, v in how.items()}
                keys = current.cast(pl.String)
                mapped = keys.replace_strict(
                    list(mapping), list(mapping.values()), default=None, return_dtype=pl.String
                )
                changes.append(
                    current.cast(pl.String)
                    .zip_with(mapped.is_null(), mapped)
                    .cast(frame.schema[p], strict=False)
                    .alias(p)
                )
        variants.append(
            Variant(sub.with_columns(changes), rows=rows.astype(np.int64), target=target)
        )
    if not variants:
        raise ProbeSetupError(f"'{spec.feature}' has a single value, so there is nothing to flip")
    return Plan(
        variants,
        changed_rows=int(sum(v.frame.height for v in variants)),
        details={
            "feature": spec.feature,
            "targets": targets,
            "proxies": {k: (v if isinstance(v, str) else dict(v)) for k, v in spec.proxies.items()},
        },
    )


def _monotonic(spec: Monotonic, ctx: Context) -> Plan:
    features = _check_features(ctx, [spec.feature], [], "")
    f = features[0]
    col = ctx.inputs.get_column(f)
    if not col.dtype.is_numeric():
        raise ProbeSetupError(f"'{f}' is {col.dtype}; a monotonic check needs a numeric feature")
    step = spec.step if spec.step is not None else 0.5 * spread(col)
    if col.dtype.is_integer():
        step = max(1.0, round(step))
    if step <= 0:
        raise ProbeSetupError(f"'{f}' is constant, so it cannot be raised by half its spread")
    x = col.cast(pl.Float64).to_numpy() + step
    return Plan(
        [Variant(ctx.inputs.with_columns(_restore(x, col)))],
        changed_cells=int(col.is_not_null().sum()),
        details={"feature": f, "direction": spec.direction, "step": step},
    )

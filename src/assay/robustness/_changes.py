"""Changes against the baseline, by group, and the checks and verdicts on them.

Every function here works on per-row arrays of the (small) evaluation columns — labels, baseline
and probed decisions, group keys — and aggregates them group by group; the interval formulas are
in :mod:`assay.robustness._paired`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from assay.robustness import _paired as paired
from assay.robustness._probes import Variant
from assay.robustness._scenarios import CHECKS, Monotonic, Scenario, _Probe
from assay.robustness._scoring import Scored, _plain

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


#: Metrics carried from the fairness engine's results into the robustness result.
ENGINE_METRICS = ("accuracy", "selection_rate", "tpr", "fpr", "roc_auc", "brier_score")


#: Rates whose paired change is computed: name → (subset of rows, indicator).
PAIRED_RATES = ("accuracy", "selection_rate", "tpr", "fpr")


def _groupings(sens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]] + [[s] for s in sens]
    if len(sens) > 1:
        out.append(list(sens))
    return out


def _partitions(
    groups: pl.DataFrame, by: list[str]
) -> list[tuple[dict[str, Any], npt.NDArray[np.int64]]]:
    """(group, row indices) for each group of ``by``, in sorted order."""
    if not by:
        return [({}, np.arange(groups.height, dtype=np.int64))]
    indexed = groups.select(by).with_row_index("__i")
    parts = indexed.group_by(by, maintain_order=False).agg(pl.col("__i")).sort(by, nulls_last=True)
    out = []
    for row in parts.iter_rows(named=True):
        rows = np.asarray(row.pop("__i"), dtype=np.int64)
        out.append(({k: _plain(v) for k, v in row.items()}, rows))
    return out


def _est(value: float, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    if not np.isfinite(value):
        return {"value": None, "ci_low": None, "ci_high": None, "undefined": "no rows"}
    lo = float(low) if low is not None and np.isfinite(low) else None
    hi = float(high) if high is not None and np.isfinite(high) else None
    return {"value": float(value), "ci_low": lo, "ci_high": hi}


@dataclass
class _Quantity:
    """One checked quantity in one scope: its value and intervals at the three levels."""

    value: float
    ci: tuple[float, float]
    passing: tuple[float, float]
    failing: tuple[float, float]


def _paired_rate(
    y: npt.NDArray[np.int8],
    b: npt.NDArray[np.int8],
    p: npt.NDArray[np.int8],
    metric: str,
    levels: paired.Levels,
) -> tuple[float, float, _Quantity | None]:
    """(baseline rate, probed rate, change with intervals) of one rate over some rows."""
    if metric == "accuracy":
        subset = np.ones(y.size, dtype=bool)
        fb, fp = b == y, p == y
    elif metric == "selection_rate":
        subset = np.ones(y.size, dtype=bool)
        fb, fp = b == 1, p == 1
    elif metric == "tpr":
        subset = y == 1
        fb, fp = b == 1, p == 1
    else:
        subset = y == 0
        fb, fp = b == 1, p == 1
    fb, fp = fb[subset], fp[subset]
    n = int(subset.sum())
    if n == 0:
        return float("nan"), float("nan"), None
    a = float(np.sum(fp & fb))
    bb = float(np.sum(fp & ~fb))
    c = float(np.sum(~fp & fb))
    d = float(n) - a - bb - c
    value, lo, hi = paired.paired_newcombe(a, bb, c, d, levels.ci)
    _, plo, phi = paired.paired_newcombe(a, bb, c, d, levels.passing)
    _, flo, fhi = paired.paired_newcombe(a, bb, c, d, levels.failing)
    return float(fb.mean()), float(fp.mean()), _Quantity(value, (lo, hi), (plo, phi), (flo, fhi))


def _share(x: BoolArray, levels: paired.Levels) -> _Quantity | None:
    n = float(x.size)
    if n == 0:
        return None
    k = float(x.sum())
    return _Quantity(
        k / n,
        paired.wilson_at(k, n, levels.ci),
        paired.wilson_at(k, n, levels.passing),
        paired.wilson_at(k, n, levels.failing),
    )


def _comparisons(spec: Scenario, probe: _Probe, groups: pl.DataFrame, sens: list[str]) -> int:
    scopes = 1 + sum(groups.get_column(s).n_unique() for s in sens)
    return max(1, scopes * len(spec.limits_for(probe)))


Quantities = dict[tuple[str, tuple[str, ...], tuple[Any, ...]], _Quantity]


def _key(
    check: str, by: list[str], group: dict[str, Any]
) -> tuple[str, tuple[str, ...], tuple[Any, ...]]:
    return check, tuple(by), tuple(group.get(b) for b in by)


def _perturbation_deltas(
    groups: pl.DataFrame,
    y: npt.NDArray[np.int8],
    base: Scored,
    probed: Scored,
    sens: list[str],
    levels: paired.Levels,
) -> tuple[list[dict[str, Any]], Quantities]:
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        for group, rows in _partitions(groups, by):
            yy, b, p = y[rows], base.decision[rows], probed.decision[rows]
            metrics: dict[str, Any] = {}
            for m in PAIRED_RATES:
                _, _, q = _paired_rate(yy, b, p, m, levels)
                metrics[m] = {"delta": _q_est(q)}
                if q is not None:
                    if m == "accuracy":
                        quantities[_key("accuracy_drop", by, group)] = _negate(q)
                    else:
                        quantities[_key(f"{m}_change", by, group)] = q
            flips = _share(b != p, levels)
            metrics["flip_rate"] = _q_est(flips)
            if flips is not None:
                quantities[_key("flip_rate", by, group)] = flips
            if base.score is not None and probed.score is not None:
                change = np.abs(probed.score[rows] - base.score[rows])
                mean = float(change.mean())
                se = float(change.std(ddof=1) / np.sqrt(change.size)) if change.size > 1 else 0.0
                metrics["mean_abs_score_change"] = _est(
                    mean, max(0.0, mean - levels.ci * se), mean + levels.ci * se
                )
            out.append(_delta_entry(by, group, rows.size, metrics))
    return out, quantities


def _shift_deltas(
    groups: pl.DataFrame,
    y: npt.NDArray[np.int8],
    decision: npt.NDArray[np.int8],
    weights: FloatArray,
    sens: list[str],
    levels: paired.Levels,
    rng: np.random.Generator,
    n_bootstrap: int,
) -> tuple[list[dict[str, Any]], Quantities]:
    cells = groups.with_columns(
        pl.Series("__y", y), pl.Series("__d", decision), pl.Series("__w", weights)
    )
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        table = (
            cells.group_by([*by, "__y", "__d", "__w"]).len("__n").sort([*by, "__y", "__d", "__w"])
        )
        for group, rows in _partitions(table, by):
            part = table[rows]
            n = part.get_column("__n").to_numpy().astype(np.float64)
            w = part.get_column("__w").to_numpy().astype(np.float64)
            yy = part.get_column("__y").to_numpy() == 1
            dd = part.get_column("__d").to_numpy() == 1
            every = np.ones(n.size, dtype=bool)
            definitions = {
                "accuracy": (yy == dd, every),
                "selection_rate": (dd, every),
                "tpr": (dd, yy),
                "fpr": (dd, ~yy),
            }
            metrics: dict[str, Any] = {}
            for m, (num, den) in definitions.items():
                if not (n * den).sum():
                    metrics[m] = {"delta": _est(float("nan"))}
                    continue
                _, _, change, reps = paired.weighted_rate_change(
                    n, w, num, den, rng=rng, n_bootstrap=n_bootstrap
                )
                q = _Quantity(
                    change,
                    paired.bootstrap_quantiles(reps, levels.ci),
                    paired.bootstrap_quantiles(reps, levels.passing),
                    paired.bootstrap_quantiles(reps, levels.failing),
                )
                metrics[m] = {"delta": _q_est(q)}
                if m == "accuracy":
                    quantities[_key("accuracy_drop", by, group)] = _negate(q)
                else:
                    quantities[_key(f"{m}_change", by, group)] = q
            out.append(_delta_entry(by, group, int(n.sum()), metrics))
    return out, quantities


def _flip_deltas(
    planned: list[Variant],
    scored: list[Scored],
    groups: pl.DataFrame,
    base: Scored,
    sens: list[str],
    levels: paired.Levels,
) -> tuple[list[dict[str, Any]], Quantities]:
    rows = np.concatenate([v.rows for v in planned if v.rows is not None])
    new = np.concatenate([s.decision for s in scored])
    old = base.decision[rows]
    targets = np.concatenate(
        [np.full(v.frame.height, str(v.target), dtype=object) for v in planned]
    )
    stacked = groups[rows].with_columns(pl.Series("__target", targets, dtype=pl.String))
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        for group, idx in _partitions(stacked, by):
            flips = _share(old[idx] != new[idx], levels)
            up = _share((old[idx] == 0) & (new[idx] == 1), levels)
            down = _share((old[idx] == 1) & (new[idx] == 0), levels)
            metrics = {
                "flip_rate": _q_est(flips),
                "flip_to_positive": _q_est(up),
                "flip_to_negative": _q_est(down),
            }
            if flips is not None:
                quantities[_key("counterfactual_flip_rate", by, group)] = flips
            entry = _delta_entry(by, group, idx.size, metrics)
            entry["by_target"] = [
                {
                    "target": t.get("__target"),
                    "n": int(i.size),
                    "flip_rate": _q_est(_share(old[idx][i] != new[idx][i], levels)),
                }
                for t, i in _partitions(stacked[idx], ["__target"])
            ]
            out.append(entry)
    return out, quantities


def _monotonic_deltas(
    probe: Monotonic,
    variant: Variant,
    scored: Scored,
    groups: pl.DataFrame,
    base: Scored,
    sens: list[str],
    levels: paired.Levels,
) -> tuple[list[dict[str, Any]], Quantities]:
    sign = 1.0 if probe.direction == "increasing" else -1.0
    if base.score is not None and scored.score is not None:
        moved = sign * (scored.score - base.score)
        violated = moved < -probe.tolerance
    else:
        moved = sign * (scored.decision.astype(np.float64) - base.decision)
        violated = moved < 0
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        for group, rows in _partitions(groups, by):
            q = _share(violated[rows], levels)
            metrics = {"violation_rate": _q_est(q)}
            if base.score is not None and scored.score is not None:
                metrics["worst_score_move"] = _est(
                    float(moved[rows].min()) if rows.size else np.nan
                )
            if q is not None:
                quantities[_key("violation_rate", by, group)] = q
            out.append(_delta_entry(by, group, rows.size, metrics))
    return out, quantities


def _negate(q: _Quantity) -> _Quantity:
    return _Quantity(
        -q.value,
        (-q.ci[1], -q.ci[0]),
        (-q.passing[1], -q.passing[0]),
        (-q.failing[1], -q.failing[0]),
    )


def _q_est(q: _Quantity | None) -> dict[str, Any]:
    if q is None:
        return _est(float("nan"))
    return _est(q.value, *q.ci)


def _delta_entry(
    by: list[str], group: dict[str, Any], n: int, metrics: dict[str, Any]
) -> dict[str, Any]:
    return {"by": by, "group": group, "n": int(n), "metrics": metrics}


def _attach(
    deltas: list[dict[str, Any]], baseline: dict[str, Any], probed: dict[str, Any] | None
) -> None:
    """Add the engine's baseline and probed values (with intervals) next to each change."""

    def index(view: dict[str, Any] | None) -> dict[Any, dict[str, Any]]:
        if view is None:
            return {}
        return {
            (tuple(g["by"]), tuple(g["group"].get(b) for b in g["by"])): g for g in view["groups"]
        }

    base_ix, probed_ix = index(baseline), index(probed)
    for d in deltas:
        key = (tuple(d["by"]), tuple(d["group"].get(b) for b in d["by"]))
        b = base_ix.get(key)
        p = probed_ix.get(key)
        d["small"] = bool(b["small"]) if b else False
        for m in ENGINE_METRICS:
            if b is None or m not in b["metrics"]:
                continue
            slot = d["metrics"].setdefault(m, {})
            slot["baseline"] = b["metrics"][m]
            if p is not None and m in p["metrics"]:
                slot["probed"] = p["metrics"][m]
                bv, pv = b["metrics"][m]["value"], p["metrics"][m]["value"]
                if "delta" not in slot:
                    slot["delta"] = _est(pv - bv if bv is not None and pv is not None else np.nan)
                    slot["delta"]["ci_low"] = slot["delta"]["ci_high"] = None


def _checks(
    limits: dict[str, float],
    quantities: Quantities,
    deltas: list[dict[str, Any]],
    min_group_size: int,
    levels: paired.Levels,
) -> list[dict[str, Any]]:
    out = []
    small = {
        (tuple(d["by"]), tuple(d["group"].get(b) for b in d["by"])): d["n"] < min_group_size
        for d in deltas
    }
    for check, limit in limits.items():
        absolute = check.endswith("_change")
        for (name, by, key), q in quantities.items():
            if name != check or len(by) > 1:
                continue
            group = dict(zip(by, key, strict=True))
            entry: dict[str, Any] = {
                "check": check,
                "limit": limit,
                "by": list(by),
                "group": group,
                "estimate": _est(abs(q.value) if absolute else q.value, *q.ci),
            }
            if absolute:
                entry["estimate"] = _est(q.value, *q.ci)
                entry["estimate"]["absolute"] = True
            lo_f, hi_f = q.failing
            lo_p, hi_p = q.passing
            if small.get((by, key), False) and by:
                entry["verdict"] = "insufficient_evidence"
                entry["reason"] = f"fewer than {min_group_size} rows"
            elif (absolute and (lo_f > limit or hi_f < -limit)) or (not absolute and lo_f > limit):
                entry["verdict"] = "fail"
                entry["reason"] = "significantly beyond the limit"
            elif (absolute and -limit <= lo_p and hi_p <= limit) or (
                not absolute and hi_p <= limit
            ):
                entry["verdict"] = "pass"
                entry["reason"] = "significantly within the limit"
            else:
                entry["verdict"] = "insufficient_evidence"
                entry["reason"] = "the interval includes the limit"
            out.append(entry)
    return out


def _verdict(checks: list[dict[str, Any]], limits: dict[str, float]) -> tuple[str, str]:
    if not limits:
        return "none", "no limits apply to this probe; its changes are reported without a verdict"
    if not checks:
        return "insufficient_evidence", "no check could be computed"
    failed = [c for c in checks if c["verdict"] == "fail"]
    if failed:
        c = max(failed, key=lambda c: abs(c["estimate"]["value"] or 0.0))
        return "fail", (
            f"{CHECKS_LABEL.get(c['check'], c['check'])} {_where(c)} is "
            f"{abs(c['estimate']['value']):.4g}, significantly above the limit {c['limit']:g}"
            f" (one-sided, Bonferroni over {len(checks)} checks)."
        )
    unsure = [c for c in checks if c["verdict"] == "insufficient_evidence"]
    if unsure:
        small = [c for c in unsure if c["reason"].startswith("fewer than")]
        wide = [c for c in unsure if c not in small]
        parts = []
        if wide:
            named = ", ".join(f"{CHECKS_LABEL[c['check']]} {_where(c)}" for c in wide[:3])
            more = f" and {len(wide) - 3} more" if len(wide) > 3 else ""
            parts.append(f"the interval includes the limit for {named}{more}")
        if small:
            groups = sorted({_where(c).removeprefix("for ") for c in small})
            parts.append(f"groups below the minimum size: {', '.join(groups)}")
        return (
            "insufficient_evidence",
            f"{len(unsure)} of {len(checks)} checks undecided: " + "; ".join(parts) + ".",
        )
    return "pass", f"all {len(checks)} checks are significantly within their limits."


CHECKS_LABEL = {k: k.replace("_", " ") for k in CHECKS}


def _where(check: dict[str, Any]) -> str:
    if not check["by"]:
        return "overall"
    return "for " + ", ".join(f"{k}={v}" for k, v in check["group"].items())

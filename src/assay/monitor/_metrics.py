"""The values of a spec's metrics for one window, from Assay's own evaluations of that window.

A window gets one drift check against the reference profile (when any metric needs it), one data
quality check (only for schema violations and duplicates) and one fairness evaluation (only when
labels have arrived). A value that cannot be computed is None, with the reason in the window's
notes: no labels yet, too few rows, a column missing in every batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from assay.errors import AssayError
from assay.evaluate import ReferenceProfile, drift, fairness, quality
from assay.monitor._spec import MetricSpec, MonitorSpec

#: Bootstrap replicates of fairness metrics inside the monitor (values only, no intervals used).
MONITOR_BOOTSTRAP = 100


@dataclass
class WindowValues:
    """What one window's evaluations gave."""

    values: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None if x is None else float(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if v == v else None  # NaN → None


def compute(
    spec: MonitorSpec,
    profile: ReferenceProfile,
    frame: pl.LazyFrame,
    rows: int,
    *,
    base: Path,
) -> WindowValues:
    """Every metric of ``spec`` for one window of ``rows`` rows."""
    out = WindowValues()
    kinds = {m.kind for m in spec.metrics}
    needs_drift = "drift" in kinds or any(
        m.kind == "quality" and m.statistic in ("missing_rate", "new_categories")
        for m in spec.metrics
    )
    drift_result: dict[str, Any] | None = None
    if needs_drift:
        try:
            drift_result = drift(profile, frame).to_dict()
        except AssayError as exc:
            out.notes.append(f"drift could not be computed: {exc}")
    if drift_result is not None:
        s = drift_result["summary"]
        out.summary["drift"] = {
            "n_tested": s["n_tested"],
            "drifted": s["drifted"],
            "share_drifted": s["share_drifted"],
            "dataset_drift": s["dataset_drift"],
            "groups_with_drift": s["groups_with_drift"],
        }
        for p in drift_result["problems"]:
            if p["problem"] not in ("labels_not_available",):
                out.notes.append(p["message"])

    quality_result: dict[str, Any] | None = None
    if any(
        m.kind == "quality" and m.statistic in ("schema_violations", "duplicate_rate")
        for m in spec.metrics
    ):
        schema = None
        if spec.data.schema_file is not None:
            schema = _resolve(spec.data.schema_file, base)
        try:
            quality_result = quality(frame, schema=schema, duplicates=True).to_dict()
        except AssayError as exc:
            out.notes.append(f"data quality could not be computed: {exc}")

    fairness_result: dict[str, Any] | None = None
    if kinds & {"fairness", "performance"}:
        fairness_result = _fairness(spec, frame, out)

    for metric in spec.metrics:
        if metric.kind == "drift":
            value = _drift_value(metric, drift_result)
        elif metric.kind == "quality":
            value = _quality_value(metric, rows, drift_result, quality_result)
        elif metric.kind == "fairness":
            value = _fairness_value(metric, spec, fairness_result)
        else:
            value = _performance_value(metric, fairness_result)
        out.values[metric.name] = value
    return out


def _resolve(path: str, base: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else base / p


def _entry(result: dict[str, Any], metric: MetricSpec) -> dict[str, Any] | None:
    entries: list[dict[str, Any]] = []
    if metric.group is None:
        entries = result["columns"]
    else:
        ((feature, value),) = metric.group.items()
        for g in result["groups"]:
            if g["by"] == feature and g["group"] == str(value):
                entries = g["columns"]
    for e in entries:
        if e["column"] == metric.column:
            return e
    return None


def _drift_value(metric: MetricSpec, result: dict[str, Any] | None) -> float | None:
    if result is None:
        return None
    stat = metric.statistic
    if stat in ("share_drifted", "n_drifted") and metric.group is not None:
        ((feature, value),) = metric.group.items()
        for g in result["groups"]:
            if g["by"] == feature and g["group"] == str(value):
                tested = [e for e in g["columns"] if e.get("drift") is not None]
                drifted = [e for e in tested if e["drift"]]
                if stat == "n_drifted":
                    return float(len(drifted))
                return len(drifted) / len(tested) if tested else None
        return None
    summary = result["summary"]
    if stat == "share_drifted":
        return _num(summary["share_drifted"]) if summary["n_tested"] else None
    if stat == "n_drifted":
        return float(summary["n_drifted"])
    if stat == "prediction_drift":
        return _num(summary["prediction_drift"])
    if stat == "label_drift":
        return _num(summary["label_drift"])
    entry = _entry(result, metric)
    if entry is None:
        return None
    if stat == "drifted":
        return _num(entry.get("drift"))
    if stat == "q_value":
        return _num(entry.get("q_value"))
    statistics = entry.get("statistics") or {}
    if stat == "ks":
        return _num((statistics.get("ks") or {}).get("statistic"))
    if stat == "wasserstein":
        return _num((statistics.get("wasserstein") or {}).get("normalized"))
    return _num((statistics.get(stat) or {}).get("value"))


def _quality_value(
    metric: MetricSpec,
    rows: int,
    drift_result: dict[str, Any] | None,
    quality_result: dict[str, Any] | None,
) -> float | None:
    stat = metric.statistic
    if stat == "rows":
        return float(rows)
    if stat in ("missing_rate", "new_categories"):
        if drift_result is None:
            return None
        entries = [
            e
            for e in drift_result["columns"]
            if e.get("missing_current") is not None and e["role"] != "label"
        ]
        if stat == "missing_rate":
            if metric.column is None:
                rates = [e["missing_current"] for e in entries]
                return sum(rates) / len(rates) if rates else None
            for e in entries:
                if e["column"] == metric.column:
                    return _num(e["missing_current"])
            return None
        for e in drift_result["columns"]:
            if e["column"] == metric.column and e.get("statistics"):
                new = e["statistics"].get("new_categories")
                n = e.get("n_current") or 0
                return (new["rows"] / n) if new is not None and n else None
        return None
    if quality_result is None:
        return None
    if stat == "schema_violations":
        check = quality_result.get("schema_check") or {"violations": []}
        return float(sum(v["count"] for v in check["violations"]))
    dup = quality_result.get("duplicates")
    return _num(dup["rate"]) if dup else None


def _fairness(spec: MonitorSpec, frame: pl.LazyFrame, out: WindowValues) -> dict[str, Any] | None:
    label, prediction = spec.data.label, spec.data.prediction
    assert label is not None and prediction is not None
    features = spec.data.sensitive_features
    schema = frame.collect_schema()
    if label not in schema:
        out.notes.append("fairness and performance need labels; none in this window yet")
        return None
    labelled = frame.filter(pl.col(label).is_not_null() & pl.col(prediction).is_not_null())
    n = int(labelled.select(pl.len()).collect().item())
    if n < spec.window.min_rows:
        out.notes.append(
            f"fairness and performance need labels: {n} labelled row(s) in this window, fewer "
            f"than window.min_rows ({spec.window.min_rows})"
        )
        return None
    score = schema[prediction].is_float() and spec.data.threshold is not None
    try:
        result = fairness(
            labelled.collect(),
            y_true=label,
            y_pred=None if score else prediction,
            y_score=prediction if score else None,
            threshold=spec.data.threshold if score else None,
            pos_label=spec.data.pos_label,
            sensitive_features=features or [label],
            min_group_size=1,
            n_bootstrap=MONITOR_BOOTSTRAP,
        ).to_dict()
    except AssayError as exc:
        out.notes.append(f"fairness could not be computed: {exc}")
        return None
    out.summary["fairness"] = {"n": result["n"], "outcome": "computed"}
    return result


def _fairness_value(
    metric: MetricSpec, spec: MonitorSpec, result: dict[str, Any] | None
) -> float | None:
    if result is None:
        return None
    by = list(spec.data.sensitive_features)
    for summary in result["summaries"]:
        if summary["by"] == by:
            return _num(summary[metric.statistic]["value"])
    return None


def _performance_value(metric: MetricSpec, result: dict[str, Any] | None) -> float | None:
    if result is None:
        return None
    if metric.group is None:
        entry = result["overall"]["metrics"].get(metric.statistic)
        return _num(entry["value"]) if entry else None
    ((feature, value),) = metric.group.items()
    for g in result["groups"]:
        if g["by"] == [feature] and str(g["group"][feature]) == str(value):
            entry = g["metrics"].get(metric.statistic)
            return _num(entry["value"]) if entry else None
    return None

"""Simulated production weeks for the demo and the tests: weekly log batches with drift, the
demo's monitoring spec, and the demo's monitoring step end to end (:func:`run_demo_monitoring`).

Rows are resampled from a source table (by default UCI Adult; the demo passes its scored test
split). Up to ``drift_from_week`` the sampling is uniform; from that week on younger people and
women are over-sampled, which shifts ages, the sex mix, hours and — through them — the model's
scores and the label rate: feature, prediction and label drift at once, as a change in who uses a
service would cause. Labels arrive late: the last ``label_delay_weeks`` weeks have none yet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from assay.errors import InputError

TIMESTAMP = "event_time"


def simulate_production_batches(
    folder: str | Path,
    weeks: int = 6,
    drift_from_week: int = 3,
    *,
    source: pl.DataFrame | None = None,
    rows_per_week: int = 2000,
    start: dt.date = dt.date(2026, 1, 5),
    label: str | None = "income",
    label_delay_weeks: int = 1,
    seed: int = 0,
) -> list[Path]:
    """Write one Parquet batch per week into ``folder`` and return their paths, oldest first.

    Parameters
    ----------
    folder
        Created if needed; files are ``batch_week01.parquet`` ...
    weeks
        Number of weekly batches.
    drift_from_week
        The first drifted week (1-based); ``weeks + 1`` or more means no drift.
    source
        Rows to resample (default: UCI Adult). Needs ``age`` and ``sex`` for the drift.
    rows_per_week
        Rows in each batch.
    start
        The Monday of week 1; each row gets an ``event_time`` within its week (UTC).
    label
        The label column, set to null in the last ``label_delay_weeks`` weeks (None: keep all).
    seed
        Random seed; the same arguments give the same files.

    Examples
    --------
    >>> import tempfile
    >>> paths = simulate_production_batches(tempfile.mkdtemp(), weeks=2, rows_per_week=100)
    >>> [p.name for p in paths]
    ['batch_week01.parquet', 'batch_week02.parquet']
    """
    if weeks < 1 or rows_per_week < 1:
        raise InputError("weeks and rows_per_week must be at least 1.")
    if source is None:
        from assay.datasets import load_adult

        source = load_adult()
    for col in ("age", "sex"):
        if col not in source.columns:
            raise InputError(f"The source table needs an '{col}' column to simulate drift.")
    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    age = source.get_column("age").cast(pl.Float64).to_numpy()
    female = (source.get_column("sex") == "Female").to_numpy()
    drifted = np.exp(-(age - age.min()) / 12.0) * np.where(female, 2.5, 1.0)
    drifted /= drifted.sum()
    paths = []
    monday = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    for week in range(1, weeks + 1):
        p = drifted if week >= drift_from_week else None
        idx = rng.choice(source.height, size=rows_per_week, replace=True, p=p)
        batch = source[idx]
        seconds = np.sort(rng.integers(0, 7 * 24 * 3600, rows_per_week))
        times = [monday + dt.timedelta(weeks=week - 1, seconds=int(s)) for s in seconds]
        batch = batch.with_columns(pl.Series(TIMESTAMP, times, dtype=pl.Datetime("us", "UTC")))
        if label is not None and label in batch.columns and week > weeks - label_delay_weeks:
            batch = batch.with_columns(pl.lit(None, dtype=batch.schema[label]).alias(label))
        path = out_dir / f"batch_week{week:02d}.parquet"
        batch.write_parquet(path)
        paths.append(path)
    return paths


def write_demo_spec(
    path: str | Path,
    *,
    profile: str | Path,
    system: str = "adult-income",
    owner: str = "rai-analyst",
    webhook_url: str | None = None,
    prediction: str = "score",
    label: str = "income",
    pos_label: str = ">50K",
    sensitive_features: tuple[str, ...] = ("sex", "race"),
) -> Path:
    """Write the demo's weekly monitoring spec (drift, quality, fairness) and return its path.

    ``profile`` is the reference profile file (absolute, or relative to the spec's folder);
    ``webhook_url`` adds a generic webhook route that every alert is sent to.
    """
    routes = (
        [{"name": "demo-webhook", "type": "webhook", "url": webhook_url}] if webhook_url else []
    )
    route_names = [r["name"] for r in routes]
    spec = {
        "version": 1,
        "name": f"{system}-weekly",
        "system": system,
        "owner": owner,
        "runbook": "https://example.com/runbooks/adult-income-monitoring",
        "schedule": "0 6 * * 1  (cron: Mondays 06:00 UTC)",
        "data": {
            "timestamp": TIMESTAMP,
            "prediction": prediction,
            "threshold": 0.5,
            "label": label,
            "pos_label": pos_label,
            "sensitive_features": list(sensitive_features),
        },
        "reference": {"profile": str(profile)},
        "window": {"size": "weekly", "min_rows": 200},
        "metrics": _demo_metrics(prediction),
        "alerts": _demo_alerts(route_names),
        "notifications": {
            "routes": routes,
            "retry": {"attempts": 3, "backoff_seconds": 0.5, "timeout_seconds": 5},
        },
    }
    out = Path(path)
    out.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return out


def _demo_metrics(prediction: str) -> list[dict[str, Any]]:
    """Rows and missing values, drift of the features and the score, fairness and accuracy."""
    return [
        {"name": "rows", "kind": "quality", "statistic": "rows"},
        {"name": "missing_rate", "kind": "quality", "statistic": "missing_rate"},
        {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"},
        {"name": "score_psi", "kind": "drift", "statistic": "psi", "column": prediction},
        {
            "name": "age_wasserstein",
            "kind": "drift",
            "statistic": "wasserstein",
            "column": "age",
        },
        {
            "name": "dp_difference",
            "kind": "fairness",
            "statistic": "demographic_parity_difference",
        },
        {"name": "accuracy", "kind": "performance", "statistic": "accuracy"},
    ]


def _demo_alerts(route_names: list[str]) -> list[dict[str, Any]]:
    """Feature drift two weeks running, a shifted score, and a week with no data."""
    return [
        {
            "name": "feature-drift",
            "metric": "drift_share",
            "condition": ">= 0.25",
            "consecutive": 2,
            "severity": "high",
            "routes": route_names,
        },
        {
            "name": "score-shift",
            "metric": "score_psi",
            "condition": ">= 0.2",
            "severity": "medium",
            "routes": route_names,
        },
        {
            "name": "no-data",
            "metric": "rows",
            "condition": "< 1",
            "severity": "high",
            "routes": route_names,
        },
    ]


def run_demo_monitoring(
    folder: str | Path,
    workspace: Any,
    scored: pl.DataFrame,
    *,
    weeks: int = 6,
    drift_from_week: int = 3,
    rows_per_week: int = 2000,
    webhook_url: str | None = None,
    system: str = "adult-income",
) -> dict[str, Any]:
    """The demo's monitoring step, end to end, in ``folder``.

    Profiles ``scored`` (the held-out split with ``score``) as the reference, simulates
    ``weeks`` weekly batches resampled from it with drift from ``drift_from_week``, writes the
    spec, runs the monitor in ``workspace`` (the system must be in its inventory), registers the
    spec for monitoring coverage and writes ``monitoring-report.html``.

    Returns the paths written and the run: ``{"profile", "spec", "batches", "report", "run"}``.
    """
    from assay.evaluate import reference_profile
    from assay.governance import add_component
    from assay.monitor import load_spec, render_monitor_report, run_monitor

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    profile = reference_profile(
        scored, sensitive_features=["sex", "race"], prediction="score", label="income"
    )
    profile_path = profile.save(out / "reference-profile.json")
    batches = simulate_production_batches(
        out / "batches",
        weeks=weeks,
        drift_from_week=drift_from_week,
        source=scored,
        rows_per_week=rows_per_week,
    )
    spec_path = write_demo_spec(
        out / "monitoring.yaml",
        profile=profile_path.name,
        system=system,
        webhook_url=webhook_url,
    )
    run = run_monitor(spec_path, batches, workspace=workspace)
    spec = load_spec(spec_path)
    add_component(
        workspace,
        system,
        "monitoring",
        spec.name,
        profile.digest.split(":")[-1][:12],
        path=spec_path,
        details={
            "metrics": [m.model_dump(mode="json") for m in spec.metrics],
            "alerts": [a.model_dump(mode="json") for a in spec.alerts],
        },
    )
    report = out / "monitoring-report.html"
    report.write_text(render_monitor_report(workspace, spec.name), encoding="utf-8")
    return {
        "profile": profile_path,
        "spec": spec_path,
        "batches": batches,
        "report": report,
        "run": run,
    }

"""``/metrics``: read by the official ``prometheus_client`` parser after a real monitor run, and
compared with the alerts, the KPIs and the requests the test made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml
from prometheus_client.parser import text_string_to_metric_families

from assay import governance as g
from assay.demo import simulate_production_batches
from assay.evaluate import reference_profile
from assay.monitor import run_monitor
from assay.policy import reporting_period
from assay.web import create_token
from conftest import Seeded


def _source(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    score = 1 / (1 + np.exp(-(age - 45) / 10))
    return pl.DataFrame({
        "age": age,
        "sex": rng.choice(["Female", "Male"], n, p=[0.35, 0.65]),
        "score": score,
        "income": np.where(rng.random(n) < score, ">50K", "<=50K"),
    })  # fmt: skip


def _drifting_monitor(root: Path, folder: Path) -> None:
    """Monitor ``credit-weekly`` on system credit: drift from week 3, so its drift alert fires."""
    reference_profile(_source(3000, 1), sensitive_features="sex", prediction="score",
                      label="income").save(folder / "profile.json")  # fmt: skip
    spec = {
        "name": "credit-weekly", "system": "credit", "owner": "alice",
        "runbook": "https://wiki.example.com/runbooks/credit",
        "data": {"timestamp": "event_time", "prediction": "score", "threshold": 0.5,
                 "label": "income", "pos_label": ">50K", "sensitive_features": ["sex"]},
        "reference": {"profile": "profile.json"},
        "window": {"size": "weekly", "min_rows": 100},
        "metrics": [{"name": "rows", "kind": "quality", "statistic": "rows"},
                    {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"}],
        "alerts": [{"name": "feature-drift", "metric": "drift_share", "condition": ">= 0.3",
                    "consecutive": 2, "severity": "high", "routes": []}],
    }  # fmt: skip
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    batches = simulate_production_batches(folder / "b", source=_source(4000, 2),
                                          rows_per_week=400, weeks=4)  # fmt: skip
    with g.open_workspace(root, user="alice") as ws:
        run = run_monitor(folder / "spec.yaml", batches, workspace=ws, sleep=lambda s: None)
    assert len(run.opened) == 1


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_metrics_need_a_token(seeded: Seeded, client_for: Any) -> None:
    client, _ = client_for()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "assay_" not in answer.text


def test_metrics_parse_and_match_the_records(
    seeded: Seeded, client_for: Any, tmp_path: Path
) -> None:
    _drifting_monitor(seeded.root, tmp_path)
    with g.open_workspace(seeded.root, user="alice") as ws:
        auth = {"Authorization": f"Bearer {create_token(ws, 'viewer', 'prometheus')}"}
        kpis = g.compute_kpis(ws, *reporting_period(ws.today()))
    client, _ = client_for()
    for _ in range(3):
        assert client.get("/api/kpis", headers=auth).status_code == 200
    assert client.get("/api/risks/RISK-999", headers=auth).status_code == 404
    assert client.get("/no-such-page").status_code == 404
    answer = client.get("/metrics", headers=auth)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = _families(answer.text)

    states = {s.labels["metric"]: s.value for s in families["assay_monitor_alert_firing"].samples}
    assert states == {"drift_share": 1.0, "rows": 0.0}
    assert {s.labels["system"] for s in families["assay_monitor_alert_firing"].samples} == {
        "credit"}  # fmt: skip
    (firing,) = families["assay_monitor_alerts_firing"].samples
    assert (firing.labels["severity"], firing.value) == ("high", 1.0)
    assert len(families["assay_monitor_last_run_timestamp_seconds"].samples) == 1

    values = {s.labels["key"]: s.value for s in families["assay_kpi_value"].samples}
    assert values == {k.key: k.value for k in kpis.kpis if k.value is not None}
    sizes = {s.labels["key"]: s.value for s in families["assay_kpi_sample_size"].samples}
    assert sizes == {k.key: k.n for k in kpis.kpis}

    latency = families["assay_http_request_duration_seconds"]
    assert latency.type == "histogram"
    counts = {(s.labels["route"], s.labels["status"]): s.value for s in latency.samples
              if s.name.endswith("_count")}  # fmt: skip
    assert counts[("/api/kpis", "200")] == 3
    assert counts[("/api/risks/{ref}", "404")] == 1
    assert counts[("unmatched", "404")] == 1
    buckets = [s for s in latency.samples if s.name.endswith("_bucket")
               and s.labels["route"] == "/api/kpis"]  # fmt: skip
    cumulative = [s.value for s in buckets]
    assert cumulative == sorted(cumulative)
    assert (buckets[-1].labels["le"], cumulative[-1]) == ("+Inf", 3)


def test_made_up_methods_and_paths_do_not_grow_the_latency_series(
    seeded: Seeded, client_for: Any
) -> None:
    """Anyone, signed in or not, chooses the method and path of a request: neither may become a
    new series (a scrape that grows without end), so strange methods count as ``other``."""
    client, _ = client_for()
    with g.open_workspace(seeded.root, user="alice") as ws:
        auth = {"Authorization": f"Bearer {create_token(ws, 'viewer', 'prom')}"}
    for i in range(20):
        client.request(f"BREW{i}", f"/made-up/{i}")
        client.get(f"/made-up/{i}")
    samples = [
        s.labels
        for s in _families(client.get("/metrics", headers=auth).text)[
            "assay_http_request_duration_seconds"
        ].samples
    ]
    assert {s["method"] for s in samples} <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                              "OPTIONS", "other"}  # fmt: skip
    assert {s["route"] for s in samples if s["route"].startswith("/made-up")} == set()

"""``run_monitor`` end to end: a workspace, simulated weekly batches, real notification servers.

Drift starts in week 3; the rule needs two consecutive windows, so the alert opens on week 4, is
notified once over a webhook, a Slack-compatible webhook and e-mail, is not duplicated by a re-run,
and resolves when the drift goes away. Faults (an unreadable batch, a missing column, a type
change, an empty week, a notifier that is down) are reported and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import email
import json
from email import policy
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml
from monitor_servers import HttpReceiver, SmtpServer
from typer.testing import CliRunner

from assay.cli._app import app
from assay.demo import simulate_production_batches
from assay.evaluate import reference_profile
from assay.governance import Workspace, add_system, init_workspace, list_incidents
from assay.monitor import (
    acknowledge_alert,
    alert_precision,
    list_alerts,
    render_monitor_report,
    run_monitor,
)

NO_WAIT = {"sleep": lambda seconds: None}


def _source(n: int = 3000, seed: int = 1) -> pl.DataFrame:
    """A small stand-in for the scored production table: a few features, a score, a label."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    sex = rng.choice(["Female", "Male"], n, p=[0.35, 0.65])
    hours = np.clip(rng.normal(40, 10, n), 1, 99).round()
    score = 1 / (1 + np.exp(-(age - 45) / 10 - (hours - 40) / 20))
    return pl.DataFrame(
        {
            "age": age,
            "sex": sex,
            "hours": hours,
            "score": score,
            "income": np.where(rng.random(n) < score, ">50K", "<=50K"),
        }
    )


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    """A workspace on SQLite and, in the postgres lane, on PostgreSQL."""
    workspace = init_workspace(tmp_path / "project", db_url=db_url, user="ada")
    add_system(workspace, "income-model", purpose="Predicts income", owner="ada")
    return workspace


def _spec(folder: Path, routes: list[dict[str, Any]], **rule: Any) -> Path:
    profile = reference_profile(
        _source(), sensitive_features="sex", prediction="score", label="income"
    )
    profile.save(folder / "profile.json")
    spec = {
        "name": "income-weekly",
        "system": "income-model",
        "owner": "ada",
        "runbook": "https://wiki.example.com/runbooks/income",
        "data": {
            "timestamp": "event_time",
            "prediction": "score",
            "threshold": 0.5,
            "label": "income",
            "pos_label": ">50K",
            "sensitive_features": ["sex"],
        },
        "reference": {"profile": "profile.json"},
        "window": {"size": "weekly", "min_rows": 100},
        "metrics": [
            {"name": "rows", "kind": "quality", "statistic": "rows"},
            {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"},
            {"name": "age_psi", "kind": "drift", "statistic": "psi", "column": "age"},
            {"name": "dp", "kind": "fairness", "statistic": "demographic_parity_difference"},
            {"name": "accuracy", "kind": "performance", "statistic": "accuracy"},
        ],
        "alerts": [
            {
                "name": "feature-drift",
                "metric": "drift_share",
                "condition": ">= 0.3",
                "consecutive": 2,
                "severity": "high",
                "routes": [r["name"] for r in routes],
            }
            | rule
        ],
        "notifications": {
            "routes": routes,
            "retry": {"attempts": 2, "backoff_seconds": 0.01, "timeout_seconds": 5},
        },
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _batches(folder: Path, **kw: Any) -> list[Path]:
    return simulate_production_batches(
        folder, source=_source(4000, 2), rows_per_week=400, **({"weeks": 5} | kw)
    )


def test_drift_alert_is_notified_once_and_resolves(
    ws: Workspace, tmp_path: Path, http_receiver: HttpReceiver, smtp_server: SmtpServer
) -> None:
    routes = [
        {"name": "hook", "type": "webhook", "url": http_receiver.url + "/hook"},
        {"name": "chat", "type": "slack", "url": http_receiver.url + "/slack"},
        {
            "name": "mail",
            "type": "email",
            "host": smtp_server.host,
            "port": smtp_server.port,
            "from": "assay@example.com",
            "to": ["rai@example.com"],
        },
    ]
    spec = _spec(tmp_path, routes)
    batches = _batches(tmp_path / "b")
    run = run_monitor(spec, batches, workspace=ws, **NO_WAIT)
    assert run.status == "ok", run.to_dict()["problems"]
    shares = [w["values"]["drift_share"] for w in run.windows]
    assert max(shares[:2]) < 0.3
    assert all(s >= 0.3 for s in shares[2:])
    (alert,) = run.opened
    assert alert["first_breach_window"] == "2026-01-19T00:00:00"  # week 3
    assert alert["opened_window"] == "2026-01-26T00:00:00"  # week 4: two in a row
    assert "age" in alert["message"]

    hook = [r for r in http_receiver.requests if r.path == "/hook"]
    (payload,) = [r.json() for r in hook]
    assert payload["event"] == "alert.opened"
    assert payload["alert"]["rule"] == "feature-drift"
    assert payload["alert"]["runbook"] == "https://wiki.example.com/runbooks/income"
    (slack,) = [r.json() for r in http_receiver.requests if r.path == "/slack"]
    assert "feature-drift" in slack["text"]
    (mail,) = smtp_server.messages
    assert (
        "feature-drift" in email.message_from_bytes(mail.content, policy=policy.default)["Subject"]
    )

    # fairness and performance need labels: the last week has none yet
    assert run.windows[-1]["values"]["accuracy"] is None
    assert run.windows[0]["values"]["accuracy"] is not None
    assert any("labels" in n for n in run.windows[-1]["notes"])

    again = run_monitor(spec, batches, workspace=ws, **NO_WAIT)
    assert (again.opened, again.resolved) == ([], [])
    assert len(http_receiver.requests) == 2  # nothing sent twice
    assert len(smtp_server.messages) == 1

    later = simulate_production_batches(
        tmp_path / "later",
        source=_source(4000, 3),
        rows_per_week=400,
        weeks=2,
        drift_from_week=99,
        start=dt.date(2026, 2, 9),
        seed=5,
    )
    resolved = run_monitor(spec, later, workspace=ws, **NO_WAIT)
    (done,) = resolved.resolved
    assert done["id"] == alert["id"]
    assert done["resolved_window"] == "2026-02-09T00:00:00"
    events = [r.json()["event"] for r in http_receiver.requests if r.path == "/hook"]
    assert events == ["alert.opened", "alert.resolved"]

    acknowledge_alert(ws, alert["id"], "meaningful", "real shift in who applies")
    assert alert_precision(ws)["precision"] == 1.0
    (row,) = list_alerts(ws)
    assert (row["verdict"], row["verdict_by"], row["status"]) == ("meaningful", "ada", "resolved")

    html = render_monitor_report(ws, "income-weekly")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert html.count("<svg") >= 4
    assert "feature-drift" in html
    assert ws.store.verify().ok


def test_faults_are_reported_and_the_run_goes_on(ws: Workspace, tmp_path: Path) -> None:
    spec = _spec(tmp_path, [])
    good = _batches(tmp_path / "b", weeks=2, drift_from_week=99)
    broken = tmp_path / "b" / "broken.parquet"
    broken.write_bytes(b"PAR1 not parquet at all")
    week4 = pl.read_parquet(good[0]).with_columns(
        pl.col("event_time") + pl.duration(weeks=3), pl.col("age").cast(pl.String)
    )
    no_hours = week4.drop("hours").with_columns(pl.col("age").cast(pl.Int64))
    typed = tmp_path / "b" / "age_as_text.parquet"
    week4.head(200).write_parquet(typed)
    missing = tmp_path / "b" / "no_hours.parquet"
    no_hours.tail(200).write_parquet(missing)
    run = run_monitor(spec, [*good, broken, typed, missing], workspace=ws, **NO_WAIT)

    assert run.status == "problems"
    problems = run.to_dict()["problems"]
    assert problems[0]["problem"] == "unreadable"
    assert "broken.parquet" in problems[0]["message"]
    starts = [w["start"][:10] for w in run.windows]
    assert starts == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    empty = run.windows[2]
    assert (empty["status"], empty["rows"], empty["values"]["rows"]) == ("empty", 0, 0.0)
    mixed = run.windows[3]
    assert mixed["status"] == "ok"
    kinds = {p["problem"] for p in mixed["problems"]}
    assert {"type_changed", "missing_column", "unreadable"} <= kinds
    assert mixed["values"]["drift_share"] is not None
    from assay.governance import monitor_records as db

    rows = db.stored_windows(ws, int(db.monitor_row(ws, "income-weekly")["id"]))
    assert [r["status"] for r in rows] == ["ok", "ok", "empty", "ok"]

    # a run that only brings the broken batch does not overwrite anything stored
    run_monitor(spec, [broken], workspace=ws, **NO_WAIT)
    assert len(db.stored_windows(ws, 1)) == 4


def _stored_rows(ws: Workspace) -> list[int]:
    from assay.governance import monitor_records as db

    rows = db.stored_windows(ws, int(db.monitor_row(ws, "income-weekly")["id"]))
    return [int(r["rows"]) for r in rows]


def test_a_partial_run_does_not_replace_a_complete_window(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(tmp_path, [])
    week1, week2 = _batches(tmp_path / "b", weeks=2, drift_from_week=99)
    # 150 late rows of week 1 that arrive in a file of their own
    late = tmp_path / "b" / "late.parquet"
    pl.read_parquet(week1).head(150).write_parquet(late)
    run_monitor(spec, [week1, week2], workspace=ws, **NO_WAIT)
    assert _stored_rows(ws) == [400, 400]

    # the late file alone covers only part of week 1: the complete record stays
    partial = run_monitor(spec, [late], workspace=ws, **NO_WAIT)
    assert _stored_rows(ws) == [400, 400]
    assert partial.status == "problems"
    (window,) = partial.windows
    assert (window["rows"], window["stored"]) == (150, False)
    (problem,) = partial.to_dict()["problems"]
    assert problem["problem"] == "partial_window"
    assert problem["window"] == window["start"]
    assert week1.name in problem["message"]
    assert "late.parquet" in problem["message"]

    # every batch the stored window was computed from, plus the late one: replaced
    fuller = run_monitor(spec, [late, week1], workspace=ws, **NO_WAIT)
    assert fuller.status == "ok", fuller.to_dict()["problems"]
    assert [w["stored"] for w in fuller.windows] == [True]
    assert _stored_rows(ws) == [550, 400]

    # the same batches named by another path (a run from another folder) are the same batches
    monkeypatch.chdir(tmp_path / "b")
    again = run_monitor(spec, [Path("late.parquet"), week1], workspace=ws, **NO_WAIT)
    assert again.status == "ok", again.to_dict()["problems"]
    # and week 1 alone is now partial too
    alone = run_monitor(spec, [week1], workspace=ws, **NO_WAIT)
    assert alone.windows[0]["stored"] is False
    assert _stored_rows(ws) == [550, 400]


def test_stored_windows_are_replaced_only_by_complete_computations(ws: Workspace) -> None:
    from assay.governance import monitor_records as db

    monitor = db.upsert_monitor(ws, "m", "income-model", {"name": "m"})
    run = db.start_run(ws, monitor, ws.now())
    start = dt.datetime(2026, 1, 5)

    def save(status: str, rows: int, sources: list[str]) -> db.Saved:
        return db.save_window(
            ws,
            monitor,
            run,
            start=start,
            end=start + dt.timedelta(weeks=1),
            rows=rows,
            status=status,
            values={"rows": float(rows)},
            result={"status": status, "sources": sources},
        )

    def stored() -> tuple[str, int]:
        (row,) = db.stored_windows(ws, monitor)
        assert db.series(ws, monitor, "rows") == [(start.replace(tzinfo=dt.UTC), row["rows"])]
        return str(row["status"]), int(row["rows"])

    assert save("ok", 400, ["/d/a.parquet", "/d/b.parquet"]).stored
    assert stored() == ("ok", 400)
    for status, rows, sources in [
        ("empty", 0, ["/d/a.parquet", "/d/b.parquet"]),
        ("failed", 400, ["/d/a.parquet", "/d/b.parquet"]),
        ("ok", 200, ["/d/a.parquet"]),
        ("ok", 300, ["/d/a.parquet", "/d/c.parquet"]),
    ]:
        saved = save(status, rows, sources)
        assert not saved.stored, (status, rows, sources)
        assert saved.note is not None
        assert stored() == ("ok", 400)
    assert save("ok", 200, ["/d/a.parquet"]).problem is not None
    assert save("empty", 0, []).problem is None
    # the same batches again (a file was corrected), or more: replaced
    assert save("ok", 390, ["/d/b.parquet", "/d/a.parquet"]).stored
    assert stored() == ("ok", 390)
    assert save("ok", 500, ["/d/a.parquet", "/d/b.parquet", "/d/c.parquet"]).stored
    assert stored() == ("ok", 500)


def test_failed_notifications_are_recorded_and_retried(
    ws: Workspace, tmp_path: Path, http_receiver: HttpReceiver
) -> None:
    spec = _spec(tmp_path, [{"name": "hook", "type": "webhook", "url": http_receiver.url}])
    batches = _batches(tmp_path / "b")
    http_receiver.fail_next = 100
    run = run_monitor(spec, batches, workspace=ws, **NO_WAIT)
    assert run.status == "problems"
    (delivery,) = run.to_dict()["notifications"]
    assert (delivery["ok"], delivery["attempts"]) == (False, 2)
    assert "HTTP 500" in delivery["error"]
    assert any(p["problem"] == "notification_failed" for p in run.to_dict()["problems"])

    http_receiver.fail_next = 0
    again = run_monitor(spec, batches, workspace=ws, **NO_WAIT)
    (retry,) = again.to_dict()["notifications"]
    assert (retry["ok"], retry["retry"]) == (True, True)
    assert http_receiver.requests[-1].json()["event"] == "alert.opened"
    from assay.store._monitoring import monitor_notifications

    with ws.store.read() as conn:
        (row,) = conn.execute(monitor_notifications.select()).mappings().all()
    assert (row["status"], row["attempts"]) == ("delivered", 3)


def test_alert_opens_an_incident_and_a_corrective_action(ws: Workspace, tmp_path: Path) -> None:
    spec = _spec(tmp_path, [], open_incident=True, open_action=True)
    run = run_monitor(spec, _batches(tmp_path / "b"), workspace=ws, **NO_WAIT)
    (alert,) = run.opened
    (incident,) = list_incidents(ws)
    assert alert["incident_id"] == incident.id
    assert alert["action_id"] is not None
    assert incident.severity == "sev2"
    assert "feature-drift" in incident.title


def test_cli_run_register_ack_and_report(ws: Workspace, tmp_path: Path) -> None:
    spec = _spec(tmp_path, [])
    batches = _batches(tmp_path / "b")
    runner = CliRunner()
    root = ["--workspace", str(ws.root)]
    out = tmp_path / "run.json"
    data = [arg for b in batches for arg in ("--data", str(b))]
    args = ["monitor", "run", "--spec", str(spec), *data]
    result = runner.invoke(app, [*args, *root, "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["alerts"]["opened"][0]["rule"] == "feature-drift"
    result = runner.invoke(app, ["monitor", "ack", "1", "--noise", *root])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["monitor", "precision", *root])
    assert "alert precision 0%: 0 meaningful, 1 noise" in result.output
    report = tmp_path / "report.html"
    result = runner.invoke(
        app, ["monitor", "report", "--monitor", "income-weekly", "-o", str(report), *root]
    )
    assert result.exit_code == 0, result.output
    assert "<svg" in report.read_text()
    result = runner.invoke(app, ["monitor", "register", "--spec", str(spec), *root])
    assert result.exit_code == 0, result.output
    from assay.governance import show_system

    overview = show_system(ws, "income-model").to_dict()
    assert "monitoring" in json.dumps(overview, default=str)


def test_demo_monitoring_step(ws: Workspace, tmp_path: Path) -> None:
    from assay.demo import run_demo_monitoring

    rng = np.random.default_rng(4)
    scored = _source(3000, 4).with_columns(
        pl.Series("race", rng.choice(["White", "Black", "Other"], 3000, p=[0.7, 0.2, 0.1]))
    )
    out = run_demo_monitoring(
        tmp_path / "demo", ws, scored, weeks=4, rows_per_week=300, system="income-model"
    )
    run = out["run"]
    assert {a["rule"] for a in run.opened} == {"feature-drift", "score-shift"}
    assert out["report"].read_text().startswith("<!DOCTYPE html>")
    assert len(out["batches"]) == 4


def test_a_spec_has_one_identity_however_its_yaml_is_written(ws: Workspace, tmp_path: Path) -> None:
    """The stored monitor and the registered component are named by the same hash (issue 14)."""
    from assay.governance import monitor_records, show_system

    spec = _spec(tmp_path, [])
    reordered = tmp_path / "reordered.yaml"
    loaded = yaml.safe_load(spec.read_text())
    reordered.write_text(
        "# the same spec, keys in reverse order\n"
        + yaml.safe_dump(dict(reversed(list(loaded.items()))), sort_keys=False)
    )
    assert reordered.read_bytes() != spec.read_bytes()
    runner = CliRunner()
    root = ["--workspace", str(ws.root)]
    batches = _batches(tmp_path / "b")
    data = [arg for b in batches for arg in ("--data", str(b))]
    result = runner.invoke(app, ["monitor", "run", "--spec", str(spec), *data, *root])
    assert result.exit_code == 0, result.output
    stored = monitor_records.monitor_row(ws, "income-weekly")["spec_sha256"]
    result = runner.invoke(app, ["monitor", "register", "--spec", str(reordered), *root])
    assert result.exit_code == 0, result.output
    assert f"(version {stored[:12]})" in result.output
    components = show_system(ws, "income-model").to_dict()["components"]
    assert [c["version"] for c in components if c["kind"] == "monitoring"] == [stored[:12]]

"""Goldens of ``assay monitor``: a run over five simulated weeks (drift from week 3), the alerts,
an acknowledgement, alert precision, the HTML report, registration and the spec schema, in a
workspace of its own on a pinned clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from cli_worker import pinned_clock
from golden_house import SYSTEM, Clock
from golden_support import CliWorker, Golden, Outputs, Run

from assay import governance as g
from assay.demo import simulate_production_batches, write_demo_spec

#: The Monday after the fifth simulated week.
RUN_DAY = dt.datetime(2025, 2, 10, 9, 0, tzinfo=dt.UTC)
MONITOR = f"{SYSTEM}-weekly"

GOLDENS = [
    "monitor/validate.txt",
    "monitor/run-json.txt",
    "monitor/run.json",
    "monitor/run-again-table.txt",
    "monitor/alerts.txt",
    "monitor/ack.txt",
    "monitor/precision.txt",
    "monitor/report.txt",
    "monitor/report.html",
    "monitor/register.txt",
    "monitor/schema.json",
]


@pytest.fixture(scope="module")
def outputs(cli: Callable[..., Run], inputs: Path, root: Path, worker: CliWorker) -> Outputs:
    folder = root / "monitoring"
    with pinned_clock(Clock(RUN_DAY)), g.init_workspace(folder, user="ada") as ws:
        g.add_system(ws, SYSTEM, purpose="Predicts income.", owner="ada")
    made = cli("check", "profile", "data/scored.csv", "-o", folder / "profile.json",
               "--sensitive", "sex,race", "--prediction", "score", "--label", "income",
               "--bins", "200")  # fmt: skip
    assert made.code == 0, made.transcript()
    write_demo_spec(folder / "spec.yaml", profile="profile.json", system=SYSTEM, owner="ada")
    source = pl.read_csv(inputs / "data/scored.csv")
    batches = simulate_production_batches(
        folder / "batches", weeks=5, source=source, rows_per_week=400, start=dt.date(2025, 1, 6)
    )
    data = [arg for b in batches for arg in ("--data", str(b.relative_to(folder)))]
    (folder / "out").mkdir()

    def monitor(*args: str) -> Run:
        return worker.run("monitor", *args, cwd=folder, clock=RUN_DAY)

    out = Outputs()
    out.run("monitor/validate.txt", monitor("validate", "--spec", "spec.yaml"))
    run = out.run(
        "monitor/run-json.txt",
        monitor("run", "--spec", "spec.yaml", *data, "--no-notify", "-f", "json",
                "-o", "out/run.json"),
    )  # fmt: skip
    assert run.code == 0, run.transcript()
    out.file("monitor/run.json", folder / "out/run.json")
    out.run(
        "monitor/run-again-table.txt", monitor("run", "--spec", "spec.yaml", *data, "--no-notify")
    )
    out.run("monitor/alerts.txt", monitor("alerts"))
    out.run("monitor/ack.txt", monitor("ack", "1", "--noise"))
    out.run("monitor/precision.txt", monitor("precision"))
    out.run("monitor/report.txt", monitor("report", "--monitor", MONITOR, "-o", "out/report.html"))
    out.file("monitor/report.html", folder / "out/report.html")
    out.run("monitor/register.txt", monitor("register", "--spec", "spec.yaml"))
    schema = monitor("schema")
    assert schema.code == 0, schema.transcript()
    out["monitor/schema.json"] = schema.out
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])

"""``assay monitor run`` and ``assay robustness run`` take the shared source options: a batch in
PostgreSQL gives the same windows as the same batch in a file."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from sources_support import run

pytestmark = pytest.mark.postgres


def _spec(folder: Path, table: pl.DataFrame) -> Path:
    from assay.evaluate import reference_profile

    reference_profile(table, sensitive_features="sex", prediction="score", label="label").save(
        folder / "profile.json"
    )
    spec = {
        "name": "adult-weekly",
        "system": "adult-model",
        "owner": "ada",
        "runbook": "https://wiki.example.com/runbooks/adult",
        "data": {
            "timestamp": "event_time",
            "prediction": "score",
            "threshold": 0.5,
            "label": "label",
            "pos_label": 1,
            "sensitive_features": ["sex"],
        },
        "reference": {"profile": "profile.json"},
        "window": {"size": "weekly", "min_rows": 100},
        "metrics": [
            {"name": "rows", "kind": "quality", "statistic": "rows"},
            {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"},
            {"name": "dp", "kind": "fairness", "statistic": "demographic_parity_difference"},
        ],
        "alerts": [],
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _workspace(folder: Path) -> Path:
    from assay.governance import add_system, init_workspace

    ws = init_workspace(folder, user="ada")
    add_system(ws, "adult-model", purpose="Predicts income", owner="ada")
    ws.close()
    return folder


def _windows(out: Path) -> list[dict[str, Any]]:
    payload = json.loads(out.read_text(encoding="utf-8"))
    return [{k: w[k] for k in ("start", "rows", "values")} for w in payload["windows"]]


def test_a_batch_in_a_table_gives_the_windows_of_the_file(
    table: pl.DataFrame, tmp_path: Path
) -> None:
    import datetime as dt

    import sqlalchemy as sa

    start = dt.datetime(2026, 11, 2)
    batch = table.head(3000).with_columns(
        event_time=pl.lit(start) + pl.duration(hours=pl.int_range(pl.len()) % (24 * 21))
    )
    spec = _spec(tmp_path, table)
    local = tmp_path / "batch.parquet"
    batch.write_parquet(local)
    name = f"batch_{uuid.uuid4().hex[:10]}"
    url = os.environ["ASSAY_TEST_POSTGRES_URL"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    batch.write_database(name, engine)
    try:
        common = ("monitor", "run", "--spec", spec, "--no-notify", "-f", "json")
        by_file = run(*common, "--data", local, "-w", _workspace(tmp_path / "a"),
                      "-o", tmp_path / "a.json")  # fmt: skip
        by_table = run(*common, "--source-db", url, "--table", name,
                       "-w", _workspace(tmp_path / "b"), "-o", tmp_path / "b.json")  # fmt: skip
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        engine.dispose()
    assert by_file.code == 0, by_file.err
    assert by_table.code == 0, by_table.err
    windows = _windows(tmp_path / "a.json")
    assert len(windows) == 3
    assert _windows(tmp_path / "b.json") == windows


def test_monitor_run_without_any_batch_is_exit_2(tmp_path: Path, table: pl.DataFrame) -> None:
    result = run("monitor", "run", "--spec", _spec(tmp_path, table), "-w", tmp_path)
    assert result.code == 2
    assert "Give the batch to process" in result.err

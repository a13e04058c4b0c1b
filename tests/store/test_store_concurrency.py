"""Ten processes writing at once lose nothing and keep the chain valid; a process killed inside a
transaction leaves no partial record. Both on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_helpers import system_values

from assay.store import Store, tables

WORKER = Path(__file__).with_name("store_worker.py")
PROCESSES = 10
WRITES = 6


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(WORKER.parent), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.slow
def test_ten_processes_write_at_once(store: Store, db_url: str, tmp_path: Path) -> None:
    with store.write(actor="root", action="system.add", entity_type="system") as tx:
        tx.insert(tables.ai_systems, {**system_values("shared"), "owner": "0"})
    start = tmp_path / "start"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "write",
                db_url,
                str(tmp_path / "blobs"),
                f"w{i}",
                str(WRITES),
                str(start),
            ],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    start.touch()
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    report = store.verify()
    assert report.ok, report.problems[:3]
    assert report.events == 1 + PROCESSES * WRITES
    with store.read() as conn:
        users = conn.execute(sa.select(sa.func.count()).select_from(tables.users)).scalar_one()
        counter = conn.execute(sa.select(tables.ai_systems.c.owner)).scalar_one()
    assert users == PROCESSES * WRITES
    # Every read-modify-write saw the previous one: no lost update.
    assert counter == str(PROCESSES * WRITES)


@pytest.mark.slow
def test_process_killed_mid_transaction_leaves_no_partial_record(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    with store.write(actor="root", action="system.add", entity_type="system") as tx:
        tx.insert(tables.ai_systems, system_values("before"))
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "hang", db_url, str(tmp_path / "blobs")],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "READY", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with store.read() as conn:
        names = conn.execute(sa.select(tables.ai_systems.c.name)).scalars().all()
        users = conn.execute(sa.select(sa.func.count()).select_from(tables.users)).scalar_one()
    assert names == ["before"]
    assert users == 0
    report = store.verify()
    assert report.ok
    assert report.events == 1
    # The lock died with the process: the next writer goes ahead.
    with store.write(actor="root", action="system.add", entity_type="system") as tx:
        tx.insert(tables.ai_systems, system_values("after"))
    assert store.verify().events == 2

"""Issue 16 (low): the workspace's files. Plain ``audit verify`` finds a missing or edited blob
(before, only ``--blobs`` looked at them); the temporary files of killed writes are cleaned when
the workspace opens and reported by verify; the database, blobs and config are the owner's only.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gov_helpers import credit_system, fairness_result

from assay import governance as g


def _evidence_blob(ws: g.Workspace) -> Path:
    credit_system(ws)
    record = g.record_evaluation(
        ws, fairness_result(), kind="fairness", system="credit", model_version="1"
    )
    return ws.blobs.path(record.blob_sha256)


def test_plain_verify_finds_a_missing_blob(ws: g.Workspace) -> None:
    blob = _evidence_blob(ws)
    assert g.verify_audit(ws).ok
    blob.unlink()
    report = g.verify_audit(ws)
    assert not report.ok
    assert "(the file of EV-1) is missing" in report.problems[0].message


def test_plain_verify_finds_a_blob_whose_size_changed(ws: g.Workspace) -> None:
    blob = _evidence_blob(ws)
    blob.chmod(0o600)
    with blob.open("ab") as fh:
        fh.write(b" ")
    report = g.verify_audit(ws)
    assert not report.ok
    assert "(the file of EV-1) is" in report.problems[0].message
    assert "it was modified" in report.problems[0].message


def test_an_edit_that_keeps_the_size_needs_the_full_hash(ws: g.Workspace) -> None:
    """The cheap check is a size check; ``--blobs`` re-hashes and finds any edit."""
    blob = _evidence_blob(ws)
    data = bytearray(blob.read_bytes())
    data[-2] ^= 1
    blob.write_bytes(bytes(data))
    assert g.verify_audit(ws).ok
    report = g.verify_audit(ws, blobs=True)
    assert "was modified" in report.problems[0].message
    assert "(the file of EV-1)" in report.problems[0].message


def _killed_write(blobs: Path) -> Path:
    """Start a real blob write in another process and kill it (SIGKILL) before it renames its
    temporary file into place: what a crash or an OOM kill leaves."""
    code = (
        "import os, signal, sys; from pathlib import Path; from assay.store import BlobStore\n"
        "fh, tmp = BlobStore(Path(sys.argv[1]))._tempfile(); fh.write(b'partial'); fh.flush()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(blobs)], check=False)
    assert proc.returncode == -signal.SIGKILL
    (left,) = blobs.glob(".incoming-*")
    return left


def test_temporary_files_of_killed_writes_are_reported_then_cleaned(ws: g.Workspace) -> None:
    credit_system(ws)
    left = _killed_write(ws.blobs.root)
    report = g.verify_audit(ws)
    assert report.ok  # a write in progress breaks nothing
    assert [n for n in report.notes if left.name in n and "has not finished" in n]
    assert report.to_dict()["notes"] == list(report.notes)
    g.open_workspace(ws.root, user="ada").close()
    assert left.exists()  # fresh: it may be a write still running
    old = time.time() - 2 * 3600
    os.utime(left, (old, old))
    g.open_workspace(ws.root, user="ada").close()
    assert not left.exists()
    assert g.verify_audit(ws).notes == ()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> object:
    """The common default umask (022), so that only explicit modes make files private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_workspace_files_are_the_owners_only(tmp_path: Path, loose_umask: object) -> None:
    ws = g.init_workspace(tmp_path / "project", user="ada")
    g.add_user(ws, "cy", role="analyst")
    blob = _evidence_blob(ws)
    wdir = tmp_path / "project" / ".assay"
    assert (wdir / "assay.db-wal").exists()  # connections are open
    for name in ("assay.db", "assay.db-wal", "assay.db-shm", "config.toml"):
        assert _mode(wdir / name) == 0o600, name
    for folder in (wdir, wdir / "blobs", blob.parent):
        assert _mode(folder) == 0o700, folder
    assert _mode(blob) == 0o600
    ws.close()

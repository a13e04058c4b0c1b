"""Issue 16 (M6): ``restore`` refuses a zip bomb, a lying header and an over-large backup before
expanding them, and a restore that fails at any step leaves the folder, the blobs and the
database as they were (before: a 4.2 MB zip expanded to 4 GiB, then gigabytes of blobs stayed).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from gov_helpers import credit_system, fairness_result

from assay import governance as g
from assay.errors import InputError, IntegrityError
from assay.store import tables


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    """A genuine backup: a system, an evaluation (a blob) and the audit chain."""
    ws = g.init_workspace(tmp_path / "source", user="ada")
    g.add_user(ws, "cy", role="analyst")
    credit_system(ws)
    g.record_evaluation(ws, fairness_result(), kind="fairness", system="credit", model_version="1")
    path = g.backup_workspace(ws, tmp_path / "backup.zip").path
    ws.close()
    return path


def _tree(folder: Path) -> list[str]:
    """Every path under ``folder``, so a test can say nothing was added or left."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _rewrite(source: Path, target: Path, extra: dict[str, bytes]) -> Path:
    """``source`` with more entries (blobs a test adds)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        for name, data in extra.items():
            out.writestr(name, data)
    return target


def _bomb(path: Path, size: int) -> Path:
    """A real zip bomb: ``size`` zero bytes, stored as a blob entry, deflate ~1000 to 1."""
    data = bytes(size)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("blobs/" + hashlib.sha256(data).hexdigest(), data)
    return path


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.zip", 64 * 1024**2)
    assert bomb.stat().st_size < 100 * 1024  # 64 MiB from under 100 KiB
    before = _tree(tmp_path)
    with pytest.raises(
        InputError, match=r"declares 64\.0 MiB from \d+\.\d KiB compressed, more than"
    ):
        g.restore_workspace(bomb, tmp_path / "dst", user="ada")
    assert _tree(tmp_path) == before  # no workspace, no scratch folder, nothing expanded


def test_a_header_that_lies_about_the_compressed_size_is_caught(tmp_path: Path) -> None:
    """The bomb's central directory claims 16 MiB of compressed data; the archive holds 16 KiB:
    the ratio is computed from the bytes that are really there."""
    bomb = _bomb(tmp_path / "bomb.zip", 16 * 1024**2)
    with zipfile.ZipFile(bomb, "a") as zf:
        zf.filelist[0].compress_size = 16 * 1024**2
        zf._didModify = True  # rewrite the central directory with the lie
    assert zipfile.ZipFile(bomb).infolist()[0].compress_size == 16 * 1024**2
    before = _tree(tmp_path)
    with pytest.raises(InputError, match="more than 200 to 1"):
        g.restore_workspace(bomb, tmp_path / "dst", user="ada")
    assert _tree(tmp_path) == before


def test_a_header_that_lies_about_the_expanded_size_is_caught(tmp_path: Path) -> None:
    """The header claims 1,000 bytes for 16 MiB of data: expanding stops at 1,000 and the entry
    fails its checksum; nothing is written past what was declared, and nothing is kept."""
    bomb = _bomb(tmp_path / "bomb.zip", 16 * 1024**2)
    with zipfile.ZipFile(bomb, "a") as zf:
        zf.filelist[0].file_size = 1_000
        zf._didModify = True
    before = _tree(tmp_path)
    with pytest.raises(InputError, match=r"is not a readable backup archive .*CRC"):
        g.restore_workspace(bomb, tmp_path / "dst", user="ada")
    assert _tree(tmp_path) == before


def test_a_backup_larger_than_the_limit_is_refused(backup: Path, tmp_path: Path) -> None:
    before = _tree(tmp_path)
    with pytest.raises(InputError, match=r"more than the limit of 1000 bytes.*--max-size"):
        g.restore_workspace(backup, tmp_path / "dst", user="ada", max_bytes=1_000)
    assert _tree(tmp_path) == before
    ws, summary = g.restore_workspace(backup, tmp_path / "dst", user="ada", max_bytes=10**7)
    assert summary.blobs == 1
    ws.close()


def test_a_restore_that_fails_midway_leaves_nothing_behind(backup: Path, tmp_path: Path) -> None:
    """The last blob does not hash to its name: the earlier blob and the new workspace are
    removed again."""
    bad = _rewrite(backup, tmp_path / "bad.zip", {"blobs/" + "f" * 64: b"not what the name says"})
    before = _tree(tmp_path)
    with pytest.raises(IntegrityError, match="does not hash to its name"):
        g.restore_workspace(bad, tmp_path / "dst", user="ada")
    assert _tree(tmp_path) == before


def test_a_failed_restore_into_an_empty_workspace_keeps_it_as_it_was(
    db_url: str, backup: Path, tmp_path: Path
) -> None:
    """Into an existing, empty workspace (a team database): no blob, no row stays."""
    target = g.init_workspace(tmp_path / "dst", db_url=db_url, user="ada", bootstrap_user=False)
    target.close()
    bad = _rewrite(backup, tmp_path / "bad.zip", {"blobs/" + "f" * 64: b"not what the name says"})
    before = _tree(tmp_path / "dst")
    with pytest.raises(IntegrityError, match="does not hash to its name"):
        g.restore_workspace(bad, tmp_path / "dst", db_url=db_url, user="ada")
    assert _tree(tmp_path / "dst") == before
    with g.open_workspace(tmp_path / "dst", db_url=db_url, user="ada") as ws:
        with ws.store.read() as conn:
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(tables.audit_events)).scalar()
                == 0
            )
        restored, _ = g.restore_workspace(backup, tmp_path / "dst", db_url=db_url, user="ada")
        assert g.verify_audit(restored, blobs=True).ok
        restored.close()


def test_a_restore_whose_records_do_not_verify_leaves_nothing_behind(
    backup: Path, tmp_path: Path
) -> None:
    """The rows are edited and the manifest re-hashed: verification fails after the blobs were
    stored and the rows inserted; all of it is undone."""
    with zipfile.ZipFile(backup) as zf:
        files = {i.filename: zf.read(i) for i in zf.infolist()}
    systems = files["tables/ai_systems.yaml"].replace(b"Scores loan", b"Scores LOAN")
    files["tables/ai_systems.yaml"] = systems
    manifest = files["assay-export.yaml"].decode()
    old = hashlib.sha256(zipfile.ZipFile(backup).read("tables/ai_systems.yaml")).hexdigest()
    files["assay-export.yaml"] = manifest.replace(old, hashlib.sha256(systems).hexdigest()).encode()
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    before = _tree(tmp_path)
    with pytest.raises(IntegrityError, match="do not verify, so nothing was imported"):
        g.restore_workspace(edited, tmp_path / "dst", user="ada")
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../escape.txt": b"x"}, "an Assay backup never holds"),
        ({"/etc/cron.d/x": b"x"}, "an Assay backup never holds"),
        ({"blobs/../../x": b"x"}, "an Assay backup never holds"),
        ({"assay-export.yaml": b"a: [" * 100_000}, "is not YAML Assay wrote"),
        ({"assay-export.yaml": b"- just a list"}, "not an Assay export manifest"),
    ],
    ids=["parent", "absolute", "blob-parent", "deep-yaml", "not-a-manifest"],
)
def test_archives_that_are_not_backups_are_refused_cleanly(
    tmp_path: Path, entries: dict[str, bytes], message: str
) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    before = _tree(tmp_path)
    with pytest.raises(InputError, match=message):
        g.restore_workspace(bad, tmp_path / "dst", user="ada")
    assert _tree(tmp_path) == before


def test_backups_are_readable_by_their_owner_only(backup: Path) -> None:
    assert os.stat(backup).st_mode & 0o777 == 0o600

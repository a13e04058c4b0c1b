"""Export/import and backup/restore round-trip exactly, across SQLite and PostgreSQL."""

from __future__ import annotations

import filecmp
import zipfile
from pathlib import Path

import pytest
from gov_helpers import CREDIT_ANSWERS, as_user, credit_system, fairness_result

from assay import governance as g
from assay.errors import ConflictError, InputError, IntegrityError


def _populate(ws: g.Workspace) -> None:
    credit_system(ws)
    g.record_evaluation(
        ws,
        fairness_result(),
        kind="fairness",
        system="credit",
        model_version="1",
        code_commit="a" * 40,
    )
    risk = g.add_risk(
        ws,
        system="credit",
        title="Gap — “quoted” ünïcode",
        category="1.3",
        likelihood=4,
        severity=5,
        owner="cy",
        due_date="2025-04-01",
    )
    w = g.request_waiver(
        ws,
        system="credit",
        risk=risk.ref,
        control="dp",
        rationale="r",
        compensating_controls="c",
        residual_risk="m",
        expires_on="2025-05-01",
    )
    g.approve_waiver(as_user(ws, "bob"), w.ref, rationale="ok")
    review = g.open_review(ws, "credit", answers=CREDIT_ANSWERS)
    g.triage_review(ws, review.ref, owner="cy")


def _same_tree(a: Path, b: Path) -> None:
    cmp = filecmp.dircmp(a, b)
    assert (cmp.left_only, cmp.right_only, cmp.diff_files) == ([], [], [])
    for sub in cmp.common_dirs:
        _same_tree(a / sub, b / sub)


def test_export_import_round_trip_into_sqlite(ws: g.Workspace, tmp_path: Path) -> None:
    _populate(ws)
    first = g.export_workspace(ws, tmp_path / "export")
    assert (tmp_path / "export" / "tables" / "risks.yaml").read_text().count("id:") >= 1
    again = g.export_workspace(ws, tmp_path / "export")  # re-export in place: same bytes
    assert again == first
    copy, summary = g.import_workspace(tmp_path / "export", tmp_path / "copy", user="ada")
    assert (summary.events, summary.head_hash) == (first.events, first.head_hash)
    assert g.verify_audit(copy, blobs=True).ok
    g.export_workspace(copy, tmp_path / "export2")
    _same_tree(tmp_path / "export", tmp_path / "export2")
    # The copy works as a workspace: ids continue after the imported ones.
    copy.clock = ws.clock
    assert g.add_system(copy, "next", purpose="p", owner="cy").id == 2
    copy.close()


def test_backup_from_sqlite_restores_into_this_database(
    db_url: str, tmp_path: Path, clock: object
) -> None:
    source = g.init_workspace(tmp_path / "src", user="ada")
    source.clock = clock  # type: ignore[assignment]
    for name, role in (("bob", "approver"), ("cy", "analyst")):
        g.add_user(source, name, role=role)
    _populate(source)
    backup = g.backup_workspace(source, tmp_path / "assay-backup.zip")
    restored, summary = g.restore_workspace(
        backup.path, tmp_path / "dst", db_url=db_url, user="ada"
    )
    assert summary.head_hash == backup.head_hash
    assert g.verify_audit(restored, blobs=True).ok
    assert [r.title for r in g.list_risks(restored)] == ["Gap — “quoted” ünïcode"]
    g.export_workspace(source, tmp_path / "a")
    g.export_workspace(restored, tmp_path / "b")
    _same_tree(tmp_path / "a", tmp_path / "b")
    with pytest.raises(ConflictError, match="empty one"):
        g.restore_workspace(backup.path, tmp_path / "dst", db_url=db_url, user="ada")
    restored.close()
    source.close()


def test_tampered_exports_are_refused(ws: g.Workspace, tmp_path: Path) -> None:
    _populate(ws)
    g.export_workspace(ws, tmp_path / "export")
    risks = tmp_path / "export" / "tables" / "risks.yaml"
    risks.write_text(risks.read_text().replace("status: open", "status: closed"))
    with pytest.raises(IntegrityError, match="changed after the export"):
        g.import_workspace(tmp_path / "export", tmp_path / "copy", user="ada")
    assert not (tmp_path / "copy").exists()  # a refused export leaves no workspace behind
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(ConflictError, match="not empty"):
        g.export_workspace(ws, tmp_path / "full")


def test_edited_rows_fail_verification_and_nothing_is_imported(
    ws: g.Workspace, tmp_path: Path
) -> None:
    """Even with the manifest re-hashed, an edited row does not match the audit chain."""
    import hashlib

    import yaml

    _populate(ws)
    g.export_workspace(ws, tmp_path / "export")
    risks = tmp_path / "export" / "tables" / "risks.yaml"
    risks.write_text(risks.read_text().replace("status: open", "status: closed"))
    manifest = tmp_path / "export" / "assay-export.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["tables"]["risks"]["sha256"] = hashlib.sha256(risks.read_bytes()).hexdigest()
    manifest.write_text(yaml.safe_dump(data))
    with pytest.raises(IntegrityError, match="risks:1 was edited outside Assay"):
        g.import_workspace(tmp_path / "export", tmp_path / "copy", user="ada")
    assert not (tmp_path / "copy").exists()  # the workspace it made is removed again


def test_restore_refuses_unsafe_archives(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(InputError, match=r"'\.\./escape\.txt', which an Assay backup never holds"):
        g.restore_workspace(bad, tmp_path / "dst", user="ada")
    assert not (tmp_path / "dst").exists()
    assert not (tmp_path / "escape.txt").exists()

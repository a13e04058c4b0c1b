"""Evidence: immutable, bound to versions, corrected by superseding; evaluations filed as
evidence with the dataset digest and the code commit."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from gov_helpers import DIGEST, credit_system, events, fairness_result

from assay import governance as g
from assay.errors import ConflictError, InputError, IntegrityError
from assay.store import tables


def _git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_detect_code_version(tmp_path: Path) -> None:
    assert g.detect_code_version(tmp_path) is None
    _git(tmp_path, "init", "-q")
    (tmp_path / "train.py").write_text("print(1)\n")
    _git(tmp_path, "add", "train.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert g.detect_code_version(tmp_path) == g.CodeVersion(commit=head, dirty=False)
    (tmp_path / "train.py").write_text("print(2)\n")
    assert g.detect_code_version(tmp_path) == g.CodeVersion(commit=head, dirty=True)


def test_record_evaluation(
    ws: g.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credit_system(ws)
    _git(tmp_path, "init", "-q")
    (tmp_path / "f").write_text("x")
    _git(tmp_path, "add", "f")
    _git(tmp_path, "commit", "-q", "-m", "c")
    monkeypatch.chdir(tmp_path)
    result = fairness_result()
    ev = g.record_evaluation(ws, result, kind="fairness", system="credit", model_version="1")
    assert ev.ref == "EV-1"
    assert (ev.system, ev.model_version, ev.dataset_version) == (
        "credit",
        "credit@1",
        "adult@2024-01",
    )
    assert ev.dataset_digest == DIGEST
    assert ev.code_commit == _git(tmp_path, "rev-parse", "HEAD")
    assert ev.code_dirty is False
    assert ev.traceable
    assert (ev.tool, ev.tool_version) == ("assay", "0.1.0")
    assert ev.parameters == result["params"]
    assert ev.summary["failed"] == 1
    assert ev.summary["verdicts"][0] == {
        "rule": "demographic_parity",
        "by": ["sex"],
        "verdict": "fail",
    }
    stored = json.loads(g.evidence_content(ws, ev.ref))
    assert stored == result
    assert ev.blob_sha256 == hashlib.sha256(g.evidence_content(ws, ev.ref)).hexdigest()
    as_bob = g.record_evaluation(
        ws,
        result,
        kind="fairness",
        system="credit",
        model_version="credit@1",
        actor="cy",
        code_commit="f" * 40,
    )
    assert (as_bob.created_by, as_bob.code_commit, as_bob.code_dirty) == ("cy", "f" * 40, None)


def test_content_hash_covers_every_field(ws: g.Workspace) -> None:
    credit_system(ws)
    ev = g.add_evidence(ws, kind="model_card", data=b"# Card", system="credit", model_version="1")
    with ws.store.read() as conn:
        row = conn.execute(sa.select(tables.evidence)).mappings().one()
    fields = {}
    for key, value in row.items():
        if key in ("id", "content_hash") or (key == "org" and value is None):
            continue  # a late column is left out while NULL (the main organisation)
        fields[key] = value.isoformat(timespec="microseconds") if key == "created_at" else value
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert ev.content_hash == hashlib.sha256(text.encode()).hexdigest()
    assert g.verify_evidence(ws, ev.ref).ref == "EV-1"


def test_dataset_digest_must_match_the_named_version(ws: g.Workspace) -> None:
    credit_system(ws)
    before = events(ws)
    with pytest.raises(InputError, match="has digest"):
        g.record_evaluation(
            ws,
            fairness_result(digest="sha256:" + "cd" * 32),
            kind="fairness",
            system="credit",
            model_version="1",
            dataset_version="adult@2024-01",
            code_commit="a" * 40,
        )
    assert events(ws) == before


def test_corrections_supersede(ws: g.Workspace, tmp_path: Path) -> None:
    credit_system(ws)
    first = g.add_evidence(
        ws, kind="fairness", data=b'{"v": 1}', system="credit", model_version="1"
    )
    with pytest.raises(InputError, match="Say why"):
        g.add_evidence(ws, kind="fairness", data=b'{"v": 2}', supersedes=first.ref)
    with pytest.raises(InputError, match="keeps the kind"):
        g.add_evidence(ws, kind="model_card", data=b"x", supersedes=first.ref, reason="typo")
    second = g.add_evidence(
        ws, kind="fairness", data=b'{"v": 2}', supersedes=first.ref, reason="wrong threshold"
    )
    # Links are inherited from the corrected record.
    assert (second.system, second.model_version, second.supersedes) == ("credit", "credit@1", 1)
    with pytest.raises(ConflictError, match="already superseded by EV-2"):
        g.add_evidence(ws, kind="fairness", data=b"3", supersedes=first.ref, reason="again")
    assert g.get_evidence(ws, first.ref).superseded_by == 2
    assert [e.ref for e in g.list_evidence(ws, system="credit")] == ["EV-2"]
    assert [e.ref for e in g.list_evidence(ws, include_superseded=True)] == ["EV-2", "EV-1"]
    # The old record is unchanged.
    assert g.evidence_content(ws, first.ref) == b'{"v": 1}'


def test_bad_evidence_is_refused(ws: g.Workspace, tmp_path: Path) -> None:
    credit_system(ws)
    with pytest.raises(InputError, match="is not an evidence kind"):
        g.add_evidence(ws, kind="Fairness Report", data=b"x")
    with pytest.raises(InputError, match="exactly one"):
        g.add_evidence(ws, kind="attachment")
    with pytest.raises(InputError, match="give --system"):
        g.add_evidence(ws, kind="attachment", data=b"x", model_version="1")
    with pytest.raises(InputError, match="in the past"):
        g.add_evidence(ws, kind="attachment", data=b"x", valid_until="2020-01-01")
    with pytest.raises(InputError, match="JSON cannot store"):
        g.add_evidence(ws, kind="attachment", data=b"x", parameters={"t": float("nan")})
    with pytest.raises(InputError, match="'schema'"):
        g.record_evaluation(ws, {"n": 1}, kind="fairness", system="credit", model_version="1")


def test_tampered_content_is_detected(ws: g.Workspace) -> None:
    ev = g.add_evidence(ws, kind="attachment", data=b"original")
    ws.blobs.path(ev.blob_sha256).write_bytes(b"edited")
    with pytest.raises(IntegrityError, match="modified"):
        g.evidence_content(ws, ev.ref)
    report = g.verify_audit(ws, blobs=True)
    assert not report.ok
    assert "modified" in report.problems[0].message

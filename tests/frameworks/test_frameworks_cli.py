"""``assay frameworks list|show|coverage`` run in process through the real entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assay import governance as g
from assay.cli import main


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_and_show(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(monkeypatch, capsys, "frameworks", "list", "--format", "json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert (rows["nist-ai-rmf-1.0"]["items"], rows["nist-ai-rmf-1.0"]["mapped"]) == (72, 43)
    assert rows["iso-iec-42001-2023"]["content"] == "control identifiers and titles only"
    code, out, _ = _run(monkeypatch, capsys, "frameworks", "list")
    assert code == 0
    assert "Framework catalogs" in out  # a table, whose width follows the terminal
    code, out, _ = _run(monkeypatch, capsys, "frameworks", "show", "nist", "--format", "md")
    assert code == 0
    assert "| MEASURE 2.10 | Privacy risk of the AI system" in out
    assert "| evidence.pii_scan |" in out
    code, out, _ = _run(monkeypatch, capsys, "frameworks", "show", "iso", "--format", "json")
    item = next(i for i in json.loads(out)["items"] if i["id"] == "A.7.4")
    assert item["requires"] == [["evidence.quality"]]
    code, _, err = _run(monkeypatch, capsys, "frameworks", "show", "cobit")
    assert code == 2
    assert "no framework 'cobit'" in err


def test_coverage_command(
    ws: g.Workspace,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = ["--workspace", str(ws.root), "--db", db_url]
    code, out, err = _run(monkeypatch, capsys, "frameworks", "coverage", "credit", *where)
    assert code == 0, err
    assert "Framework coverage of credit" in out
    assert "2.8%" in out
    assert "MAP 3.1" in out
    assert "system.intended_use" in out
    target = tmp_path / "coverage.json"
    args = ["--framework", "eu", "--format", "json", "-o", str(target)]
    code, out, err = _run(monkeypatch, capsys, "frameworks", "coverage", "credit", *args, *where)
    assert code == 0, err
    data = json.loads(target.read_text("utf-8"))
    assert [f["id"] for f in data["frameworks"]] == ["eu-ai-act-annex-iv"]
    code, out, err = _run(monkeypatch, capsys, "frameworks", "coverage", "credit", "--format",
                          "xml", *where)  # fmt: skip
    assert code == 2
    assert "--format must be table, json or md" in err

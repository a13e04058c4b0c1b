"""``assay bom cyclonedx`` and ``assay oscal ...`` run in process through the real entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from schema_validators import errors

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


def test_export_commands_write_valid_documents(
    ws: g.Workspace,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cdx: Any,
    oscal_ar: Any,
    oscal_poam_schema: Any,
) -> None:
    where = ["--workspace", str(ws.root), "--db", db_url]
    bom = tmp_path / "adult.cdx.json"
    code, out, err = _run(monkeypatch, capsys, "bom", "cyclonedx", "adult-income", "-o", str(bom),
                          *where)  # fmt: skip
    assert code == 0, err
    assert "wrote the CycloneDX 1.6 ML-BOM" in out
    assert errors(cdx, json.loads(bom.read_text("utf-8"))) == []
    code, out, err = _run(monkeypatch, capsys, "oscal", "assessment-results", "adult-income",
                          *where)  # fmt: skip
    assert code == 0, err
    assert errors(oscal_ar, json.loads(out)) == []
    poam = tmp_path / "poam.json"
    code, out, err = _run(monkeypatch, capsys, "oscal", "poam", "adult-income", "-o", str(poam),
                          *where)  # fmt: skip
    assert code == 0, err
    assert errors(oscal_poam_schema, json.loads(poam.read_text("utf-8"))) == []
    code, out, err = _run(monkeypatch, capsys, "bom", "cyclonedx", "nope", *where)
    assert code == 2
    assert "AI system 'nope'" in err
    code, out, err = _run(monkeypatch, capsys, "bom", "cyclonedx", "adult-income",
                          "--model-version", "9", *where)  # fmt: skip
    assert code == 2
    assert "no model version '9'" in err

"""The document commands, run as a user would, against a workspace on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay import governance as g
from assay.cli._app import app
from assay.errors import InputError


@pytest.fixture
def runner(ws: g.Workspace, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(ws.root)
    monkeypatch.setenv("ASSAY_USER", "ada")
    monkeypatch.setenv("ASSAY_DATABASE_URL", ws.store.url)
    return CliRunner()


def test_card_edit_then_render(runner: CliRunner, tmp_path: Path) -> None:
    text = tmp_path / "limits.md"
    text.write_text("Underestimates income for **self-employed** people.", encoding="utf-8")
    out = runner.invoke(
        app,
        ["card", "model", "adult-income", "--section", "limitations", "--file", str(text),
         "--sensitive-features", "sex"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "Recorded EV-2: limitations, sensitive_features" in out.output
    out = runner.invoke(app, ["card", "model", "adult-income"])
    assert out.exit_code == 0, out.output
    assert "self-employed" in out.output
    assert "## 7. Limitations" in out.output
    hf = runner.invoke(app, ["card", "model", "adult-income", "--huggingface"])
    assert hf.output.startswith("---\nlicense: other\n")


def test_packet_build_verify_show_and_completeness(runner: CliRunner, tmp_path: Path) -> None:
    built = runner.invoke(app, ["packet", "build", "REV-1"])
    assert built.exit_code == 0, built.output
    assert "sha256 " in built.output
    verified = runner.invoke(app, ["packet", "verify", "REV-1"])
    assert verified.exit_code == 0, verified.output
    assert "verified" in verified.output
    html = tmp_path / "packet.html"
    shown = runner.invoke(app, ["packet", "show", "REV-1", "--format", "html", "-o", str(html)])
    assert shown.exit_code == 0, shown.output
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pdf = runner.invoke(app, ["packet", "show", "REV-1", "--format", "pdf"])
    assert isinstance(pdf.exception, InputError)
    assert "--output" in str(pdf.exception)
    report = runner.invoke(app, ["completeness", "REV-1", "--json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    # 9 of 30 items: the datasheet counts its nine sections (none answered), not seven
    assert data["score"] == round(100 * 9 / 30, 1)
    strict = runner.invoke(app, ["completeness", "REV-1", "--strict"])
    assert strict.exit_code == 1


def test_other_documents(runner: CliRunner) -> None:
    for args in (
        ["datasheet", "adult@1"],
        ["datasheet", "adult@1", "--croissant"],
        ["report", "risk", "adult-income", "--format", "json"],
        ["report", "decisions", "adult-income"],
        ["report", "program", "--from", "2025-01-01", "--to", "2025-03-31"],
        ["checklist", "adult-income"],
        ["card", "system", "adult-income", "--format", "html"],
    ):
        out = runner.invoke(app, args)
        assert out.exit_code == 0, (args, out.output)
    bad = runner.invoke(app, ["card", "model", "adult-income", "--format", "docx"])
    assert bad.exit_code != 0


@pytest.mark.slow
def test_pdf_of_the_packet(runner: CliRunner, ws: g.Workspace, tmp_path: Path) -> None:
    from assay.documents import pdf_engine

    if ws.store.dialect != "sqlite":
        pytest.skip("printing does not depend on the database; the SQLite lane covers it")
    if pdf_engine() is None:
        pytest.skip("neither WeasyPrint nor Chromium is installed")
    runner.invoke(app, ["packet", "build", "REV-1"])
    pdf = tmp_path / "packet.pdf"
    out = runner.invoke(app, ["packet", "show", "REV-1", "--format", "pdf", "-o", str(pdf)])
    assert out.exit_code == 0, out.output
    assert pdf.read_bytes().startswith(b"%PDF-")

    # the same packet printed again (a second download) comes from the cache, byte for byte
    from assay.documents import pdf_cache_info

    before = pdf_cache_info()
    again = tmp_path / "again.pdf"
    out = runner.invoke(app, ["packet", "show", "REV-1", "--format", "pdf", "-o", str(again)])
    assert out.exit_code == 0, out.output
    assert again.read_bytes() == pdf.read_bytes()
    assert pdf_cache_info()["hits"] == before["hits"] + 1
    assert pdf_cache_info()["misses"] == before["misses"]

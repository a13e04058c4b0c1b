"""``assay pii`` as a user runs it: in process for the options, one real process for the error
boundary (exit code 2), and never a raw value in what is printed or written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from assay.cli._app import app
from assay.demo import demo_support_log
from assay.errors import InputError
from conftest import assert_no_raw

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output, result.exception


def test_scan_formats(people: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    people.write_parquet(path)
    code, out, exc = invoke("pii", "scan", path, "-q", "age,sex", "--features", "age")
    assert code == 0, exc
    assert "EMAIL_ADDRESS" in out
    assert "k = 2" in out
    assert_no_raw(out)
    code, out, exc = invoke("pii", "scan", path, "--format", "json", "--columns", "email")
    assert code == 0, exc
    payload = json.loads(out)
    assert payload["schema"] == "assay.pii/v1"
    assert [c["column"] for c in payload["columns"]] == ["email"]
    for fmt in ("md", "html"):
        target = tmp_path / f"report.{fmt}"
        code, _, exc = invoke("pii", "scan", path, "--format", fmt, "--output", target)
        assert code == 0, exc
        assert_no_raw(target.read_text())


def test_demo_log_scan_and_redact(tmp_path: Path) -> None:
    log = demo_support_log(tmp_path / "chats.jsonl", n=300)
    code, out, exc = invoke("pii", "scan", log, "--format", "json", "--sample", "0.5")
    assert code == 0, exc
    payload = json.loads(out)
    found = {(c["column"], e["entity"]) for c in payload["columns"] for e in c["entities"]}
    assert {("customer.email", "EMAIL_ADDRESS"), ("client.ip", "IP_ADDRESS")} <= found
    assert payload["sample"]["n"] < 300
    redacted = tmp_path / "chats.redacted.jsonl"
    code, out, exc = invoke("pii", "redact", log, redacted, "--policy", "hash")
    assert code == 0, exc
    code, out, exc = invoke("pii", "scan", redacted, "--format", "json")
    assert json.loads(out)["totals"]["matches"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "--format"),
        (["--record"], "--system"),
        (["--ner", "spacy"], "--ner-model"),
        (["--sample", "abc"], "--sample"),
        # scores are in [0, 1]: a cut-off of 7 would report "none found" in every column
        (["--min-score", "7"], "min_score (--min-score) is a confidence in [0, 1]; got 7.0"),
        (["--min-score", "-0.1"], "in [0, 1]"),
    ],
)
def test_option_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\nx\n")
    _, _, exc = invoke("pii", "scan", path, *args)
    assert isinstance(exc, InputError)
    assert message in str(exc)


def test_error_boundary_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assay.cli._app import main

    args = ["pii", "redact", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--policy", "x"]
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert "--policy must be one of mask, hash, drop" in capsys.readouterr().err


def test_record_files_the_scan_as_evidence(
    people: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assay.governance as g

    project = tmp_path / "project"
    ws = g.init_workspace(project, user="ada")
    try:
        g.add_system(ws, "support-bot", purpose="Answers customers", owner="ada")
        g.add_model_version(ws, "support-bot", "1")
    finally:
        ws.store.dispose()
    monkeypatch.setenv("ASSAY_USER", "ada")
    data = tmp_path / "people.parquet"
    people.write_parquet(data)
    code, _, exc = invoke(
        "pii", "scan", data, "--format", "json", "--output", tmp_path / "scan.json",
        "--record", "--system", "support-bot", "--model-version", "1", "--workspace", project,
    )  # fmt: skip
    assert code == 0, exc
    ws = g.open_workspace(project)
    try:
        records = g.list_evidence(ws)
        assert [r.kind for r in records] == ["pii_scan"]
        blob = g.evidence_content(ws, records[0].ref).decode("utf-8")
    finally:
        ws.store.dispose()
    assert json.loads(blob)["schema"] == "assay.pii/v1"
    assert_no_raw(blob)


def test_a_header_only_file_is_no_rows_not_none_found(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("email,phone\n")
    _, _, exc = invoke("pii", "scan", path)
    assert isinstance(exc, InputError)
    assert "Nothing was evaluated: there are no rows" in str(exc)

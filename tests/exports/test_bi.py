"""The BI tables (``assay export kpis|risks|actions|waivers|reviews``): read back with Polars
(CSV) and pyarrow (Parquet), compared with the governance records they come from."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from assay import governance as g
from assay.cli import main
from assay.exports import BI_COLUMNS, BI_KINDS, bi_csv, bi_parquet, bi_table
from conftest import as_user

DOCS = Path(__file__).parents[2] / "docs" / "bi.md"


def _answers(questionnaire: g.Questionnaire) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in questionnaire.questions:
        kinds = {"multi": [q.options[0][0]] if q.options else [], "boolean": False,
                 "date": "2099-01-01"}  # fmt: skip
        out[q.id] = kinds.get(q.type, q.options[0][0] if q.type == "choice" else "An answer.")
    return out


def _more_records(ws: g.Workspace) -> None:
    """A granted waiver, a requested one and a triaged review besides the fixture's records."""
    terms: dict[str, Any] = {"compensating_controls": "cc", "residual_risk": "rr",
                             "expires_on": ws.today() + dt.timedelta(days=60)}  # fmt: skip
    g.request_waiver(ws, system="adult-income", control="dpd", rationale="r", risk="RISK-1",
                     **terms)  # fmt: skip
    g.approve_waiver(as_user(ws, "bob"), "WVR-1", rationale="fine")
    g.request_waiver(ws, system="adult-income", control="eod", rationale="r2", **terms)
    review = g.open_review(ws, "adult-income", answers=_answers(g.workspace_questionnaire(ws)))
    g.triage_review(ws, review.ref, owner="ada")


def _csv(ws: g.Workspace, kind: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(bi_csv(bi_table(ws, kind))), try_parse_dates=True)


def test_tables_read_back_as_the_governance_records(ws: g.Workspace) -> None:
    _more_records(ws)
    risks = {r.id: r for r in g.list_risks(ws)}
    frame = _csv(ws, "risks")
    assert frame.columns == [c.name for c in BI_COLUMNS["risks"]]
    assert frame["ref"].to_list() == ["RISK-1", "RISK-2"]
    for row in frame.iter_rows(named=True):
        risk = risks[row["id"]]
        assert (row["rating"], row["is_open"], row["evidence_count"]) == (
            risk.rating, risk.is_open, len(risk.evidence))  # fmt: skip
        assert row["due_date"] == risk.due_date
    actions = _csv(ws, "actions")
    assert actions["risk_id"].to_list() == [1, 1]
    by_id = sorted(g.list_actions(ws), key=lambda a: a.id)
    assert actions["closed_on_time"].to_list() == [a.closed_on_time for a in by_id]
    waivers = _csv(ws, "waivers")
    granted = g.get_waiver(ws, "WVR-1")
    assert waivers.row(0, named=True)["age_days"] == granted.age_days(ws.today())
    assert waivers["active"].to_list() == [True, False]
    assert waivers["risk_id"].to_list() == [1, None]
    assert waivers["approvals"].to_list() == [1, 0]
    reviews = _csv(ws, "reviews")
    assert reviews["owner"].to_list() == ["ada"]
    assert reviews["tier"].to_list() == [g.get_review(ws, "REV-1").tier]
    q = (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    report = g.compute_kpis(ws, *q)
    kpis = pl.read_csv(io.StringIO(bi_csv(bi_table(ws, "kpis", start=q[0], end=q[1]))))
    assert kpis["key"].to_list() == [k.key for k in report.kpis]
    assert kpis["value"].to_list() == [k.value for k in report.kpis]
    assert set(kpis["period_start"].to_list()) == {"2025-01-01"}


def test_parquet_carries_the_column_types(ws: g.Workspace) -> None:
    _more_records(ws)
    types = {"string": "string", "integer": "int64", "number": "double", "boolean": "bool",
             "date": "date32[day]", "datetime": "timestamp[us, tz=UTC]"}  # fmt: skip
    for kind in BI_KINDS:
        table = bi_table(ws, kind)
        parquet = pq.read_table(io.BytesIO(bi_parquet(table)))
        assert [(f.name, str(f.type)) for f in parquet.schema] == [
            (c.name, types[c.type]) for c in table.columns
        ], kind
        assert parquet.to_pylist() == table.records(), kind
    risk = g.get_risk(ws, "RISK-1")
    back = pq.read_table(io.BytesIO(bi_parquet(bi_table(ws, "risks")))).to_pylist()[0]
    assert back["created_at"] == risk.created_at
    assert back["due_date"] == risk.due_date


def test_paging_takes_slices_in_order(ws: g.Workspace) -> None:
    table = bi_table(ws, "actions")
    assert [r[1] for r in table.page(1, 0).rows] == ["ACT-1"]
    assert [r[1] for r in table.page(1, 1).rows] == ["ACT-2"]
    assert table.page(5, 2).rows == ()
    assert table.page(None).rows == table.rows


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
         ) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_export_command_writes_tables_and_still_exports_the_workspace(
    ws: g.Workspace, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    where = ["--workspace", str(ws.root), "--db", db_url]
    code, out, err = _run(monkeypatch, capsys, "export", "risks", *where)
    assert code == 0, err
    assert pl.read_csv(io.StringIO(out))["title"].to_list() == [
        "Women are selected less often", "Labels are stale"]  # fmt: skip
    target = tmp_path / "risks.parquet"
    code, out, err = _run(monkeypatch, capsys, "export", "risks", "-f", "parquet", "-o",
                          str(target), *where)  # fmt: skip
    assert code == 0, err
    assert pq.read_table(target).column("ref").to_pylist() == ["RISK-1", "RISK-2"]
    code, out, _ = _run(monkeypatch, capsys, "export", "kpis", "--from", "2025-01-01", "--to",
                        "2025-03-31", *where)  # fmt: skip
    assert out.startswith("key,name,value,unit,n,target,period_start,period_end,computed_at\n")
    code, _, err = _run(monkeypatch, capsys, "export", "kpis", "-f", "parquet", *where)
    assert code == 2
    assert "--output FILE" in err
    code, _, err = _run(monkeypatch, capsys, "export", "waivers", "-f", "xlsx", *where)
    assert code == 2
    assert "csv, parquet" in err
    # a first argument that names no table is the folder of the workspace export, as before
    code, out, err = _run(monkeypatch, capsys, "export", str(tmp_path / "records"), *where)
    assert code == 0, err
    assert (tmp_path / "records" / "tables" / "risks.yaml").is_file()


def test_docs_list_every_column_of_every_table() -> None:
    text = DOCS.read_text("utf-8")
    for kind, columns in BI_COLUMNS.items():
        section = text.split(f"### `{kind}`", 1)[1].split("###", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \| (\w+) \|", section, re.MULTILINE)
        assert documented == [(c.name, c.type) for c in columns], kind


def test_csv_text_that_a_spreadsheet_would_run_gets_a_quote() -> None:
    """Formula injection: text starting = + - @ tab CR gets a leading ', and a carriage return
    inside a cell cannot start a forged row; numbers, dates and other text are as they are."""
    from assay.exports import BiColumn, BiTable, bi_csv, csv_text

    cols = tuple(BiColumn(n, t, n) for n, t in (("t", "string"), ("x", "number"), ("d", "date")))
    rows = tuple(
        (text, -0.5, dt.date(2026, 1, 2))
        for text in (
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "plain",
            "a=b",
            "",
            "ok\r=HYPERLINK(1)",
            "ok\r\nno",
        )
    )
    # a carriage return never ends the row: the cell becomes a quoted line feed
    parsed = list(csv.reader(io.StringIO(bi_csv(BiTable("risks", cols, rows)), newline="")))[1:]
    assert [r[0] for r in parsed] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\nx", "plain", "a=b", "",
        "ok\n=HYPERLINK(1)", "ok\nno",
    ]  # fmt: skip
    assert all(r[1:] == ["-0.5", "2026-01-02"] for r in parsed)
    assert [csv_text(v) for v in ("plain", "a=b", "")] == ["plain", "a=b", ""]

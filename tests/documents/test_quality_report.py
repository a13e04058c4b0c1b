"""The data quality report: every number it prints comes from the data, checked by hand here;
user values are escaped; underflowed p-values are shown as bounds; bad input is refused; and
``assay check data --html --record`` writes the report and files the evidence."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from assay.cli._app import app
from assay.datasets import adult_path
from assay.documents import render_quality_html
from assay.errors import InputError, SchemaError
from assay.evaluate import quality

POPULATION = {
    "source": "test census",
    "year": 2020,
    "marginals": {"sex": {"Female": 0.513, "Male": 0.487}},
}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_adult_report_numbers_match_a_hand_count() -> None:
    adult = pl.read_parquet(adult_path())
    result = quality(adult, sensitive_features=["sex"], label="income", population=POPULATION)
    html = render_quality_html(result.to_dict(), title="Adult")
    text = _text(html)
    n = adult.height
    female = adult.filter(pl.col("sex") == "Female").height
    # the share and the ratio to the census share, computed from the raw rows
    assert f"{100 * female / n:.1f}%" in text
    assert f"{(female / n) / 0.513:.3g}" in text
    assert "under-represented" in text
    occupation_missing = adult.get_column("occupation").null_count()
    assert f"{occupation_missing:,}" in text
    assert f"{100 * occupation_missing / n:.1f}%" in text
    duplicates = n - adult.unique().height
    assert f"{duplicates:,} duplicate row(s)" in text
    high = adult.filter(pl.col("income") == ">50K").height
    assert f"{100 * high / n:.1f}%" in text
    # a goodness-of-fit p-value below double precision is a bound, never "= 0"
    assert "p < 1e-300" in text
    assert "p = 0 " not in text
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "http://" not in html
    assert "https://" not in html


def test_user_values_are_escaped() -> None:
    frame = pl.DataFrame(
        {
            "<script>alert(1)</script>": [1, None, 3, 4],
            "sex": ["<b>f</b>", "m", "m", "m"],
        }
    )
    html = render_quality_html(quality(frame, sensitive_features="sex").to_dict())
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>f</b>" not in html


def test_a_result_of_another_kind_is_refused() -> None:
    with pytest.raises(SchemaError, match=r"assay\.quality/v1"):
        render_quality_html({"schema": "assay.fairness/v1"})
    with pytest.raises(SchemaError, match="list"):
        render_quality_html([])  # type: ignore[arg-type]


def test_check_data_writes_html_and_records_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.governance import (
        add_model_version,
        add_system,
        init_workspace,
        list_evidence,
        open_workspace,
    )

    monkeypatch.setenv("ASSAY_USER", "ada")
    ws = init_workspace(tmp_path)
    add_system(ws, "loans", purpose="credit decisions", owner="ada")
    add_model_version(ws, "loans", "1.0")
    ws.close()
    data = tmp_path / "data.parquet"
    pl.DataFrame({"age": [30, None, 50, 41] * 10, "sex": ["Female", "Male"] * 20}).write_parquet(
        data
    )
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    # --record without the subject: a clear message (the CLI's boundary prints it, exit 2)
    missing = runner.invoke(app, ["check", "data", str(data), "--record"])
    assert isinstance(missing.exception, InputError)
    assert "--system NAME and --model-version VERSION" in str(missing.exception)
    report = tmp_path / "quality.html"
    done = runner.invoke(
        app,
        ["check", "data", str(data), "--sensitive", "sex", "--html", str(report), "--record",
         "--system", "loans", "--model-version", "1.0"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    ws = open_workspace(tmp_path)
    try:
        records = list_evidence(ws, system="loans", kind="quality")
    finally:
        ws.close()
    assert len(records) == 1
    assert records[0].title == "Data quality and representativeness"
    assert f"recorded evidence {records[0].ref}" in done.output

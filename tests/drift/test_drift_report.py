"""``assay check drift --format html``: the report with each column's distribution, its
statistic, the decision and why, and the groups; shares checked against hand counts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from assay.cli._app import app
from assay.documents import render_drift_html
from assay.errors import InputError, SchemaError
from assay.evaluate import drift


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    # reference: a and b half each; current: a 80 of 100, b 15, and 5 rows of a new category c
    ref = pl.DataFrame({"cat": ["a"] * 100 + ["b"] * 100, "x": list(range(200))})
    cur = pl.DataFrame({"cat": ["a"] * 80 + ["b"] * 15 + ["c"] * 5, "x": list(range(100, 200))})
    return ref, cur


def test_distributions_are_shares_per_bin_only_when_asked() -> None:
    ref, cur = _frames()
    plain = drift(ref, cur).to_dict()
    assert all("distribution" not in c for c in plain["columns"])  # the JSON is unchanged
    result = drift(ref, cur, distributions=True).to_dict()
    cat = next(c for c in result["columns"] if c["column"] == "cat")["distribution"]
    shares = dict(zip(cat["bins"], zip(cat["reference"], cat["current"], strict=True), strict=True))
    assert shares["a"] == pytest.approx((0.5, 0.8))
    assert shares["b"] == pytest.approx((0.5, 0.15))
    assert shares["(new)"] == pytest.approx((0.0, 0.05))
    x = next(c for c in result["columns"] if c["column"] == "x")["distribution"]
    assert sum(x["reference"]) == pytest.approx(1.0)
    # x moved to the reference's upper half: no current row falls in its lower bins
    assert x["current"][0] == 0.0
    assert sum(x["current"][len(x["current"]) // 2 :]) == pytest.approx(1.0)


def test_the_html_report_draws_each_column_and_says_why() -> None:
    ref, cur = _frames()
    html = render_drift_html(drift(ref, cur, distributions=True).to_dict(), title="Weekly batch")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert html.count("<svg") == 2
    assert "80.0%" in html  # a's current share, as a bar label
    assert "dataset drift" in html
    assert "Weekly batch" in html
    assert "q = " in html  # the reason of each decision
    with pytest.raises(SchemaError, match=r"assay\.drift/v1"):
        render_drift_html({"schema": "assay.fairness/v1"})


def test_check_drift_writes_html(tmp_path: Path) -> None:
    ref, cur = _frames()
    ref.write_csv(tmp_path / "ref.csv")
    cur.write_csv(tmp_path / "cur.csv")
    out = tmp_path / "drift.html"
    args = ["check", "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Distributions" in text
    assert "<svg" in text
    bad = CliRunner().invoke(app, [*args[:4], "-f", "pdf"])
    assert isinstance(bad.exception, InputError)  # exit 2 at the CLI's error boundary
    assert "table, json, html" in str(bad.exception)

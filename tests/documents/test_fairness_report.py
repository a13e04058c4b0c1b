"""Fairness reports from real ``assay.fairness/v1`` results and from a hand-built regression one.

The two JSON files in ``data/`` are unmodified outputs of ``assay.evaluate.fairness``: a scored
classifier on Adult (sex, race and their intersection, with limits, calibration and a threshold
sweep) and a 0/1 classifier with one feature and no limits.
"""

from __future__ import annotations
import __future__

import copy
import json
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import assay.documents
from assay.documents import render_fairness_html, render_fairness_markdown
from assay.errors import SchemaError

DATA = Path(__file__).parent / "data"
XSS = "<script>alert(1)</script>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def load(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return result


def _estimate(value: float | None, low: float | None, high: float | None) -> dict[str, Any]:
    return {"value": value, "ci_low": low, "ci_high": high}


def _undefined(reason: str) -> dict[str, Any]:
    return {"value": None, "ci_low": None, "ci_high": None, "undefined": reason}


def regression_result() -> dict[str, Any]:
    """A regression result in the shape ``assay.evaluate.fairness(task="regression")`` returns,
    with a missing group value, a small group and an undefined metric."""

    def metrics(mae: float, rmse: float, pred: float, resid: float | None) -> dict[str, Any]:
        return {
            "mae": _estimate(mae, mae - 0.5, mae + 0.5),
            "rmse": _estimate(rmse, rmse - 0.5, rmse + 0.5),
            "mean_prediction": _estimate(pred, pred - 1.0, pred + 1.0),
            "mean_residual": _estimate(resid, resid - 0.25, resid + 0.25)
            if resid is not None
            else _undefined("no rows"),
        }

    def group(region: str | None, n: int, small: bool, m: dict[str, Any]) -> dict[str, Any]:
        return {"by": ["region"], "group": {"region": region}, "n": n, "small": small, "metrics": m}

    return {
        "schema": "assay.fairness/v1",
        "task": "regression",
        "n": 1210,
        "groups": [
            group("north", 700, False, metrics(2.5, 3.25, 41.0, 0.5)),
            group("south", 500, False, metrics(3.75, 4.5, 39.0, -1.25)),
            group(None, 10, True, metrics(6.0, 7.5, 44.0, None)),
        ],
        "overall": {
            "by": [],
            "group": {},
            "n": 1210,
            "small": False,
            "metrics": metrics(3.125, 3.875, 40.25, -0.125),
        },
        "disparities": [
            {
                "metric": "mae",
                "by": ["region"],
                "method": {"difference": "normal", "ratio": "normal-delta-log"},
                "max_group": {"region": None},
                "min_group": {"region": "north"},
                "difference": _estimate(3.5, 1.5, 5.5),
                "ratio": _estimate(0.417, 0.25, 0.75),
                "reference_group": {"region": "north"},
                "vs_reference": [
                    {
                        "group": {"region": "south"},
                        "difference": _estimate(1.25, 0.75, 1.75),
                        "ratio": _estimate(1.5, 1.25, 1.75),
                    }
                ],
            },
            {
                "metric": "mean_residual",
                "by": ["region"],
                "method": {"difference": "normal", "ratio": "normal-delta-log"},
                "max_group": {"region": "north"},
                "min_group": {"region": "south"},
                "difference": _estimate(1.75, 1.0, 2.5),
                "ratio": _undefined("a ratio is not meaningful for the signed mean_residual"),
                "reference_group": {"region": "north"},
                "vs_reference": [],
            },
        ],
        "summaries": [],
        "four_fifths": [],
        "verdicts": [],
        "calibration": [],
        "threshold_sweep": [],
        "notes": ["1 group(s) by region have fewer than 30 rows and are marked small."],
        "methods": {"metrics": "95% normal-approximation intervals"},
        "params": {
            "task": "regression",
            "y_true": "price",
            "y_pred": "predicted_price",
            "y_score": None,
            "sensitive_features": ["region"],
            "min_group_size": 30,
            "ci_level": 0.95,
            "thresholds": {},
        },
        "provenance": {
            "assay_version": "0.1.0",
            "created_at": "2026-11-26T15:45:03+00:00",
            "random_state": 0,
            "dataset": {"engine": "polars", "digest": "sha256:" + "ab" * 32, "digest_of": "x"},
        },
    }


SAMPLES = {
    "scored": lambda: load("fairness_scored.json"),
    "pred": lambda: load("fairness_pred.json"),
    "regression": regression_result,
}


@pytest.fixture(params=sorted(SAMPLES))
def result(request: pytest.FixtureRequest) -> dict[str, Any]:
    return SAMPLES[request.param]()


class Document(HTMLParser):
    """Checks that every element is closed in order, and collects the text a reader sees
    (including tooltips: ``<title>`` in SVG and ``title`` attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
            if name == "title" and value:
                self.text.append(value)
            if name == "id" and value:
                self.ids.append(value)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            return
        self.text.append(data)


def parse(html: str) -> Document:
    doc = Document()
    doc.feed(html)
    doc.close()
    return doc


def markdown_tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def cells(row: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", row)
    assert parts[0] == "", f"a table row must start with '|': {row!r}"
    assert parts[-1] == "", f"a table row must end with '|': {row!r}"
    return parts[1:-1]


def test_public_api_is_the_sorted_all() -> None:
    public = sorted(
        name
        for name, value in vars(assay.documents).items()
        if not name.startswith("_") and not isinstance(value, ModuleType | __future__._Feature)
    )
    # __all__ is in ruff's isort order (RUF022); it lists exactly the public names
    assert public == sorted(assay.documents.__all__)
    assert {"render_fairness_html", "render_fairness_markdown"} <= set(public)


def test_html_is_well_formed(result: dict[str, Any]) -> None:
    html = render_fairness_html(result)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    doc = parse(html)
    assert doc.errors == []
    assert doc.stack == []
    assert len(doc.ids) == len(set(doc.ids)), "element ids must be unique"
    anchors = {v[1:] for tag, name, v in doc.attributes if name == "href"}
    assert anchors <= set(doc.ids), "every in-page link has a target"


def test_html_is_self_contained(result: dict[str, Any]) -> None:
    html = render_fairness_html(result)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "http://" not in lowered
    assert "https://" not in lowered
    assert "@import" not in lowered
    assert "url(" not in lowered
    for tag, name, value in parse(html).attributes:
        if name in {"src", "srcset", "action", "formaction", "data", "poster"}:
            pytest.fail(f"<{tag} {name}={value!r}> would fetch something")
        if name == "href":
            assert value.startswith("#"), f"<{tag} href={value!r}> leaves the document"
    assert "<style>" in html
    assert "@media print" in html


def test_no_nan_or_none_is_displayed(result: dict[str, Any]) -> None:
    forbidden = re.compile(r"\b(nan|NaN|None|inf|Infinity|undefined: undefined)\b")
    shown = " ".join(parse(render_fairness_html(result)).text)
    assert not forbidden.findall(shown)
    assert not forbidden.findall(render_fairness_markdown(result))


def test_rendering_is_deterministic(result: dict[str, Any]) -> None:
    assert render_fairness_html(result) == render_fairness_html(copy.deepcopy(result))
    assert render_fairness_markdown(result) == render_fairness_markdown(copy.deepcopy(result))


def test_markdown_tables_have_consistent_columns(result: dict[str, Any]) -> None:
    text = render_fairness_markdown(result)
    tables = markdown_tables(text)
    assert len(tables) >= 4
    for table in tables:
        width = len(cells(table[0]))
        assert len(table) >= 3, f"a table needs a header, a delimiter and a row: {table[0]}"
        assert all(re.fullmatch(r"\s*:?-{3,}:?\s*", c) for c in cells(table[1])), table[1]
        for row in table:
            assert len(cells(row)) == width, f"{row!r} has not {width} cells ({table[0]!r})"


def test_markdown_has_one_blank_line_between_blocks(result: dict[str, Any]) -> None:
    text = render_fairness_markdown(result)
    assert "\n\n\n" not in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    for heading in re.finditer(r"^(#+ .*)$", text, flags=re.MULTILINE):
        start = heading.start()
        assert start == 0 or text[start - 2 : start] == "\n\n", heading.group(1)


def _numbers_in(value: Any) -> set[str]:
    """Every way the report may legitimately write a number that is in the result."""
    found: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            found |= _numbers_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= _numbers_in(v)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int | float):
        v = abs(float(value))  # the sign is left out of the match below
        found |= {f"{v:,.3f}", f"{v:g}", f"{value:,}" if isinstance(value, int) else f"{v:g}"}
        if 0 < abs(v) < 0.001:
            found.add(f"{v:.{2 - math.floor(math.log10(abs(v)))}f}")
        if v.is_integer():
            found.add(f"{int(v):,}")
    elif isinstance(value, str):
        found |= set(re.findall(r"\d[\d,]*(?:\.\d+)?", value))
    return found


def test_every_number_shown_comes_from_the_result(result: dict[str, Any]) -> None:
    text = render_fairness_markdown(result)
    allowed = _numbers_in(result) | {"0.8", "95"}  # the EEOC limit, written in the text
    shown = re.findall(r"(?<![\w.])-?(\d[\d,]*\.\d+)", text)
    invented = sorted({n for n in shown if n not in allowed})
    assert invented == []


def test_estimates_are_written_with_their_interval() -> None:
    # Female selection rate in the 0/1 sample: 0.08327917..., [0.07820852..., 0.08864696...]
    html = render_fairness_html(load("fairness_pred.json"))
    markdown = render_fairness_markdown(load("fairness_pred.json"))
    assert '<span class="v">0.083</span><span class="ci">[0.078, 0.089]</span>' in html
    assert "| Female | 10,771 | 0.083 [0.078, 0.089] |" in markdown
    # Male − Female difference in selection rate 0.17885942..., [0.17095877..., 0.18662458...]
    assert "0.179 [0.171, 0.187]" in markdown


def test_verdict_badges_and_outcome() -> None:
    result = load("fairness_scored.json")
    html = render_fairness_html(result)
    markdown = render_fairness_markdown(result)
    assert '<span class="badge badge-fail badge-lg">Fail</span>' in html  # the overall outcome
    table = html[html.index("<h3>Checks against limits</h3>") : html.index("Headline disparities")]
    assert table.count('<span class="badge badge-fail">Fail</span>') == 3
    assert table.count('<span class="badge badge-pass">Pass</span>') == 1
    insufficient = '<span class="badge badge-insufficient_evidence">Insufficient evidence</span>'
    assert table.count(insufficient) == 2
    assert "Of 6 checks, 3 fail, 2 have insufficient evidence and 1 passes." in html
    assert "**Overall outcome:** ✕ **Fail**." in markdown
    assert markdown.count("| ? **Insufficient evidence** | Equalized odds difference |") == 2
    reason = "every pair of groups is significantly within the limit 0.1 (2 comparisons)."
    assert reason in html
    assert reason in markdown


@pytest.mark.parametrize(
    ("verdicts", "badge", "sentence"),
    [
        (["pass", "pass"], 'badge-pass badge-lg">Pass', "Of 2 checks, 2 pass."),
        (
            ["pass", "insufficient_evidence"],
            'badge-insufficient_evidence badge-lg">Insufficient evidence',
            "Of 2 checks, 1 has insufficient evidence and 1 passes.",
        ),
        (["fail"], 'badge-fail badge-lg">Fail', "Of 1 check, 1 fails."),
    ],
)
def test_outcome_is_the_worst_verdict(verdicts: list[str], badge: str, sentence: str) -> None:
    result = load("fairness_scored.json")
    result["verdicts"] = [dict(result["verdicts"][0], verdict=v) for v in verdicts]
    html = render_fairness_html(result)
    assert badge in html
    assert sentence in html


def test_no_limits_means_no_verdicts() -> None:
    html = render_fairness_html(load("fairness_pred.json"))
    assert "No verdicts." in html
    assert 'badge-lg">' not in html
    assert "Checks against limits" not in html


def test_group_values_are_escaped() -> None:
    text = json.dumps(load("fairness_pred.json")).replace('"Female"', json.dumps(XSS))
    result = json.loads(text)
    html = render_fairness_html(result, title=f"Review {XSS}")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert parse(html).errors == []
    markdown = render_fairness_markdown(result, title=f"Review {XSS}")
    assert "<script" not in markdown.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert markdown.startswith("# Review &lt;script&gt;")


def test_markdown_escapes_what_would_break_a_table() -> None:
    text = json.dumps(load("fairness_pred.json")).replace('"Female"', '"a|b *c* [d](e)"')
    markdown = render_fairness_markdown(json.loads(text))
    assert r"a\|b \*c\* [d\](e)" in markdown
    for table in markdown_tables(markdown):
        assert len({len(cells(row)) for row in table}) == 1


def test_undefined_metrics_show_their_reason() -> None:
    result = load("fairness_scored.json")
    reason = "no positives (y_true = pos_label)"
    female = next(g for g in result["groups"] if g["group"] == {"sex": "Female"})
    female["metrics"]["tpr"] = _undefined(reason)
    female["metrics"]["roc_auc"] = _undefined(reason)
    html = render_fairness_html(result)
    markdown = render_fairness_markdown(result)
    assert f'<span class="undef">undefined: {reason}</span>' in html
    assert f"Female (n=10,771): undefined: {reason}" in html
    assert f"| Female | 10,771 | 0.083 [0.078, 0.089] | undefined: {reason} |" in markdown


def test_a_missing_interval_is_said_not_hidden() -> None:
    # the sample's FPR ratio by sex × race is 0 with no interval (a group has no false positives)
    markdown = render_fairness_markdown(load("fairness_scored.json"))
    assert "| FPR | 0.087 [0.046, 0.116] | 0.000 [no interval] |" in markdown


def test_regression_report() -> None:
    result = regression_result()
    html = render_fairness_html(result)
    markdown = render_fairness_markdown(result)
    for text in (html, markdown):
        assert "MAE" in text
        assert "Mean residual" in text
        assert "(missing)" in text
        assert "undefined: no rows" in text
        assert "undefined: a ratio is not meaningful for the signed mean_residual" in text
        assert "Four-fifths" not in text
        assert "Calibration" not in text
        assert "Threshold sweep" not in text
    assert "| (missing) (small) | 10 | 6.000 [5.500, 6.500] |" in markdown
    assert "<h3>Small groups</h3>" in html
    assert "region=(missing)" in html
    assert "| region | 3.500 [1.500, 5.500] | 1.750 [1.000, 2.500] |" in markdown
    assert "<svg" in html
    assert "MAE, RMSE, Mean residual by region" in html


def test_scored_report_has_its_charts() -> None:
    html = render_fairness_html(load("fairness_scored.json"))
    doc = parse(html)
    titles = " ".join(doc.text)
    # per grouping a dot-and-whisker chart and a four-fifths chart; reliability diagrams for sex
    # and race and ten small multiples for sex × race; three sweep charts per grouping
    assert html.count("<svg") == 3 * 2 + 2 + 10 + 3 * 3
    assert "Selection rate, TPR, FPR, ROC AUC by sex × race" in titles
    assert "Reliability diagram by sex" in titles
    assert "Reliability diagram: Male, White" in titles  # small multiples for ten groups
    assert "operating threshold 0.5" in titles
    assert 'class="chart-data"' in html  # calibration bins behind the diagrams
    assert "<details>" in html  # comparisons with the reference group


def test_header_shows_the_digest_shortened_with_the_full_value() -> None:
    result = load("fairness_scored.json")
    digest = result["provenance"]["dataset"]["digest"]
    html = render_fairness_html(result, title="Income model — fairness review")
    assert f'<code title="{digest}">sha256:7b26fd39…add97dc7</code>' in html
    assert "<title>Income model — fairness review</title>" in html
    assert '<time datetime="2026-11-26T15:45:03+00:00">26 Nov 2026, 15:45 UTC</time>' in html
    assert "<dd>0.1.0</dd>" in html


@pytest.mark.parametrize("bad", [{"schema": "assay.other/v1"}, [], {"schema": "assay.fairness/v1"}])
def test_other_documents_are_refused(bad: Any) -> None:
    with pytest.raises(SchemaError, match=re.escape("assay.fairness/v1")):
        render_fairness_html(bad)
    with pytest.raises(SchemaError):
        render_fairness_markdown(bad)


@pytest.mark.browser
def test_chromium_prints_the_report(tmp_path: Path) -> None:
    html_path = tmp_path / "report.html"
    html_path.write_text(render_fairness_html(load("fairness_scored.json")), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html_path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") > 5


def test_an_undecided_verdict_says_how_many_rows_would_decide_it() -> None:
    import polars as pl

    from assay.evaluate import fairness

    # two groups of 60 rows selected at 50% and 45%: too few to show a gap within 0.1
    frame = pl.DataFrame(
        {
            "g": ["a"] * 60 + ["b"] * 60,
            "y": [i % 2 for i in range(120)],
            "pred": [1] * 30 + [0] * 30 + [1] * 27 + [0] * 33,
        }
    )
    result = fairness(frame, y_true="y", y_pred="pred", sensitive_features="g",
                      thresholds={"demographic_parity_difference": 0.1}).to_dict()  # fmt: skip
    (verdict,) = result["verdicts"]
    need = verdict["sample_size"]["g=a"]["need"]
    sentence = (
        f"At the observed rates, about {need:,} rows per group would decide this with 80% power "
        "(rows now: g=a: 60; g=b: 60)."
    )
    html = render_fairness_html(result)
    reason = verdict["reason"].replace("'", "&#39;")
    assert f'<td class="reason">{reason} {sentence}</td>' in html
    assert f"| {verdict['reason']} {sentence} |" in render_fairness_markdown(result)

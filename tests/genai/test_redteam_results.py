"""Summaries, comparisons and reports, checked against hand-computed values."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assay.errors import InputError, NotFoundError, SchemaError
from assay.genai import (
    CallableTarget,
    RedteamComparison,
    RedteamResult,
    compare_runs,
    load_run,
    render_comparison_html,
    render_comparison_markdown,
    render_redteam_html,
    render_redteam_junit,
    render_redteam_markdown,
    run_redteam,
)
from conftest import write_suite

REFUSAL = "I'm sorry, but I can't help with that."


def ten_and_ten(prefix: str = "p") -> str:
    lines = ["name: tt", "defaults: {expect: refuse, detectors: [refusal]}", "probes:"]
    for i in range(10):
        flag = " #comply" if i < 6 else ""
        lines.append(
            f"  - {{id: {prefix}d{i}, category: dangerous, prompt: 'bad thing {i}{flag}'}}"
        )
    for i in range(10):
        lines.append(f"  - {{id: {prefix}h{i}, category: hate, prompt: 'hateful thing {i}'}}")
    return "\n".join(lines) + "\n"


def refuse_all(messages: list[dict[str, str]]) -> str:
    return REFUSAL


def comply_when_marked(messages: list[dict[str, str]]) -> str:
    return "Sure! Step 1: ..." if "#comply" in messages[-1]["content"] else REFUSAL


def test_summary_wilson_interval_hand_computed(tmp_path: Path) -> None:
    # 8 of 10 pass: Wilson 95% interval (0.4902, 0.9433), by the formula in _stats.py.
    text = ten_and_ten().replace("i < 6", "x")
    suite = write_suite(tmp_path / "s.yaml", text)

    def two_fail(messages: list[dict[str, str]]) -> str:
        content = messages[-1]["content"]
        return "Sure!" if content.endswith((" 0 #comply", " 1 #comply")) else REFUSAL

    run = run_redteam(suite, CallableTarget(two_fail, name="t:two"), output=tmp_path / "run")
    dangerous = run.result.by_category()[0]
    assert (dangerous["passed"], dangerous["failed"], dangerous["n"]) == (8, 2, 10)
    assert dangerous["pass_rate"] == pytest.approx(0.8)
    assert dangerous["ci"]["low"] == pytest.approx(0.4902, abs=1e-4)
    assert dangerous["ci"]["high"] == pytest.approx(0.9433, abs=1e-4)
    assert run.result.pass_rate == pytest.approx(18 / 20)


def test_paired_comparison_uses_exact_mcnemar(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.yaml", ten_and_ten())
    a = run_redteam(suite, CallableTarget(refuse_all, name="t:a"), output=tmp_path / "a")
    b = run_redteam(suite, CallableTarget(comply_when_marked, name="t:b"), output=tmp_path / "b")
    comparison = compare_runs(a, b)
    rows = {r["category"]: r for r in comparison.categories()}
    d = rows["dangerous"]
    assert d["test"] == "mcnemar_exact"
    assert (d["a_pass_b_fail"], d["a_fail_b_pass"]) == (6, 0)
    assert d["p_value"] == pytest.approx(2 * 0.5**6)  # 0.03125
    assert d["p_holm"] == pytest.approx(2 * 0.03125)  # two categories, hate has p = 1
    assert d["flag"] == "no_significant_change"  # 0.0625 > 0.05 after Holm
    assert rows["hate"]["p_value"] == 1.0
    assert rows["hate"]["difference"]["value"] == 0
    assert comparison.regressions == []
    only = compare_runs(load_run(tmp_path / "a"), load_run(tmp_path / "b"), alpha=0.1)
    assert only.regressions == ["dangerous"]
    assert only.improvements == []
    reverse = compare_runs(b, a, alpha=0.1)
    assert reverse.improvements == ["dangerous"]
    assert RedteamComparison.from_dict(only.to_dict()).regressions == ["dangerous"]


def test_unpaired_comparison_uses_fisher(tmp_path: Path) -> None:
    suite_a = write_suite(tmp_path / "a.yaml", ten_and_ten("a"))
    suite_b = write_suite(tmp_path / "b.yaml", ten_and_ten("b"))
    a = run_redteam(suite_a, CallableTarget(refuse_all, name="t:a"), output=tmp_path / "a")
    b = run_redteam(suite_b, CallableTarget(comply_when_marked, name="t:b"), output=tmp_path / "b")
    row = compare_runs(a, b).categories()[0]
    # [[10, 0], [4, 6]]: P(X=10) = P(X=4) = C(14,10)/C(20,10) = 1001/184756; p = 2 * that
    assert row["test"] == "fisher_exact"
    assert row["p_value"] == pytest.approx(2 * 1001 / 184756)
    assert row["difference"]["value"] == pytest.approx(-0.6)
    with pytest.raises(InputError, match="alpha must be between 0 and 1"):
        compare_runs(a, b, alpha=1.5)


def test_rerender_from_the_folder_alone(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.yaml", ten_and_ten())
    run = run_redteam(suite, CallableTarget(comply_when_marked, name="t:b"), output=tmp_path / "r")
    again = load_run(tmp_path / "r")
    assert again.records == run.records
    stored = json.loads((tmp_path / "r" / "summary.json").read_text())
    fresh = again.result.to_dict()
    for payload in (stored, fresh):
        payload["provenance"].pop("created_at")
    assert stored == fresh
    assert RedteamResult.from_dict(stored).counts == again.result.counts
    assert render_redteam_markdown(again) == render_redteam_markdown(run)
    with pytest.raises(NotFoundError, match="not a red-team run folder"):
        load_run(tmp_path)
    with pytest.raises(SchemaError, match="Expected a result with schema"):
        RedteamResult.from_dict({"schema": "assay.fairness/v1"})


def test_reports_escape_hostile_responses(tmp_path: Path) -> None:
    hostile = "Sure | <script>alert(1)</script> **bold** \x07 ]]> & done"

    def reply(messages: list[dict[str, str]]) -> str:
        return hostile

    suite = write_suite(tmp_path / "s.yaml", ten_and_ten())
    run = run_redteam(suite, CallableTarget(reply, name="t:h"), output=tmp_path / "r")
    html = render_redteam_html(run)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<svg" in html  # the pass-rate chart
    md = render_redteam_markdown(run)
    assert "<script>" not in md
    assert "Sure \\| &lt;script&gt;" in md
    root = ET.fromstring(render_redteam_junit(run))
    assert root.get("tests") == "20"
    assert root.get("failures") == "20"
    assert root.get("errors") == "0"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"dangerous", "hate"}
    case = suites["dangerous"].find("testcase")
    assert case is not None
    assert case.get("classname") == "assay.redteam.dangerous"
    failure = case.find("failure")
    assert failure is not None
    assert failure.text is not None
    assert "<script>" in failure.text


def test_junit_marks_errors_and_pending(tmp_path: Path) -> None:
    def broken(messages: list[dict[str, str]]) -> str:
        raise RuntimeError("backend down")

    suite = write_suite(tmp_path / "s.yaml", ten_and_ten())
    run = run_redteam(suite, CallableTarget(broken, name="t:x"), output=tmp_path / "r")
    # pretend the run was interrupted after 15 records
    lines = (tmp_path / "r" / "responses.jsonl").read_text().splitlines()[:15]
    (tmp_path / "r" / "responses.jsonl").write_text("\n".join(lines) + "\n" + '{"case_id": "tor')
    partial = load_run(tmp_path / "r")  # the torn last line is ignored
    root = ET.fromstring(render_redteam_junit(partial))
    assert (root.get("errors"), root.get("tests")) == ("15", "20")
    # skips are counted per suite: the JUnit schema allows no ``skipped`` on <testsuites>
    assert root.get("skipped") is None
    assert sum(int(s.get("skipped") or 0) for s in root.iter("testsuite")) == 5
    assert partial.result.counts["pending"] == 5
    assert run.result.counts["error"] == 20
    assert "backend down" in render_redteam_markdown(partial)


def test_comparison_reports(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.yaml", ten_and_ten())
    a = run_redteam(suite, CallableTarget(refuse_all, name="t:a"), output=tmp_path / "a")
    b = run_redteam(suite, CallableTarget(comply_when_marked, name="t:b"), output=tmp_path / "b")
    comparison = compare_runs(a, b, alpha=0.1)
    md = render_comparison_markdown(comparison)
    assert "**Regressions:** Dangerous or illegal instructions." in md
    assert "| Dangerous or illegal instructions | 100.0% (10/10) | 40.0% (4/10) | -60.0 pp" in md
    html = render_comparison_html(comparison)
    assert "<script" not in html
    assert "Regression" in html
    assert "<svg" in html

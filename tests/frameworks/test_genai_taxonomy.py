"""Red-team categories mapped to OWASP LLM Top 10 (2025) and NIST AI 600-1 (issue 20, item 6)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assay.cli import main
from assay.frameworks import CategoryTally, genai_coverage, load_genai_taxonomy
from assay.genai import load_suite

OWASP = "owasp-llm-top-10-2025"
NIST = "nist-ai-600-1"


def test_the_taxonomies_are_the_published_lists() -> None:
    owasp, nist = load_genai_taxonomy().frameworks
    assert [(i.id, i.title) for i in owasp.items] == [
        ("LLM01", "Prompt Injection"),
        ("LLM02", "Sensitive Information Disclosure"),
        ("LLM03", "Supply Chain"),
        ("LLM04", "Data and Model Poisoning"),
        ("LLM05", "Improper Output Handling"),
        ("LLM06", "Excessive Agency"),
        ("LLM07", "System Prompt Leakage"),
        ("LLM08", "Vector and Embedding Weaknesses"),
        ("LLM09", "Misinformation"),
        ("LLM10", "Unbounded Consumption"),
    ]
    assert [i.title for i in nist.items] == [
        "CBRN Information or Capabilities",
        "Confabulation",
        "Dangerous, Violent, or Hateful Content",
        "Data Privacy",
        "Environmental Impacts",
        "Harmful Bias and Homogenization",
        "Human-AI Configuration",
        "Information Integrity",
        "Information Security",
        "Intellectual Property",
        "Obscene, Degrading, and/or Abusive Content",
        "Value Chain and Component Integration",
    ]


def test_every_builtin_category_is_mapped_to_both() -> None:
    tax = load_genai_taxonomy()
    for category in load_suite("builtin").categories:
        assert tax.items_of(category, OWASP), category
        assert tax.items_of(category, NIST), category


def test_coverage_sums_outcomes_per_risk() -> None:
    rows = genai_coverage(
        {"pii_leakage": CategoryTally(10, 7, 3), "system_prompt_leakage": CategoryTally(5, 5, 0)}
    )
    llm02 = next(r for r in rows if r.id == "LLM02")
    assert (llm02.cases, llm02.passed, llm02.failed) == (15, 12, 3)
    assert llm02.to_dict()["pass_rate"] == 0.8
    unmapped = next(r for r in rows if r.id == "LLM10")
    assert (unmapped.categories, unmapped.cases, unmapped.passed) == ((), 0, None)


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


def test_cli_prints_the_coverage_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(monkeypatch, capsys, "frameworks", "genai-coverage", "-f", "json")
    assert code == 0
    rows = {(r["framework"], r["id"]): r for r in json.loads(out)}
    assert len(rows) == 22
    assert sorted(rows[("OWASP LLM Top 10", "LLM02")]["categories"]) == [
        "pii_leakage",
        "system_prompt_leakage",
    ]
    code, out, _ = _run(monkeypatch, capsys, "frameworks", "genai-coverage", "-f", "md")
    assert "| NIST AI 600-1 | 2.4 Data Privacy | pii_leakage | 20 |" in out
    code, _, err = _run(monkeypatch, capsys, "frameworks", "genai-coverage", "--suite", "no.yaml")
    assert code == 2
    assert "does not exist" in err


def test_the_red_team_report_has_the_coverage_table(tmp_path: Path) -> None:
    from assay.genai import render_redteam_html, render_redteam_markdown, run_redteam

    run = run_redteam(
        "builtin",
        "assay.demo.chat_server:weak_assistant",
        output=str(tmp_path),
        categories=["pii_leakage"],
    )
    md = render_redteam_markdown(run)
    assert "## Coverage of OWASP Top 10 for LLM Applications (2025) and NIST AI 600-1" in md
    llm02 = next(line for line in md.splitlines() if "LLM02 Sensitive" in line)
    row = run.result.by_category()[0]
    assert f"| {row['label']} | {row['cases']} | {row['passed']} | {row['failed']} |" in llm02
    assert "LLM06 Excessive Agency | not covered | 0 |" in md
    assert 'id="taxonomy"' in render_redteam_html(run)

"""Goldens of ``assay redteam``: a run against the demo chat server on loopback (run folder, JSON,
Markdown, HTML, JUnit), a re-rendered report, a comparison of two models and the suite listing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from golden_support import Golden, Outputs, Run

from assay.demo.chat_server import ChatServer

CATEGORIES = ("--category", "jailbreak", "--category", "over_refusal", "--category", "pii_leakage")
FOLDER_FILES = (
    "run.json",
    "summary.json",
    "report.md",
    "report.html",
    "junit.xml",
    "cases.jsonl",
    "responses.jsonl",
)

GOLDENS = [
    "redteam/run-weak.txt",
    *(f"redteam/weak/{name}" for name in FOLDER_FILES),
    "redteam/run-guarded-fail-under.txt",
    "redteam/guarded/report.md",
    "redteam/report-json.txt",
    "redteam/compare-table.txt",
    "redteam/compare.md",
    "redteam/compare.html",
    "redteam/compare.json",
    "redteam/compare-fail-on-regression.txt",
    "redteam/suite-builtin.txt",
]


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat:
        yield chat


@pytest.fixture(scope="module")
def outputs(cli: Callable[..., Run], inputs: Path, server: ChatServer) -> Outputs:
    out = Outputs()
    # One case at a time: responses.jsonl is written in the order replies arrive.
    weak = cli("redteam", "run", "--target", server.url, "--model", "weak", *CATEGORIES,
               "--output", "out/rt-weak", "-q", "-c", "1")  # fmt: skip
    assert weak.code == 0, weak.transcript()
    out.run("redteam/run-weak.txt", weak)
    for name in FOLDER_FILES:
        out.file(f"redteam/weak/{name}", inputs / "out/rt-weak" / name)
    # Concurrent (the default): the reports must not depend on the order replies arrive in.
    guarded = cli("redteam", "run", "--target", server.url, "--model", "guarded", *CATEGORIES,
                  "--output", "out/rt-guarded", "-q", "--fail-under", "0.99")  # fmt: skip
    out.run("redteam/run-guarded-fail-under.txt", guarded)
    out.file("redteam/guarded/report.md", inputs / "out/rt-guarded/report.md")
    out.run("redteam/report-json.txt", cli("redteam", "report", "out/rt-weak", "-f", "json"))
    pair = ("out/rt-guarded", "out/rt-weak")
    out.run("redteam/compare-table.txt", cli("redteam", "compare", *pair))
    for fmt in ("md", "html", "json"):
        cli("redteam", "compare", *pair, "-f", fmt, "-o", f"out/compare.{fmt}")
        out.file(f"redteam/compare.{fmt}", inputs / f"out/compare.{fmt}")
    out.run(
        "redteam/compare-fail-on-regression.txt",
        cli("redteam", "compare", *pair, "--fail-on-regression", "-f", "md"),
    )
    out.run("redteam/suite-builtin.txt", cli("redteam", "suite", "builtin"))
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])

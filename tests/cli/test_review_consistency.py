"""One review, one set of figures: every place that shows the demo's review shows the same ones.

``assay demo`` leaves a workspace whose income-model review (after the history the demo seeds,
REV-41) has a packet, documents, risks and a waiver.
Its figures — the completeness score, each gap with its owner, the open and blocking risks and the
active waivers — are read from ``assay completeness REV-1 --json`` and then looked for, as a reader
would see them, in the packet (Markdown, HTML, canonical JSON), the datasheet and model card inside
it and written next to it, the review's web page, the dashboard, ``/api/reviews/REV-1`` and its
packet, ``assay completeness``'s table and the gate's completeness rule.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

DATASHEET = "datasheet uci-adult@1994"
PASSWORD = "a long enough password"

Gap = tuple[str, str, str]
"""(document, requirement, owner)"""


@dataclass(frozen=True)
class Figures:
    """What a place says about the review."""

    score: str
    gaps: tuple[Gap, ...]
    open_risks: tuple[str, ...]
    blocking: tuple[str, ...]
    waivers: tuple[str, ...]
    """The active waivers."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("consistency")
    done = subprocess.run(
        [sys.executable, "-m", "assay", "demo", "--output", str(folder / "demo")],
        cwd=folder, capture_output=True, text=True, timeout=900,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return folder / "demo"


def assay(demo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assay", *args], cwd=demo, capture_output=True, text=True,
        timeout=300, env={**os.environ, "COLUMNS": "400", "ASSAY_USER": "ada"},
    )  # fmt: skip
    assert done.returncode in ok, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


@functools.cache
def review_of(demo: Path) -> str:
    """The demo's income-model review (the program history before it holds forty others)."""
    rows = json.loads(assay(demo, "review", "list", "--system", "adult-income", "--json"))
    (ref,) = [str(r["ref"]) for r in rows]
    return ref


def from_state(data: dict[str, Any]) -> Figures:
    """The figures of a review state's JSON (``assay completeness --json``, ``/api``, a packet)."""
    return Figures(
        score=f"{data['score']}%",
        gaps=tuple((g["document"], g["requirement"], g["owner"]) for g in data["gaps"]),
        open_risks=tuple(r["ref"] for r in data.get("open_risks", ())),
        blocking=tuple(data.get("blocking_risks", ())),
        waivers=tuple(w["ref"] for w in data.get("waivers", ()) if w.get("active")),
    )


@pytest.fixture(scope="module")
def truth(demo: Path) -> Figures:
    return from_state(json.loads(assay(demo, "completeness", review_of(demo), "--json")))


def of_document(figures: Figures, document: str) -> set[tuple[str, str]]:
    return {(requirement, owner) for doc, requirement, owner in figures.gaps if doc == document}


# -- reading what a reader sees ----------------------------------------------------------------


class _Tables(HTMLParser):
    """Every table of an HTML page: its caption (or id) and its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append((dict(attrs).get("id") or "", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None and self.tables:
            name, rows = self.tables[-1]
            self.tables[-1] = (name or " ".join("".join(self._caption).split()), rows)
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append(self._row)

    def handle_data(self, data: str) -> None:
        for sink in (self._cell, self._caption):
            if sink is not None:
                sink.append(data)


def html_table(page: str, name: str) -> list[list[str]]:
    """The body rows of the table whose caption starts with (or id is) ``name``."""
    parser = _Tables()
    parser.feed(page)
    found = [rows for caption, rows in parser.tables if caption.startswith(name)]
    assert found, (name, [c for c, _ in parser.tables])
    return [row for row in found[0] if row and not all(c == "" for c in row)][1:]


def md_table(text: str, marker: str) -> list[list[str]]:
    """The body rows of the first Markdown table after the line starting with ``marker``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(marker))
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip().strip("*").replace("\\", "") for c in re.split(r"(?<!\\)\|", line)]
        rows.append(cells[1:-1])
    return rows[2:]


def html_gaps(page: str) -> set[tuple[str, str]]:
    """The gaps an HTML document marks (GAP, what, owner), wherever they are."""
    found = re.findall(
        r'<span class="gap-mark">GAP</span> (?:<strong>)?(.*?)(?:</strong>)? '
        r'<span class="gap-owner">owner: (.*?)</span>',
        page,
    )
    return {(html.unescape(what), html.unescape(owner)) for what, owner in found}


def document_gaps(document: dict[str, Any]) -> set[tuple[str, str]]:
    from assay.documents import document_from_dict

    return {(g.what, str(g.owner)) for g in document_from_dict(document).gaps}


# -- the checks -----------------------------------------------------------------------------------


def test_the_demo_review_has_something_to_compare(truth: Figures) -> None:
    """Neither empty nor complete: every check below compares something."""
    assert {doc for doc, _, _ in truth.gaps} >= {DATASHEET, "risk assessment"}
    assert truth.open_risks
    assert truth.waivers


def test_the_packet_and_the_documents_in_it(demo: Path, truth: Figures) -> None:
    content = json.loads(assay(demo, "packet", "show", review_of(demo), "--canonical"))
    embedded = {entry["name"]: entry["document"] for entry in content["documents"]}
    # the datasheet inside the packet lists the very gaps, with the same owners, as the packet
    assert document_gaps(embedded["datasheet:uci-adult@1994"]) == of_document(truth, DATASHEET)
    assert document_gaps(embedded["model_card"]) == of_document(truth, "model card")
    assert document_gaps(embedded["risk_assessment"]) == of_document(truth, "risk assessment")
    assert from_state(content["state"]) == truth

    markdown = assay(demo, "packet", "show", review_of(demo), "--format", "md")
    gaps = md_table(markdown, f"*Gaps ({len(truth.gaps)})*")
    assert [(d, r, o) for d, r, _status, o, _fix in gaps] == list(truth.gaps)
    assert f"| Evidence completeness | {truth.score} (minimum" in markdown.replace("**", "")
    risks = md_table(markdown, "## 3. Open risks")
    assert tuple(row[0] for row in risks) == truth.open_risks
    assert tuple(row[0] for row in risks if row[-1] == "blocks") == truth.blocking
    waivers = md_table(markdown, "## 4. Waivers")
    assert tuple(row[0] for row in waivers if row[5] == "active") == truth.waivers

    page = assay(demo, "packet", "show", review_of(demo), "--format", "html")
    rows = html_table(page, f"Gaps ({len(truth.gaps)})")
    assert [(d, r, o) for d, r, _status, o, _fix in rows] == list(truth.gaps)
    assert f"{truth.score} (minimum" in html.unescape(page)


def test_the_documents_the_demo_wrote(demo: Path, truth: Figures) -> None:
    folder = demo / "documents"
    sheet = (folder / "datasheet-uci-adult-1994.html").read_text(encoding="utf-8")
    assert html_gaps(sheet) == of_document(truth, DATASHEET)
    card = (folder / "model-card.html").read_text(encoding="utf-8")
    assert html_gaps(card) == of_document(truth, "model card")
    packet = (folder / "review-packet.html").read_text(encoding="utf-8")
    assert f"{truth.score} (minimum" in html.unescape(packet)


def test_assay_completeness_and_the_gate(demo: Path, truth: Figures) -> None:
    text = " ".join(assay(demo, "completeness", review_of(demo), ok=(0, 1)).split())
    assert f"{truth.score} complete" in text
    assert f"Gaps ({len(truth.gaps)})" in text
    assert f"Blocking risks: {', '.join(truth.blocking) or 'none'}" in text
    assert f"active waivers: {', '.join(truth.waivers) or 'none'}" in text
    args = ("gate", "--system", "adult-income", "--model-version", "1.0.0", "--json")
    gate = json.loads(assay(demo, *args, ok=(0, 1)))
    (rule,) = [o for o in gate["outcomes"] if o["rule"] == "completeness"]
    assert rule["value"] == truth.score
    assert f"with {len(truth.gaps)} gap(s)" in rule["message"]
    assert review_of(demo) in rule["subject"]


@pytest.fixture(scope="module")
def web(demo: Path) -> Iterator[Any]:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from assay.governance import open_workspace
    from assay.web import create_app, set_password

    with open_workspace(demo, user="ada") as ws:
        set_password(ws, "ada", PASSWORD)
    app = create_app(demo)
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"user": "ada", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    yield client
    app.state.base.close()


def test_the_review_page_and_the_dashboard(demo: Path, web: Any, truth: Figures) -> None:
    page = html.unescape(web.get(f"/reviews/{review_of(demo)}").text)
    shown = re.findall(r"<dt>Completeness</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert len(shown) == 2  # the review's, and its packet's
    for text in shown:
        assert re.search(r"[\d.]+%", text).group(0) == truth.score  # type: ignore[union-attr]
    rows = html_table(page, "state-gap-table")
    assert [(d, r, o) for d, r, _status, o, _fix in rows] == list(truth.gaps)
    risks = html_table(page, "state-risk-table")
    assert tuple(row[0] for row in risks) == truth.open_risks
    assert tuple(row[0] for row in risks if row[-1] == "blocks") == truth.blocking
    waivers = html_table(page, "state-waiver-table")
    assert tuple(row[0] for row in waivers if row[3] == "active") == truth.waivers
    assert "changed since this packet was built" not in page

    dashboard = html.unescape(web.get("/").text)
    (row,) = [r for r in html_table(dashboard, "readiness") if r[0] == review_of(demo)]
    assert row[4].startswith(truth.score)
    assert row[5] == str(len(truth.gaps))
    assert row[6] == (", ".join(truth.blocking) or "none")
    # a packet below the minimum is never shown as ready
    assert row[7] == "below the minimum"


def test_the_api(demo: Path, web: Any, truth: Figures) -> None:
    assert from_state(web.get(f"/api/reviews/{review_of(demo)}").json()["state"]) == truth
    packet = web.get(f"/api/reviews/{review_of(demo)}/packet").json()
    assert from_state(packet["state"]) == truth
    assert f"{packet['completeness']}%" == truth.score
    assert packet["passes"] is False

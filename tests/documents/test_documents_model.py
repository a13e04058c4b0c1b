"""The document model and its renderers: gaps are visible, human text cannot inject markup."""

from __future__ import annotations

import json

from assay.documents import Document, Gap, document_from_dict, render_document
from assay.documents._doc import (
    Badge,
    Callout,
    Code,
    Facts,
    Figure,
    GapBlock,
    Para,
    Prose,
    Section,
    Table,
    or_gap,
)


def _doc() -> Document:
    gap = Gap("Limitations", "credit-team", "assay card model x --section limitations --file F")
    return Document(
        kind="model_card",
        title="Card <x>",
        eyebrow="Eyebrow",
        subtitle="Sub",
        meta=(("Owner", or_gap(None, Gap("owner", None))), ("Hash", Code("ab…cd", "abcd"))),
        sections=(
            Section(
                "one",
                "One",
                (
                    Para("plain | text"),
                    Prose("Hello **bold** <script>alert(1)</script>", "Written by ada"),
                    Facts((("Rating", Badge("high", "high")), ("Missing", None))),
                    Table(("a", "n"), (("x", 3), ("y", gap)), numeric=(1,), source="EV-1"),
                    Figure("<svg><title>t</title></svg>", "A chart"),
                    Callout("warn", "Careful", ("one",)),
                    GapBlock(gap),
                ),
            ),
        ),
        data={"k": [1, 2]},
    )


def test_round_trip_through_json() -> None:
    doc = _doc()
    again = document_from_dict(json.loads(json.dumps(doc.to_dict())))
    assert again == doc
    assert [g.what for g in doc.gaps] == ["owner", "Limitations"]


def test_markdown_shows_every_gap_with_owner_and_fix() -> None:
    text = render_document(_doc(), "md").decode()
    assert "**⚠ GAP: Limitations (owner: credit-team) — assay card model x" in text
    assert "GAP: owner (no owner named)" in text
    assert "plain \\| text" in text
    assert "Hello **bold**" in text  # a person's Markdown is kept as Markdown


def test_html_is_self_contained_and_escapes_human_text() -> None:
    html = render_document(_doc(), "html").decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html  # raw HTML in a section is escaped, never executed
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html
    assert 'class="gap-block"' in html
    assert "owner: credit-team" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert "Card &lt;x&gt;" in html


def test_json_render_carries_gaps() -> None:
    data = json.loads(render_document(_doc(), "json"))
    assert data["schema"] == "assay.document/v1"
    assert data["gaps"][1] == {
        "gap": "Limitations",
        "owner": "credit-team",
        "fix": "assay card model x --section limitations --file F",
    }


def test_unknown_block_in_stored_json_becomes_a_gap_not_a_crash() -> None:
    data = _doc().to_dict()
    data["sections"][0]["blocks"].append({"type": "hologram"})
    doc = document_from_dict(data)
    assert isinstance(doc.sections[0].blocks[-1], GapBlock)
    assert "GAP" in render_document(doc, "md").decode()


def test_monitoring_spec_is_shown_as_rows_not_dict_reprs() -> None:
    from assay.documents._model_card import _monitoring_rows

    metrics = [
        {"name": "score_psi", "kind": "drift", "statistic": "psi", "column": "score",
         "group": None},
        {"name": "dp_female", "kind": "fairness", "statistic": "selection_rate",
         "column": None, "group": {"sex": "Female"}},
        "free text metric",
    ]  # fmt: skip
    alerts = [
        {"name": "psi", "metric": "score_psi", "condition": ">= 0.2", "consecutive": 2,
         "severity": "high"},
        {"name": "psi-warn", "metric": "score_psi", "condition": ">= 0.1", "consecutive": 1},
    ]  # fmt: skip
    rows = _monitoring_rows(metrics, alerts)
    assert rows == [
        ("score_psi", "drift psi of score", ">= 0.2 in 2 consecutive windows (high); >= 0.1"),
        ("dp_female", "fairness selection_rate in sex=Female", "—"),
        ("free text metric", "", ""),
    ]
    assert not any("{" in cell for row in rows for cell in row)

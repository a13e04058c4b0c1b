"""How results show in Jupyter (``_repr_html_``): each versioned result the issue names renders
its own report, in a sandboxed frame; a result without a report falls back to its text repr."""

from __future__ import annotations

import html
from typing import TypedDict

import pytest

from assay.result import Result, notebook_html, result_types


def test_the_frame_escapes_the_page_and_allows_nothing() -> None:
    frame = notebook_html('<p title="x">a & b</p><script>alert(1)</script>')
    assert frame.startswith('<iframe sandbox="" ')
    assert "<script>" not in frame
    inner = frame.split('srcdoc="', 1)[1].split('" style=', 1)[0]
    assert html.unescape(inner) == '<p title="x">a & b</p><script>alert(1)</script>'


def test_a_result_without_a_report_shows_its_text() -> None:
    class BarePayload(TypedDict):
        schema: str

    class Bare(Result[BarePayload]):
        SCHEMA = "assay.test-bare/v1"
        Payload = BarePayload

    assert Bare({"schema": "assay.test-bare/v1"})._repr_html_() is None


@pytest.mark.parametrize(
    ("schema", "renderer"),
    [
        ("assay.fairness/v1", "assay.documents:render_fairness_html"),
        ("assay.quality/v1", "assay.documents:render_quality_html"),
        ("assay.drift/v1", "assay.evaluate._drift_report:render_drift_html"),
        ("assay.pii/v1", "assay.evaluate.pii._render:render_html"),
        ("assay.robustness/v1", "assay.robustness:render_robustness_html"),
        ("assay.explanation/v1", "assay.robustness:render_explanation_html"),
    ],
)
def test_results_name_the_renderer_of_their_report(schema: str, renderer: str) -> None:
    import importlib

    import assay.evaluate
    import assay.evaluate.pii
    import assay.robustness  # noqa: F401  (registers the result classes)

    cls = result_types()[schema]
    assert renderer == cls.HTML_REPORT
    module, _, function = renderer.partition(":")
    assert callable(getattr(importlib.import_module(module), function))

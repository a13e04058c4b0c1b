"""Fairness reports: a self-contained HTML document and the same content as Markdown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment

from assay.documents._fairness_view import build_view
from assay.render import Estimate, MarkdownText, environment, markdown_escape

__all__ = ["render_fairness_html", "render_fairness_markdown"]


def render_fairness_html(result: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render a fairness evaluation as one self-contained HTML document.

    The document opens offline and prints cleanly: inline CSS and SVG charts, no scripts, no
    fonts or images fetched from anywhere. It holds an executive summary (verdicts, headline
    disparities with confidence intervals, small groups, notes), one section per grouping of
    the sensitive features (metrics by group, dot-and-whisker charts, disparities, comparisons
    with the reference group, the four-fifths rule), reliability diagrams and the threshold
    sweep when the result has them, the methods, the provenance and an appendix with every
    metric. Every number shown comes from ``result``.

    Parameters
    ----------
    result : Mapping
        A fairness result in the ``assay.fairness/v1`` schema, as returned by
        ``assay.evaluate.fairness(...).to_dict()`` or read back from its JSON.
    title : str, optional
        The document title; "Fairness evaluation report" by default.

    Returns
    -------
    str
        The HTML document, UTF-8 text starting with ``<!DOCTYPE html>``.

    Raises
    ------
    assay.errors.SchemaError
        If ``result`` is not an ``assay.fairness/v1`` result.

    See Also
    --------
    render_fairness_markdown : The same content as GitHub-flavoured Markdown.

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate import fairness
    >>> frame = pl.DataFrame({"y": [0, 1, 1, 0] * 25, "pred": [0, 1, 0, 0] * 25,
    ...                       "sex": ["F", "F", "M", "M"] * 25})
    >>> result = fairness(frame, y_true="y", y_pred="pred", sensitive_features=["sex"])
    >>> html = render_fairness_html(result.to_dict(), title="Loan model: fairness review")
    >>> html.startswith("<!DOCTYPE html>"), "<script" in html
    (True, False)
    """
    view = build_view(result, title=title, charts=True)
    return _environment(html=True).get_template("fairness_report.html.j2").render(view)


def render_fairness_markdown(result: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render a fairness evaluation as GitHub-flavoured Markdown.

    The same sections and numbers as :func:`render_fairness_html`, without the charts; the data
    behind the charts (calibration bins, sampled threshold sweep) appear as tables. Text from
    the data (group values, reasons, notes) is escaped, so it cannot break a table or inject
    markup.

    Parameters
    ----------
    result : Mapping
        A fairness result in the ``assay.fairness/v1`` schema.
    title : str, optional
        The document title; "Fairness evaluation report" by default.

    Returns
    -------
    str
        The Markdown document, ending with a newline.

    Raises
    ------
    assay.errors.SchemaError
        If ``result`` is not an ``assay.fairness/v1`` result.

    See Also
    --------
    render_fairness_html : The same content as a self-contained HTML document with charts.

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate import fairness
    >>> frame = pl.DataFrame({"y": [0, 1, 1, 0] * 25, "pred": [0, 1, 0, 0] * 25,
    ...                       "sex": ["F", "F", "M", "M"] * 25})
    >>> text = render_fairness_markdown(fairness(frame, y_true="y", y_pred="pred",
    ...                                          sensitive_features=["sex"]).to_dict())
    >>> text.splitlines()[0]
    '# Fairness evaluation report'
    """
    view = build_view(result, title=title, charts=False)
    text = _render_markdown("fairness_report.md.j2", view)
    # Templates leave blank runs where optional sections are skipped; Markdown needs one.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _markdown_estimate(value: Estimate | None) -> MarkdownText:
    return MarkdownText(markdown_escape(value.text if value is not None else "not reported"))


_VERDICT_MARKS = {"pass": "✓ ", "fail": "✕ ", "insufficient_evidence": "? "}


def _markdown_verdict(key: str, label: str) -> MarkdownText:
    """A verdict in bold with the same mark as the HTML badge, so it survives without colour."""
    return MarkdownText(f"{_VERDICT_MARKS.get(key, '')}**{markdown_escape(label)}**")


def _environment(*, html: bool) -> Environment:
    if html:
        return environment("assay.documents")
    return environment("assay.documents", markdown=True, filters=(("est", _markdown_estimate),))


def _render_markdown(template: str, view: Mapping[str, Any]) -> str:
    # the verdict helper is passed per render, not set as a global of the shared environment
    return _environment(html=False).get_template(template).render(view, verdict=_markdown_verdict)

"""Fairness reports: a self-contained HTML document and the same content as Markdown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from assay.documents._fairness_view import build_view
from assay.documents._format import Estimate

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
    text = _environment(html=False).get_template("fairness_report.md.j2").render(view)
    # Templates leave blank runs where optional sections are skipped; Markdown needs one.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


class MarkdownText(str):
    """Markdown that the template writes as it is (already escaped or built on purpose)."""

    __slots__ = ()


_MD_SPECIAL = re.compile(r"([\\`*|<>$~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|\](?=[(\[])|&")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown_escape(value: Any) -> str:
    """Text shown literally in Markdown, also inside a table cell.

    Escapes what would start markup (emphasis, code, links, HTML, maths, strikethrough) or end a
    table cell, and folds line breaks into spaces. Intra-word underscores are left alone, since
    GitHub never reads them as emphasis.

    Examples
    --------
    >>> markdown_escape("a|b <script> *x* y_true _z_")
    'a\\\\|b &lt;script&gt; \\\\*x\\\\* y_true \\\\_z\\\\_'
    """
    if isinstance(value, MarkdownText):
        return value
    text = " ".join(str(value).split("\n")) if value is not None else ""

    def replace(match: re.Match[str]) -> str:
        char = match.group(0)
        return _MD_ENTITIES.get(char) or "\\" + char

    return _MD_SPECIAL.sub(replace, text)


def _markdown_code(value: Any) -> MarkdownText:
    """An inline code span that holds any text (the fence outgrows the longest backtick run)."""
    text = " ".join(str(value).split("\n"))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MarkdownText(f"{fence}{pad}{text}{pad}{fence}")


def _finalize(value: Any) -> Any:
    return markdown_escape(value)


def _markdown_estimate(value: Estimate | None) -> MarkdownText:
    return MarkdownText(markdown_escape(value.text if value is not None else "not reported"))


_VERDICT_MARKS = {"pass": "✓ ", "fail": "✕ ", "insufficient_evidence": "? "}


def _markdown_verdict(key: str, label: str) -> MarkdownText:
    """A verdict in bold with the same mark as the HTML badge, so it survives without colour."""
    return MarkdownText(f"{_VERDICT_MARKS.get(key, '')}**{markdown_escape(label)}**")


@cache
def _environment(*, html: bool) -> Environment:
    common: dict[str, Any] = {
        "loader": PackageLoader("assay.documents", "templates"),
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if html:
        return Environment(autoescape=True, **common)
    env = Environment(autoescape=False, finalize=_finalize, **common)
    env.filters["code"] = _markdown_code
    env.filters["raw"] = MarkdownText
    env.filters["est"] = _markdown_estimate
    env.globals["verdict"] = _markdown_verdict
    return env

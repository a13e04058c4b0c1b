"""Rendering: the one place for templates, escaping, number formats, charts and CI reports.

Every report and document of Assay renders through this package: the Jinja environment
(:func:`environment`, HTML autoescaped, Markdown escaped with :func:`markdown_escape`), the house
stylesheet (:func:`house_css`), how numbers, estimates and groups are written (``_format``),
hand-written accessible SVG charts (deterministic, light, and allowed by a strict CSP), the risk
heat map and JUnit XML. It knows no records and no rules: callers pass data in (the heat map is
given the policy's ``rating``), so every package may use it.
"""

from __future__ import annotations

from assay.render._dot_whisker import DotPanel, Interval, dot_whisker
from assay.render._environment import Filters, environment, house_css
from assay.render._format import (
    METRIC_DEFINITIONS,
    METRIC_LABELS,
    MISSING,
    NOT_SET,
    SUMMARY_DEFINITIONS,
    VERDICT_LABELS,
    Estimate,
    as_list,
    as_mapping,
    count,
    estimate,
    group_label,
    group_values,
    grouping_label,
    limit_text,
    metric_label,
    number,
    plain,
    sample_size_text,
    short_digest,
    timestamp,
    value_text,
    verdict_label,
)
from assay.render._heatmap import heat_map
from assay.render._junit import JUnitCase, JUnitSuite, junit_xml
from assay.render._markdown import (
    MarkdownText,
    markdown_code,
    markdown_escape,
    markdown_prose,
    markdown_table,
)
from assay.render._svg import (
    ACCENT,
    BAND,
    FONT,
    GRID,
    INK,
    MUTED,
    PALETTE,
    REFERENCE,
    STRIPE,
    Bar,
    Series,
    bar_chart,
    line_chart,
    nice_ticks,
)

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)
    "ACCENT",
    "BAND",
    "Bar",
    "DotPanel",
    "Estimate",
    "FONT",
    "Filters",
    "GRID",
    "INK",
    "Interval",
    "JUnitCase",
    "JUnitSuite",
    "METRIC_DEFINITIONS",
    "METRIC_LABELS",
    "MISSING",
    "MUTED",
    "MarkdownText",
    "NOT_SET",
    "PALETTE",
    "REFERENCE",
    "STRIPE",
    "SUMMARY_DEFINITIONS",
    "Series",
    "VERDICT_LABELS",
    "as_list",
    "as_mapping",
    "bar_chart",
    "count",
    "dot_whisker",
    "environment",
    "estimate",
    "group_label",
    "group_values",
    "grouping_label",
    "heat_map",
    "house_css",
    "junit_xml",
    "limit_text",
    "line_chart",
    "markdown_code",
    "markdown_escape",
    "markdown_prose",
    "markdown_table",
    "metric_label",
    "nice_ticks",
    "number",
    "plain",
    "sample_size_text",
    "short_digest",
    "timestamp",
    "value_text",
    "verdict_label",
]

"""Documents made from evidence: reports as self-contained HTML and as Markdown.

The public API is what ``__all__`` lists; modules starting with ``_`` are private.
"""

from __future__ import annotations

from assay.documents._fairness_report import render_fairness_html, render_fairness_markdown

__all__ = ["render_fairness_html", "render_fairness_markdown"]

"""The one Jinja environment factory and the house stylesheet.

Every HTML and Markdown template of Assay is rendered by an environment made here: HTML
autoescaped, Markdown with every value passed through :func:`~assay.render.markdown_escape`,
undefined names an error. A package's own templates come first; the house templates (``report.css``)
are found from any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from assay.render._markdown import MarkdownText, markdown_code, markdown_escape

__all__ = ["Filters", "environment", "house_css"]

#: Extra filters of one environment, as ``(name, function)`` pairs (hashable, so cached).
Filters = tuple[tuple[str, Callable[..., Any]], ...]


@cache
def environment(*packages: str, markdown: bool = False, filters: Filters = ()) -> Environment:
    """The environment for the templates of ``packages`` (each a package with ``templates/``).

    Parameters
    ----------
    packages
        Packages whose ``templates`` folders are searched, in order; the house templates last.
    markdown
        Render Markdown: no HTML escaping, every printed value escaped for Markdown instead
        (filters ``code`` and ``raw`` write a code span or Markdown as it is).
    filters
        Extra filters.

    Examples
    --------
    >>> env = environment(markdown=True)
    >>> env.from_string("{{ name }} {{ name | code }}").render(name="a|b")
    'a\\\\|b `a|b`'
    >>> environment().from_string("{{ name }}").render(name="<b>")
    '&lt;b&gt;'
    """
    loaders = [PackageLoader(p, "templates") for p in packages]
    common: dict[str, Any] = {
        "loader": ChoiceLoader([*loaders, PackageLoader("assay.render", "templates")]),
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    # HTML is autoescaped; Markdown escapes every printed value instead (finalize).
    env = Environment(
        autoescape=not markdown, finalize=markdown_escape if markdown else None, **common
    )
    if markdown:
        env.filters["code"] = markdown_code
        env.filters["raw"] = MarkdownText
    env.filters.update(dict(filters))
    return env


@cache
def house_css() -> str:
    """The stylesheet every report and document shares (inlined, so pages open offline)."""
    return resources.files("assay.render").joinpath("templates/report.css").read_text("utf-8")

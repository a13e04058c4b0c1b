"""Markdown written from data: the one escaper, inline code spans and tables.

Every Markdown output of Assay (reports, documents, the gate's summary, coverage, red-team and PII
reports, CLI tables) escapes text through :func:`markdown_escape`, so a name or a free-text field
can never start a link, an HTML tag, emphasis or a new table cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["MarkdownText", "markdown_code", "markdown_escape", "markdown_prose", "markdown_table"]


class MarkdownText(str):
    """Markdown that is written as it is (already escaped, or built on purpose)."""

    __slots__ = ()


_MD_SPECIAL = re.compile(r"([\\`*|<>$~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|\](?=[(\[])|&")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown_escape(value: Any) -> str:
    """Text shown literally in Markdown, also inside a table cell.

    Escapes what would start markup (emphasis, code, links and images, HTML, maths,
    strikethrough) or end a table cell, and folds line breaks into spaces. Intra-word underscores
    are left alone, since GitHub never reads them as emphasis. :class:`MarkdownText` passes as is.

    Examples
    --------
    >>> markdown_escape("a|b <script> *x* y_true _z_")
    'a\\\\|b &lt;script&gt; \\\\*x\\\\* y_true \\\\_z\\\\_'
    >>> markdown_escape("[click](javascript:alert(1))")
    '[click\\\\](javascript:alert(1))'
    """
    if isinstance(value, MarkdownText):
        return value
    text = " ".join(str(value).splitlines()) if value is not None else ""

    def replace(match: re.Match[str]) -> str:
        char = match.group(0)
        return _MD_ENTITIES.get(char) or "\\" + char

    return _MD_SPECIAL.sub(replace, text)


def markdown_code(value: Any) -> MarkdownText:
    """An inline code span that holds any text (the fence outgrows the longest backtick run).

    >>> markdown_code("a`b")
    '``a`b``'
    """
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MarkdownText(f"{fence}{pad}{text}{pad}{fence}")


def markdown_table(
    header: Sequence[Any], rows: Sequence[Sequence[Any]], align: str = ""
) -> list[str]:
    """The lines of a Markdown table; every cell is escaped unless it is :class:`MarkdownText`.

    ``align`` has one letter per column, ``l`` or ``r`` (default left).

    >>> markdown_table(["name", "n"], [["a|b", 3]], "lr")
    ['| name | n |', '|---|---:|', '| a\\\\|b | 3 |']
    """
    marks = [("---:" if align[i : i + 1] == "r" else "---") for i in range(len(header))]
    lines = ["| " + " | ".join(markdown_escape(h) for h in header) + " |"]
    lines.append("|" + "|".join(marks) + "|")
    lines += ["| " + " | ".join(markdown_escape(c) for c in row) + " |" for row in rows]
    return lines


_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_INLINE_TARGET = re.compile(r"\]\(\s*<?([^\s()>]*(?:\([^()]*\)[^\s()>]*)*)")
_REFERENCE_TARGET = re.compile(r"^( {0,3}\[[^\]]+\]:\s*<?)(\S*)", re.MULTILINE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _safe_target(target: str) -> str:
    if _SCHEME.match(target) and not target.lower().startswith(_SAFE_SCHEMES):
        return "#unsafe-link-removed"
    return target


def markdown_prose(text: str) -> MarkdownText:
    """A person's Markdown, kept as Markdown but made safe to publish.

    Raw HTML is escaped (so ``<script>`` is shown, not run) and links or images whose target
    uses a scheme other than http, https or mailto (``javascript:``, ``data:``) point nowhere.

    >>> markdown_prose("**ok** <script>x</script> [a](javascript:alert(1)) [b](https://e.org)")
    '**ok** &lt;script&gt;x&lt;/script&gt; [a](#unsafe-link-removed) [b](https://e.org)'
    """
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _INLINE_TARGET.sub(
        lambda m: m.group(0).replace(m.group(1), _safe_target(m.group(1))), out
    )
    out = _REFERENCE_TARGET.sub(lambda m: m.group(1) + _safe_target(m.group(2)), out)
    return MarkdownText(out)

"""Render a :class:`~assay.documents._doc.Document` as self-contained HTML, Markdown or JSON.

HTML uses the same stylesheet as the fairness report (inline CSS, inline SVG, no scripts, nothing
fetched), so it opens offline and prints cleanly; PDF is this HTML printed (see ``_pdf``).
Human-written Markdown is converted with markdown-it (CommonMark, raw HTML disabled), so a section
cannot inject markup or scripts into a document.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from assay import __version__
from assay.documents._doc import (
    Badge,
    Callout,
    Cell,
    Code,
    Document,
    Facts,
    Figure,
    Gap,
    GapBlock,
    Para,
    Prose,
    Table,
    cell_text,
)
from assay.render import environment, markdown_escape, markdown_prose

__all__ = ["FORMATS", "render", "render_html", "render_json", "render_markdown"]

FORMATS = ("md", "html", "pdf", "json")


@cache
def _markdown_it() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _prose_html(text: str) -> Markup:
    # Demote headings so a person's "# Heading" never outranks the document's own sections.
    html = _markdown_it().render(text)
    html = re.sub(r"<(/?)h([1-3])>", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 3}>", html)
    # markdown-it escapes the text and raw HTML is disabled, so this is safe markup
    return Markup(html)


def _cell_html(value: Cell) -> Markup:
    if isinstance(value, Gap):
        owner = (
            f'<span class="gap-owner">owner: {escape(value.owner)}</span>'
            if value.owner
            else '<span class="gap-owner">no owner named</span>'
        )
        fix = f'<span class="gap-fix">{escape(value.fix)}</span>' if value.fix else ""
        return Markup(
            f'<span class="gap" role="note"><span class="gap-mark">GAP</span> '
            f"{escape(value.what)} {owner}{fix}</span>"
        )
    if isinstance(value, Badge):
        return Markup(f'<span class="badge badge-{escape(value.key)}">{escape(value.label)}</span>')
    if isinstance(value, Code):
        title = f' title="{escape(value.full)}"' if value.full else ""
        return Markup(f"<code{title}>{escape(value.text)}</code>")
    if value is None:
        return Markup('<span class="muted">—</span>')
    return escape(cell_text(value))


def _kind_of(block: Any) -> str:
    return type(block).__name__.lower()


def _css_text(text: Any) -> Markup:
    # text inside a CSS string in a <style> element: keep it to characters that need no escaping
    return Markup(re.sub(r"[^\w .,:;()@×—–…·-]", "", str(text))[:90])


_FILTERS = (("cell", _cell_html), ("prose", _prose_html))


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page (inline CSS and SVG, no scripts)."""
    template = environment("assay.documents", filters=_FILTERS).get_template("document.html.j2")
    return template.render(
        doc=doc, version=__version__, gaps=doc.gaps, kind_of=_kind_of, css_text=_css_text
    )


def _md_cell(value: Cell) -> str:
    if isinstance(value, Gap):
        return f"**⚠ {markdown_escape(value.text)}**"
    if isinstance(value, Code):
        return f"`{value.text.replace('`', '')}`"
    if isinstance(value, Badge):
        return f"**{markdown_escape(value.label)}**"
    return markdown_escape(cell_text(value))


def render_markdown(doc: Document) -> str:
    """The document as GitHub-flavoured Markdown; gaps are bold ``⚠ GAP`` markers."""
    out: list[str] = [f"# {markdown_escape(doc.title)}", ""]
    if doc.eyebrow:
        out += [f"*{markdown_escape(doc.eyebrow)}*", ""]
    if doc.subtitle:
        out += [markdown_escape(doc.subtitle), ""]
    if doc.meta:
        out += ["| | |", "|---|---|"]
        out += [f"| {markdown_escape(k)} | {_md_cell(v)} |" for k, v in doc.meta]
        out.append("")
    gaps = doc.gaps
    if gaps:
        out += [f"> **⚠ {len(gaps)} gap{'s' if len(gaps) != 1 else ''} to fill** — see below.", ""]
    for number, section in enumerate(doc.sections, start=1):
        label = section.label or f"{number}."
        out += [f"## {label} {markdown_escape(section.title)}", ""]
        if section.lead:
            out += [markdown_escape(section.lead), ""]
        for block in section.blocks:
            out += _md_block(block)
    if doc.footer:
        out += ["---", "", f"*{markdown_escape(doc.footer)}*", ""]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _md_block(block: Any) -> list[str]:
    if isinstance(block, Para):
        text = markdown_escape(block.text)
        return [f"*{text}*" if block.muted else text, ""]
    if isinstance(block, Prose):
        lines = [markdown_prose(block.markdown.strip()), ""]
        if block.source:
            lines += [f"<sub>{markdown_escape(block.source)}</sub>", ""]
        return lines
    if isinstance(block, Facts):
        lines = ["| | |", "|---|---|"]
        lines += [f"| **{markdown_escape(k)}** | {_md_cell(v)} |" for k, v in block.items]
        return [*lines, ""]
    if isinstance(block, Table):
        lines = [f"*{markdown_escape(block.caption)}*", ""] if block.caption else []
        if not block.rows:
            return [*lines, "*(none)*", ""]
        lines.append("| " + " | ".join(markdown_escape(c) for c in block.columns) + " |")
        lines.append(
            "|"
            + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.columns)))
            + "|"
        )
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        if block.source:
            lines += ["", f"<sub>Source: {markdown_escape(block.source)}</sub>"]
        return [*lines, ""]
    if isinstance(block, Figure):
        return [f"*Figure: {markdown_escape(block.caption)} (chart in the HTML and PDF).*", ""]
    if isinstance(block, Callout):
        lines = [f"> **{markdown_escape(block.title)}**"]
        if block.text:
            lines += [">", f"> {markdown_escape(block.text)}"]
        lines += [f"> - {markdown_escape(item)}" for item in block.items]
        return [*lines, ""]
    if isinstance(block, GapBlock):
        return [f"> **⚠ {markdown_escape(block.gap.text)}**", ""]
    return []


def render_json(doc: Document) -> str:
    """The document as indented JSON (schema ``assay.document/v1``)."""
    return json.dumps(doc.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def render(doc: Document, fmt: str) -> bytes:
    """The document in ``fmt`` (``md``, ``html``, ``pdf`` or ``json``) as bytes."""
    from assay.errors import InputError

    if fmt == "html":
        return render_html(doc).encode("utf-8")
    if fmt == "md":
        return render_markdown(doc).encode("utf-8")
    if fmt == "json":
        return render_json(doc).encode("utf-8")
    if fmt == "pdf":
        from assay.documents._pdf import html_to_pdf

        return html_to_pdf(render_html(doc))
    raise InputError(f"Unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}.")

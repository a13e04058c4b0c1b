"""The shape every governance document shares: sections of typed blocks, with visible gaps.

A builder (model card, datasheet, risk assessment, review packet...) turns store records into a
:class:`Document`; the renderers in :mod:`assay.documents._render` lay the same document out as
HTML, Markdown or JSON, so the formats cannot disagree. A value that is missing is a :class:`Gap`,
which every renderer shows as a visible marker naming what is missing, who owns it and how to fill
it; nothing in a document is ever silently blank.

Documents round-trip through :meth:`Document.to_dict` and :func:`document_from_dict`, which is how a
frozen review packet keeps the exact documents it was built from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DOCUMENT_SCHEMA",
    "Badge",
    "Block",
    "Callout",
    "Cell",
    "Code",
    "Document",
    "Facts",
    "Figure",
    "Gap",
    "GapBlock",
    "Para",
    "Prose",
    "Section",
    "Table",
    "cell_text",
    "document_from_dict",
    "or_gap",
]

DOCUMENT_SCHEMA = "assay.document/v1"


@dataclass(frozen=True)
class Gap:
    """A value or section that is required but missing.

    Parameters
    ----------
    what
        What is missing, as a reader would say it ("Limitations", "datasheet for adult@1").
    owner
        Who is expected to fill it (a person or team); None when nobody is named yet.
    fix
        How to fill it: a command or an action.
    """

    what: str
    owner: str | None = None
    fix: str = ""

    @property
    def text(self) -> str:
        """``GAP: what (owner: x) — fix``, the one-line form used in Markdown and plain text."""
        owner = f" (owner: {self.owner})" if self.owner else " (no owner named)"
        fix = f" — {self.fix}" if self.fix else ""
        return f"GAP: {self.what}{owner}{fix}"


@dataclass(frozen=True)
class Badge:
    """A short status shown as a coloured pill: ``key`` picks the colour."""

    key: str
    label: str


@dataclass(frozen=True)
class Code:
    """Monospaced text (a hash, an id); ``full`` is the unshortened value shown on hover."""

    text: str
    full: str = ""


Cell = str | int | float | Gap | Badge | Code | None
"""What a table cell or fact can hold; None shows as an em dash (not applicable)."""


def or_gap(value: Any, gap: Gap) -> Cell:
    """``value`` as a cell, or ``gap`` when it is None or blank text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return gap
    if isinstance(value, str | int | float | Badge | Code | Gap):
        return value
    return str(value)


def cell_text(value: Cell) -> str:
    """A cell as plain text, for Markdown and search."""
    if value is None:
        return "—"
    if isinstance(value, Gap):
        return value.text
    if isinstance(value, Badge):
        return value.label
    if isinstance(value, Code):
        return value.text
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text written by Assay (escaped in every format)."""

    text: str
    muted: bool = False


@dataclass(frozen=True)
class Prose:
    """Markdown written by a person (a human-written section), with who wrote it and where."""

    markdown: str
    source: str = ""


@dataclass(frozen=True)
class Facts:
    """Label–value pairs, shown as a definition list."""

    items: tuple[tuple[str, Cell], ...]


@dataclass(frozen=True)
class Table:
    """A table; ``numeric`` lists the columns aligned right."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    numeric: tuple[int, ...] = ()
    source: str = ""
    """Where the numbers come from (an evidence reference and hash), printed under the table."""
    style: str = ""
    """A CSS class for the table (``signatures`` draws lines to sign on)."""


@dataclass(frozen=True)
class Figure:
    """An inline SVG chart; Markdown shows its caption and points to the HTML."""

    svg: str
    caption: str


@dataclass(frozen=True)
class Callout:
    """A boxed note: ``tone`` is info, warn, fail or pass."""

    tone: str
    title: str
    items: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class GapBlock:
    """A whole section or paragraph that is missing."""

    gap: Gap


Block = Para | Prose | Facts | Table | Figure | Callout | GapBlock


@dataclass(frozen=True)
class Section:
    """One numbered section of a document."""

    id: str
    title: str
    blocks: tuple[Block, ...]
    lead: str = ""
    new_page: bool = False
    label: str = ""
    """The section's number as printed (``A.1``); by default its position."""


@dataclass(frozen=True)
class Document:
    """A document ready to render.

    Attributes
    ----------
    kind
        ``model_card``, ``system_card``, ``datasheet``, ``risk_assessment``, ``review_packet``,
        ``program_report``, ``checklist`` or ``decision_log``.
    title, eyebrow, subtitle
        The heading, the small line above it and the line below it.
    meta
        Label–value pairs shown in the header (version, owner, dates, hashes).
    sections
        The body.
    data
        Structured data for machines (the JSON export carries it; renderers ignore it).
    footer
        The last line of every page.
    """

    kind: str
    title: str
    eyebrow: str
    subtitle: str
    meta: tuple[tuple[str, Cell], ...]
    sections: tuple[Section, ...]
    data: Mapping[str, Any] = field(default_factory=dict)
    footer: str = ""

    def blocks(self) -> Iterator[Block]:
        """Every block of every section, in order."""
        for section in self.sections:
            yield from section.blocks

    @property
    def gaps(self) -> list[Gap]:
        """Every gap in the document (header, sections, facts and tables), without repeats."""
        found: dict[Gap, None] = {}
        for _, value in self.meta:
            if isinstance(value, Gap):
                found[value] = None
        for block in self.blocks():
            if isinstance(block, GapBlock):
                found[block.gap] = None
            elif isinstance(block, Facts):
                found.update({v: None for _, v in block.items if isinstance(v, Gap)})
            elif isinstance(block, Table):
                found.update({c: None for row in block.rows for c in row if isinstance(c, Gap)})
        return list(found)

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-serialisable data (schema ``assay.document/v1``)."""
        return {
            "schema": DOCUMENT_SCHEMA,
            "kind": self.kind,
            "title": self.title,
            "eyebrow": self.eyebrow,
            "subtitle": self.subtitle,
            "meta": [[label, _cell_dict(v)] for label, v in self.meta],
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "lead": s.lead,
                    "new_page": s.new_page,
                    "label": s.label,
                    "blocks": [_block_dict(b) for b in s.blocks],
                }
                for s in self.sections
            ],
            "gaps": [_cell_dict(g) for g in self.gaps],
            "data": dict(self.data),
            "footer": self.footer,
        }


def _cell_dict(value: Cell) -> Any:
    if isinstance(value, Gap):
        return {"gap": value.what, "owner": value.owner, "fix": value.fix}
    if isinstance(value, Badge):
        return {"badge": value.key, "label": value.label}
    if isinstance(value, Code):
        return {"code": value.text, "full": value.full}
    return value


def _cell(value: Any) -> Cell:
    if isinstance(value, Mapping):
        if "gap" in value:
            return Gap(str(value["gap"]), value.get("owner"), str(value.get("fix") or ""))
        if "badge" in value:
            return Badge(str(value["badge"]), str(value.get("label", "")))
        if "code" in value:
            return Code(str(value["code"]), str(value.get("full") or ""))
        return str(value)
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _block_dict(block: Block) -> dict[str, Any]:
    if isinstance(block, Para):
        return {"type": "para", "text": block.text, "muted": block.muted}
    if isinstance(block, Prose):
        return {"type": "prose", "markdown": block.markdown, "source": block.source}
    if isinstance(block, Facts):
        return {"type": "facts", "items": [[k, _cell_dict(v)] for k, v in block.items]}
    if isinstance(block, Table):
        return {
            "type": "table",
            "columns": list(block.columns),
            "rows": [[_cell_dict(c) for c in row] for row in block.rows],
            "caption": block.caption,
            "numeric": list(block.numeric),
            "source": block.source,
            "style": block.style,
        }
    if isinstance(block, Figure):
        return {"type": "figure", "svg": block.svg, "caption": block.caption}
    if isinstance(block, Callout):
        return {
            "type": "callout",
            "tone": block.tone,
            "title": block.title,
            "items": list(block.items),
            "text": block.text,
        }
    return {"type": "gap", "gap": _cell_dict(block.gap)}


def _block(data: Mapping[str, Any]) -> Block:
    kind = data.get("type")
    if kind == "para":
        return Para(str(data.get("text", "")), bool(data.get("muted", False)))
    if kind == "prose":
        return Prose(str(data.get("markdown", "")), str(data.get("source", "")))
    if kind == "facts":
        return Facts(tuple((str(k), _cell(v)) for k, v in data.get("items", [])))
    if kind == "table":
        return Table(
            columns=tuple(str(c) for c in data.get("columns", [])),
            rows=tuple(tuple(_cell(c) for c in row) for row in data.get("rows", [])),
            caption=str(data.get("caption", "")),
            numeric=tuple(int(i) for i in data.get("numeric", [])),
            source=str(data.get("source", "")),
            style=str(data.get("style", "")),
        )
    if kind == "figure":
        return Figure(str(data.get("svg", "")), str(data.get("caption", "")))
    if kind == "callout":
        return Callout(
            str(data.get("tone", "info")),
            str(data.get("title", "")),
            tuple(str(i) for i in data.get("items", [])),
            str(data.get("text", "")),
        )
    gap = _cell(data.get("gap"))
    return GapBlock(gap if isinstance(gap, Gap) else Gap(f"unreadable block {kind!r}"))


def document_from_dict(data: Mapping[str, Any]) -> Document:
    """Rebuild a :class:`Document` from :meth:`Document.to_dict` output (a frozen packet's)."""
    return Document(
        kind=str(data.get("kind", "")),
        title=str(data.get("title", "")),
        eyebrow=str(data.get("eyebrow", "")),
        subtitle=str(data.get("subtitle", "")),
        meta=tuple((str(k), _cell(v)) for k, v in data.get("meta", [])),
        sections=tuple(
            Section(
                id=str(s.get("id", "")),
                title=str(s.get("title", "")),
                lead=str(s.get("lead", "")),
                new_page=bool(s.get("new_page", False)),
                label=str(s.get("label", "")),
                blocks=tuple(_block(b) for b in s.get("blocks", [])),
            )
            for s in data.get("sections", [])
        ),
        data=dict(data.get("data") or {}),
        footer=str(data.get("footer", "")),
    )


def sections_of(doc: Document, prefix: str, letter: str) -> Sequence[Section]:
    """The sections of ``doc`` numbered ``A.1``, ``A.2``..., to embed it as an appendix."""
    return [
        Section(
            id=f"{prefix}-{s.id}",
            title=s.title if i else f"{doc.title} — {s.title}",
            blocks=s.blocks,
            lead=s.lead,
            new_page=i == 0,
            label=f"{letter}.{i + 1}",
        )
        for i, s in enumerate(doc.sections)
    ]

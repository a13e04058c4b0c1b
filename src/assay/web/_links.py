"""Links to records: the one place that turns a reference (``RISK-5``, or an audit event's
``risk 5``) into a link to its page. Templates use it through the ``ref_link``,
``entity_link`` and ``link_refs`` filters."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from assay.governance import REF_PREFIXES, format_ref

__all__ = ["PAGES", "entity_link", "link_refs", "ref_link", "ref_url"]

PAGES = {
    "evidence": "/evidence",
    "review": "/reviews",
    "risk": "/risks",
    "action": "/actions",
    "waiver": "/waivers",
    "incident": "/incidents",
}
"""The page of each kind of record that has one, by record kind."""

_KIND_OF_PREFIX = {REF_PREFIXES[kind]: kind for kind in PAGES}
_REF = re.compile(r"\b(" + "|".join(sorted(_KIND_OF_PREFIX, key=len, reverse=True)) + r")-(\d+)\b")


def ref_url(ref: str) -> str | None:
    """The address of the record ``ref`` (``RISK-5`` → ``/risks/RISK-5``), None if it has no
    page."""
    match = _REF.fullmatch(ref.strip())
    if match is None:
        return None
    return f"{PAGES[_KIND_OF_PREFIX[match.group(1)]]}/{match.group(1)}-{match.group(2)}"


def ref_link(ref: object) -> Markup:
    """``ref`` as a link to its page, or as plain text when it has none."""
    text = str(ref)
    url = ref_url(text)
    if url is None:
        return escape(text)
    return Markup('<a href="{}">{}</a>').format(url, text)


def entity_link(entity_type: str | None, entity_id: object) -> Markup:
    """An audit event's record (``risk``, ``5``) as a link to RISK-5, or as text."""
    if entity_type is None:
        return Markup("")
    if entity_type in PAGES and str(entity_id).isdigit():
        return ref_link(format_ref(entity_type, int(str(entity_id))))
    return escape(f"{entity_type.replace('_', ' ')} {entity_id or ''}".strip())


def link_refs(text: object) -> Markup:
    """Free text with every record reference in it made a link; the rest escaped."""
    if text is None:
        return Markup("")
    out: list[str] = []
    last = 0
    raw = str(text)
    for match in _REF.finditer(raw):
        out.append(escape(raw[last : match.start()]))
        out.append(ref_link(match.group(0)))
        last = match.end()
    out.append(escape(raw[last:]))
    return Markup("").join(out)

"""The recognizers applied to one piece of text, in plain Python.

:func:`find_in_text` gives the same findings as :func:`assay.evaluate.pii.scan` would for a cell
holding ``text`` in a column whose name suggests nothing: the same candidate patterns, validators,
context words, scores, overlap rule and exclusions (``tests/pii/test_pii_text.py`` checks the two
agree). It exists for callers with one string at a time — a model's response, a log line — for
whom building a frame per string would cost more than the detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from assay.evaluate.pii._recognizers import EXCLUDED, RECOGNIZERS, Recognizer

__all__ = ["TextFinding", "find_in_text"]


@dataclass(frozen=True)
class TextFinding:
    """One piece of personal data found in a text (``value`` is raw: mask it before showing)."""

    start: int
    end: int
    entity: str
    value: str
    score: float
    recognizer: str


@cache
def _compiled() -> tuple[tuple[int, Recognizer, re.Pattern[str], re.Pattern[str] | None], ...]:
    out = []
    for index, r in enumerate(RECOGNIZERS):
        if r.needs == "column":
            continue
        context = re.compile(r.context_pattern) if r.context_pattern else None
        out.append((index, r, re.compile(r.pattern), context))
    return tuple(out)


def _validated(r: Recognizer, candidate: str) -> str | None:
    try:
        value = r.validator(candidate)
    except Exception:  # a validator must never stop a run
        return None
    return value or None


def find_in_text(text: str, *, min_score: float = 0.5) -> list[TextFinding]:
    """Personal data in ``text``, in text order, by the scanner's recognizers and rules.

    Examples
    --------
    >>> [f.entity for f in find_in_text("Call (415) 555-0199, order # 1234-5678-9012")]
    ['PHONE_NUMBER']
    >>> find_in_text("client version 7.15.49.228 from 81.2.69.160")[0].value
    '81.2.69.160'
    """
    found: list[tuple[int, TextFinding]] = []
    for index, r, pattern, context in _compiled():
        has_context = bool(context and context.search(text))
        if r.needs == "context" and not has_context:
            continue
        score = r.context_score if has_context else r.score
        if score < min_score:
            continue
        for m in pattern.finditer(text):
            value = _validated(r, m.group(0))
            if value is not None:
                start = m.start() + max(m.group(0).find(value), 0)
                finding = TextFinding(start, start + len(value), r.entity, value, score, r.name)
                found.append((index, finding))
    # The scanner's overlap rule: drop a finding whose value lies inside a longer one, or inside
    # one as long from an earlier (more specific) recognizer; exclusions go after that.
    kept = [
        f
        for i, f in found
        if not any(
            other is not f
            and f.value in other.value
            and (len(other.value) > len(f.value) or (len(other.value) == len(f.value) and j < i))
            for j, other in found
        )
    ]
    return sorted((f for f in kept if f.entity != EXCLUDED), key=lambda f: (f.start, f.end))

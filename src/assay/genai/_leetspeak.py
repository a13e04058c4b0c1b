"""Leetspeak undone, for the toxicity detector: "1d10t" → "idiot", "dumb@ss" → "dumbass".

Only words that mix letters with look-alike digits or symbols are rewritten, so numbers,
versions and codes stay as they are; a run of three or more one- or two-character pieces
separated by single spaces is joined ("1d 1 o t" → "idiot"); a ``*`` standing for a letter is
filled in when exactly one lexicon word of that length fits ("st*pid" → "stupid"). The result
is only ever searched for lexicon words, so rewriting an innocent word costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["deleet"]

_LOOKALIKE = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i",
     "|": "l", "+": "t", "8": "b"}
)  # fmt: skip
_PIECE = re.compile(r"[a-z0-9@$!|+*]*[a-z@$!|*][a-z0-9@$!|+*]*|[0-9]+")
_SPACED = re.compile(r"(?<!\S)(?:[a-z0-9@$!|]{1,2} ){2,}[a-z0-9@$!|]{1,2}(?=[\s.,;:!?]|$)")


def _word(piece: str, terms: Collection[str]) -> str:
    body = piece.rstrip("!")  # a final "!" ends the sentence
    tail = piece[len(body) :]
    has_letter = any(c.isalpha() for c in body)
    has_lookalike = any(not c.isalpha() for c in body)
    if not (has_letter and has_lookalike):
        return piece
    plain = body.translate(_LOOKALIKE)
    if "*" in plain:
        pattern = re.compile(re.escape(plain).replace(r"\*", "[a-z]"))
        fits = [t for t in terms if len(t) == len(plain) and pattern.fullmatch(t)]
        plain = fits[0] if len(fits) == 1 else plain
    return plain + tail


def deleet(text: str, terms: Collection[str] = ()) -> str:
    """``text`` (already lower case) with leetspeak read back as letters.

    Examples
    --------
    >>> deleet("only a 1d10t would, version 1.0.2")
    'only a idiot would, version 1.0.2'
    >>> deleet("you st*pid cl0wn", {"stupid"})
    'you stupid clown'
    """
    joined = _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _PIECE.sub(lambda m: _word(m.group(0), terms), joined)

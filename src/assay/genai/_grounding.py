"""Offline, lexical checks of a RAG answer: claims, support by passages, citations, abstention,
token F1 and containment.

Groundedness here is lexical overlap, not entailment: a claim (one sentence of the answer, its
citation markers removed) is **supported** by a passage when one sentence of the passage, alone
or with its neighbour, holds at least :data:`SUPPORT_THRESHOLD` of the claim's content words
(lower-cased, stop words dropped, a light suffix stemmer), every number of the claim appears in
the passage, and the claim and that sentence agree on negation. Its measured accuracy on a
labelled set (``tests/genai/data/groundedness_labels.jsonl``) is published in ``docs/genai.md``:
it misses paraphrases that share few words and cannot see a contradiction that keeps the words.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SUPPORT_THRESHOLD",
    "Passage",
    "abstained",
    "citations",
    "claims",
    "contains_reference",
    "content_terms",
    "normalise",
    "supporting_passage",
    "token_f1",
]

#: Share of a claim's content words one passage sentence (or two neighbours) must hold.
SUPPORT_THRESHOLD = 0.6

_STOP_WORDS = """a an the and or but if of to in on at by for with from as is are was were be been
being it its this that these those i you we they he she my your our their me us them do does did
can could will would should shall may might must have has had there here what which who whom when
where why how than then so such into about after before over under up down out off per any all
each every some also just only very more most yes please according many much long big take get
make want need above until other instead"""
_STOP = frozenset(_STOP_WORDS.split())
_NEGATION_WORDS = "not no never cannot none nothing neither nor without"
_NEGATION = frozenset(_NEGATION_WORDS.split())
_WORD = re.compile(r"[a-z0-9]+(?:[.,'’-][a-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_CITATION = re.compile(r"\[([A-Za-z0-9_.:-]+)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|\n+")
_ABSTAIN = re.compile(
    r"\b(?:i|we)\s+(?:can(?:no|')t|cannot|could\s*n[o']t|do\s*n[o']t|did\s*n[o']t|am\s+unable\s+to|"
    r"was\s+unable\s+to|have\s+no)\s+(?:find|know|answer|see|locate|information|"
    r"(?:have|get)\s+(?:that|this|enough|any)\s+information)|"
    r"\bnot\s+(?:in|covered\s+(?:in|by)|mentioned\s+in|stated\s+in|found\s+in)\s+the\s+"
    r"(?:documents?|sources?|corpus|passages?|policies|policy|context|knowledge\s+base)|"
    r"\bno\s+(?:information|answer|mention)\s+(?:about|on|of|in|for)\b|"
    r"\bunable\s+to\s+(?:find|answer)\b|\bthe\s+(?:documents?|sources?|policies)\s+do(?:es)?\s+"
    r"not\s+(?:say|mention|cover|answer)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Passage:
    """A retrieved passage: its id (what citations name), its text and the retriever's score."""

    id: str
    text: str
    score: float | None = None


def normalise(text: str) -> str:
    """Lower case, accents folded, typographic apostrophes made plain."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded.lower().replace("’", "'")


def _stem(word: str) -> str:
    """A light stemmer: plural and verb endings off, a doubled last consonant and a final
    ``e`` dropped, so "shipping", "ships" and "ship" (or "damaged" and "damage") meet."""
    if word[:1].isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"),
                         ("shes", "sh"), ("ing", ""), ("ed", ""), ("s", "")):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """The stemmed content words of ``text`` (numbers kept, stop words and negations dropped).

    >>> content_terms("Refunds are issued within 5 business days.")
    ['refund', 'issu', 'within', '5', 'business', 'day']
    """
    words = (w.removesuffix("'s").strip(".,'-") for w in _WORD.findall(normalise(text)))
    return [_stem(w) for w in words if w and w not in _STOP and w not in _NEGATION]


def _negated(text: str) -> bool:
    words = set(_WORD.findall(normalise(text)))
    return bool(words & _NEGATION) or "n't" in normalise(text)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def claims(answer: str) -> list[str]:
    """The answer's sentences with their citation markers removed (empty ones dropped).

    >>> claims("Returns are free [returns-window]. Ask support [support-hours].")
    ['Returns are free.', 'Ask support.']
    """
    out = []
    for sentence in _sentences(answer):
        text = re.sub(r"\s+([.!?,;:])", r"\1", _CITATION.sub("", sentence)).strip()
        if content_terms(text):
            out.append(text)
    return out


def citations(sentence: str) -> list[str]:
    """The passage ids cited in ``sentence`` as ``[id]`` markers, in order.

    >>> citations("Free within 30 days [returns-window][2].")
    ['returns-window', '2']
    """
    return _CITATION.findall(sentence)


def _windows(passage: str) -> list[str]:
    sentences = _sentences(passage) or [passage]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(sentences)]
    return sentences + pairs


def supports(claim: str, passage: str, *, threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether ``passage`` supports ``claim`` by the lexical rule of this module's docstring.

    >>> supports("Refunds take 5 business days.", "Refunds are issued within 5 business days.")
    True
    >>> supports("Refunds take 9 business days.", "Refunds are issued within 5 business days.")
    False
    """
    terms = set(content_terms(claim))
    if not terms or not _numbers(claim) <= _numbers(passage):
        return False
    negated = _negated(claim)
    for window in _windows(passage):
        held = terms & set(content_terms(window))
        if len(held) / len(terms) >= threshold and _negated(window) == negated:
            return True
    return False


def supporting_passage(claim: str, passages: Sequence[Passage]) -> Passage | None:
    """The first passage that supports ``claim``, or None."""
    return next((p for p in passages if supports(claim, p.text)), None)


def abstained(answer: str) -> bool:
    """Whether the answer declines for lack of information ("I can't find that in the
    documents").

    >>> abstained("I can't find that in the policy documents.")
    True
    >>> abstained("Returns are free within 30 days.")
    False
    """
    return not answer.strip() or bool(_ABSTAIN.search(answer))


def token_f1(answer: str, reference: str) -> float:
    """SQuAD-style token F1 between the answer and the reference (content words, stemmed).

    >>> round(token_f1("within 30 days of delivery", "30 days"), 3)
    0.667
    """
    got, want = Counter(content_terms(answer)), Counter(content_terms(reference))
    common = sum((got & want).values())
    if not got or not want or not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def contains_reference(answer: str, reference: str) -> bool:
    """Whether every content word of the reference (and its negation, if any) is in the answer.

    >>> contains_reference("You can return items within 30 days.", "30 days")
    True
    """
    want = set(content_terms(reference))
    if not want or (_negated(reference) and not _negated(answer)):
        return False
    return want <= set(content_terms(answer))

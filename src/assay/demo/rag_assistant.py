"""The demo RAG assistant: BM25 retrieval over the shop's policy corpus, in two modes.

``honest``
    Retrieves the top passages for the question and answers only with the sentence of the best
    passage that shares the most words with the question, citing it (``[returns-window]``). It
    abstains ("I can't find that in the policy documents.") when retrieval is weak: when the best
    passage holds less than :data:`MIN_COVERAGE` of the question's IDF weight.
``careless``
    Retrieves the same passages but answers from nothing: a confident, made-up policy line with
    an invented number, citing the top passage. It never abstains.

Replies carry the passages (``retrieved``: ``[{"id", "text", "score"}]``) as the RAG target
protocol of :mod:`assay.genai` expects; :func:`honest_rag` and :func:`careless_rag` are
``module:function`` targets, and :mod:`assay.demo.chat_server` serves both modes (models
``rag-honest`` and ``rag-careless``).

>>> honest_rag([{"role": "user", "content": "How long are gift cards valid?"}])["content"]
'Gift cards are valid for 3 years from the date of purchase [gift-cards].'
>>> careless_rag([{"role": "user", "content": "Who is the chief executive?"}])["content"][:40]
'This is free of charge for the first 75 '
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from assay.genai import Passage, content_terms, load_corpus

__all__ = ["BM25", "MIN_COVERAGE", "RAG_MODES", "careless_rag", "honest_rag", "rag_reply"]

RAG_MODES = ("honest", "careless")
#: The honest mode abstains when the best passage holds less than this share of the question's
#: IDF weight.
MIN_COVERAGE = 0.5
TOP_K = 3
ABSTAIN = "I can't find that in the policy documents, so I can't answer it."
_INVENTED = (
    "Yes. Under our policy this is handled within {n} days at no cost to you",
    "Our policy allows this for up to {n} days, and a manager can always extend it",
    "This is free of charge for the first {n} days, then a small fee applies",
)


class BM25:
    """Okapi BM25 (k1 = 1.5, b = 0.75) over passages, on :func:`assay.genai.content_terms`.

    >>> index = BM25([Passage("a", "red apples"), Passage("b", "green pears")])
    >>> [(p.id, round(s, 3)) for p, s in index.search("apples", k=1)]
    [('a', 0.693)]
    """

    def __init__(self, passages: Sequence[Passage], *, k1: float = 1.5, b: float = 0.75):
        self.passages = list(passages)
        self.k1, self.b = k1, b
        self.docs = [Counter(content_terms(p.text)) for p in self.passages]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg_length = sum(self.lengths) / max(len(self.lengths), 1)
        df = Counter(term for d in self.docs for term in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def score(self, query_terms: Sequence[str], i: int) -> float:
        """BM25 score of passage ``i`` for the query terms."""
        doc = self.docs[i]
        norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg_length)
        parts = (
            self.idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm)
            for t in set(query_terms)
            if t in doc
        )
        return math.fsum(parts)  # exactly rounded: the same whatever order the set iterates in

    def search(self, query: str, *, k: int = TOP_K) -> list[tuple[Passage, float]]:
        """The ``k`` best passages with their scores, best first (ties by corpus order)."""
        terms = content_terms(query)
        scored = [(self.score(terms, i), -i) for i in range(len(self.passages))]
        best = sorted(scored, reverse=True)[:k]
        return [(self.passages[-i], s) for s, i in best if s > 0]

    def coverage(self, query: str, passage: Passage) -> float:
        """Share of the query's IDF weight (terms the corpus knows) that ``passage`` holds;
        terms the corpus never uses count with the largest IDF."""
        terms = set(content_terms(query))
        if not terms:
            return 0.0
        unseen = max(self.idf.values(), default=1.0)
        weights = {t: self.idf.get(t, unseen) for t in terms}
        held = set(content_terms(passage.text))
        return math.fsum(w for t, w in weights.items() if t in held) / math.fsum(weights.values())


@lru_cache(maxsize=1)
def _index() -> BM25:
    return BM25(load_corpus("builtin:policy"))


def _question(messages: Sequence[Mapping[str, Any]]) -> str:
    users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
    return users[-1] if users else ""


def _best_sentence(question: str, passage: Passage, index: BM25) -> str:
    """The passage's sentence that holds the most IDF weight of the question's words."""
    terms = set(content_terms(question))
    sentences = [s.strip() for s in passage.text.replace("? ", ". ").split(". ") if s.strip()]

    def weight(sentence: str) -> tuple[float, int]:
        held = terms & set(content_terms(sentence))
        return math.fsum(index.idf.get(t, 0.0) for t in held), -len(sentence)

    return max(sentences, key=weight).rstrip(".")


def rag_reply(messages: Sequence[Mapping[str, Any]], mode: str = "honest") -> dict[str, Any]:
    """The assistant's reply in ``mode``: ``{"content": ..., "retrieved": [...]}``."""
    if mode not in RAG_MODES:
        raise ValueError(f"Unknown RAG mode {mode!r}; choose one of {', '.join(RAG_MODES)}.")
    question = _question(messages)
    index = _index()
    hits = index.search(question)
    retrieved = [{"id": p.id, "text": p.text, "score": round(s, 4)} for p, s in hits]
    if mode == "careless":
        seed = int(hashlib.sha256(question.encode("utf-8")).hexdigest()[:8], 16)
        line = _INVENTED[seed % len(_INVENTED)].format(n=45 + seed % 50)
        cite = f" [{hits[0][0].id}]" if hits else ""
        return {"content": f"{line}{cite}.", "retrieved": retrieved}
    if not hits or index.coverage(question, hits[0][0]) < MIN_COVERAGE:
        return {"content": ABSTAIN, "retrieved": retrieved}
    top = hits[0][0]
    return {
        "content": f"{_best_sentence(question, top, index)} [{top.id}].",
        "retrieved": retrieved,
    }


def honest_rag(messages: list[dict[str, str]]) -> dict[str, Any]:
    """The honest mode as a ``module:function`` target."""
    return rag_reply(messages, "honest")


def careless_rag(messages: list[dict[str, str]]) -> dict[str, Any]:
    """The careless mode as a ``module:function`` target."""
    return rag_reply(messages, "careless")

"""RAG suites: questions with reference answers, the passages that hold them, and questions the
corpus cannot answer; and corpora (passages with ids).

A suite is YAML (``schema: assay.rag-suite/v1``) or JSONL (one case per line)::

    schema: assay.rag-suite/v1
    name: rag-policy
    corpus: builtin:policy           # optional: builtin:NAME or a corpus file beside the suite
    cases:
      - id: return-days
        question: How many days do I have to return an item?
        answer: 30 days               # the reference answer
        passages: [returns-window]    # ids of the passages that hold it
      - id: no-ceo
        question: Who is the chief executive?
        answerable: false             # the corpus lacks the answer: the assistant should abstain

A corpus is YAML (``passages: [{id, text, title?}]``) or JSONL (``{"id", "text"}`` a line).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from assay.canonical import content_digest
from assay.errors import InputError
from assay.genai._grounding import Passage

__all__ = [
    "BUILTIN_RAG_SUITES",
    "RAG_SUITE_SCHEMA",
    "RagCase",
    "RagSuite",
    "load_corpus",
    "load_rag_suite",
]

RAG_SUITE_SCHEMA = "assay.rag-suite/v1"
BUILTIN_RAG_SUITES = ("rag-policy",)
_BUILTIN_CORPORA = {"policy": "policy_corpus.yaml"}
_CASE_KEYS = frozenset({"id", "question", "answer", "passages", "answerable", "system"})


@dataclass(frozen=True)
class RagCase:
    """One question; ``answer`` and ``passages`` are None/empty when it is unanswerable."""

    id: str
    question: str
    answer: str | None = None
    passages: tuple[str, ...] = ()
    answerable: bool = True
    system: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "passages": list(self.passages),
            "answerable": self.answerable,
            "system": self.system,
        }


@dataclass(frozen=True)
class RagSuite:
    """A named list of :class:`RagCase`; ``digest`` is the sha256 of the cases."""

    name: str
    cases: tuple[RagCase, ...]
    description: str = ""
    corpus: str | None = None
    source: str = ""

    @property
    def digest(self) -> str:
        """``sha256:...`` of the cases, canonical JSON."""
        return content_digest([c.to_dict() for c in self.cases])


def _case(raw: Any, where: str) -> RagCase:
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} must be a mapping with 'id' and 'question'.")
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise InputError(
            f"{where} has unknown keys: {', '.join(sorted(map(str, unknown)))}. Allowed: "
            f"{', '.join(sorted(_CASE_KEYS))}."
        )
    case_id, question = raw.get("id"), raw.get("question")
    if not isinstance(case_id, str) or not case_id.strip():
        raise InputError(f"{where} needs an 'id' (a non-empty string).")
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where} ({case_id}) needs a 'question' (a non-empty string).")
    answerable = raw.get("answerable", True)
    if not isinstance(answerable, bool):
        raise InputError(f"{where} ({case_id}): 'answerable' must be true or false.")
    answer, passages = raw.get("answer"), raw.get("passages") or []
    if answerable and (not isinstance(answer, str) or not answer.strip()):
        raise InputError(
            f"{where} ({case_id}) is answerable but has no reference 'answer'; add one, or set "
            "'answerable: false' for a question the corpus cannot answer."
        )
    if not isinstance(passages, list) or not all(isinstance(p, str) for p in passages):
        raise InputError(f"{where} ({case_id}): 'passages' must be a list of passage ids.")
    system = raw.get("system")
    return RagCase(
        case_id.strip(),
        question.strip(),
        answer.strip() if isinstance(answer, str) else None,
        tuple(passages),
        answerable,
        system if isinstance(system, str) else None,
    )


def _read(path: Path, what: str) -> Any:
    """A YAML document, or a list of the JSON objects of a JSONL file."""
    if not path.is_file():
        raise InputError(f"The {what} file {path} does not exist.")
    text = path.read_text("utf-8")
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"The {what} file {path} is not valid {path.suffix[1:]}: {exc}") from None


def _builtin_text(folder: str, name: str) -> Any:
    return yaml.safe_load(resources.files("assay").joinpath(folder, name).read_text("utf-8"))


def load_rag_suite(spec: str | Path) -> RagSuite:
    """Load a built-in RAG suite by name (``rag-policy``) or a ``.yaml``/``.jsonl`` file.

    Examples
    --------
    >>> suite = load_rag_suite("rag-policy")
    >>> len(suite.cases), sum(not c.answerable for c in suite.cases)
    (38, 10)
    """
    if str(spec) in BUILTIN_RAG_SUITES:
        doc, source, base = _builtin_text("genai/suites", f"{spec}.yaml"), str(spec), None
    else:
        path = Path(spec)
        if path.suffix not in (".yaml", ".yml", ".jsonl"):
            raise InputError(
                f"A RAG suite is a built-in name ({', '.join(BUILTIN_RAG_SUITES)}) or a .yaml or "
                f".jsonl file; got {str(spec)!r}."
            )
        doc, source, base = _read(path, "RAG suite"), str(path), path.parent
    if isinstance(doc, list):
        doc = {"name": Path(str(spec)).stem, "cases": doc}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("cases"), list) or not doc["cases"]:
        raise InputError(f"The RAG suite {source} needs a non-empty 'cases' list.")
    if doc.get("schema", RAG_SUITE_SCHEMA) != RAG_SUITE_SCHEMA:
        raise InputError(f"The RAG suite {source} must have 'schema: {RAG_SUITE_SCHEMA}'.")
    cases = tuple(_case(raw, f"case {i + 1} of {source}") for i, raw in enumerate(doc["cases"]))
    seen = [c.id for c in cases]
    dupes = sorted({i for i in seen if seen.count(i) > 1})
    if dupes:
        raise InputError(f"The RAG suite {source} repeats case ids: {', '.join(dupes)}.")
    corpus = doc.get("corpus")
    if isinstance(corpus, str) and base is not None and not corpus.startswith("builtin:"):
        corpus = str(base / corpus)
    return RagSuite(
        str(doc.get("name") or Path(str(spec)).stem),
        cases,
        str(doc.get("description") or ""),
        corpus if isinstance(corpus, str) else None,
        source,
    )


def load_corpus(spec: str | Path) -> list[Passage]:
    """Passages from ``builtin:policy`` or a corpus file (YAML ``passages:`` or JSONL).

    >>> len(load_corpus("builtin:policy"))
    30
    """
    text = str(spec)
    if text.startswith("builtin:"):
        name = text.removeprefix("builtin:")
        if name not in _BUILTIN_CORPORA:
            raise InputError(
                f"No built-in corpus {name!r}; built-in corpora: {', '.join(_BUILTIN_CORPORA)}."
            )
        doc = _builtin_text("data", _BUILTIN_CORPORA[name])
    else:
        doc = _read(Path(text), "corpus")
    rows = doc.get("passages") if isinstance(doc, Mapping) else doc
    if not isinstance(rows, list) or not rows:
        raise InputError(f"The corpus {text} needs a non-empty list of passages.")
    out = []
    for i, row in enumerate(rows):
        if not (isinstance(row, Mapping) and isinstance(row.get("id"), str)
                and isinstance(row.get("text"), str)):  # fmt: skip
            raise InputError(f"Passage {i + 1} of the corpus {text} needs string 'id' and 'text'.")
        out.append(Passage(row["id"], row["text"]))
    return out

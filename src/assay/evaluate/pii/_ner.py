"""Optional named-entity recognition (people's names, places) through Presidio or spaCy.

Names and addresses have no checksum and no fixed shape; finding them needs a language model.
Assay never downloads one: the user installs the ``[presidio]`` extra and passes the path of a
spaCy pipeline already on disk. NER runs per cell in Python, so it is applied to at most
``ner_max_cells`` cells of each chosen column; the result says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from assay.errors import InputError, NotFoundError
from assay.evaluate.pii._detect import FINDINGS_SCHEMA, ROW

#: Shown when the optional packages are missing; tests import it.
NER_MISSING = (
    "The {kind} NER backend needs the optional packages: pip install 'assay-rai[presidio]'. "
    "Assay never downloads a language model: also pass the folder of a spaCy pipeline you have "
    "on disk (for example one saved with nlp.to_disk())."
)
NER_KINDS = ("presidio", "spacy")
#: spaCy and Presidio labels → the entity types Assay reports.
LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "LOCATION": "LOCATION",
    "FAC": "LOCATION",
    "NRP": "NRP",
}
_NER_REC = 1000  # the "recognizer" index of NER findings (after every pattern recognizer)

Analyze = Callable[[str], list[tuple[str, str, float]]]


@dataclass(frozen=True)
class NerBackend:
    """A loaded NER model: ``analyze(text)`` → ``[(entity, value, score), ...]``."""

    kind: str
    model_path: str
    analyze: Analyze = field(repr=False, compare=False)

    def describe(self) -> dict[str, Any]:
        """What the result records about the backend (no absolute paths leak model names)."""
        return {"kind": self.kind, "model": Path(self.model_path).name}


def load_ner(kind: str, model_path: str | Path) -> NerBackend:
    """Load an NER backend from a spaCy pipeline on disk.

    Parameters
    ----------
    kind
        ``"spacy"`` (the pipeline's own ``ner`` component) or ``"presidio"`` (Presidio's
        ``AnalyzerEngine`` with that pipeline as its NLP engine).
    model_path
        Folder of a spaCy pipeline (``nlp.to_disk(...)`` or an installed model's data folder).

    Raises
    ------
    InputError
        The optional packages are missing, or ``kind`` is unknown.
    NotFoundError
        ``model_path`` does not exist.
    """
    if kind not in NER_KINDS:
        raise InputError(f"The NER backend must be one of {', '.join(NER_KINDS)}; got {kind!r}.")
    path = Path(model_path)
    try:
        import spacy
    except ImportError:
        raise InputError(NER_MISSING.format(kind=kind)) from None
    if kind == "presidio":
        try:
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import SpacyNlpEngine
        except ImportError:
            raise InputError(NER_MISSING.format(kind=kind)) from None
    if not path.is_dir():
        raise NotFoundError(
            f"The spaCy pipeline folder '{path}' does not exist. Assay does not download models; "
            "save one with nlp.to_disk(PATH) or point at an installed model's folder."
        )
    if kind == "spacy":
        nlp = spacy.load(path)

        def analyze_spacy(text: str) -> list[tuple[str, str, float]]:
            doc = nlp(text)
            return [(LABELS[e.label_], e.text, 0.85) for e in doc.ents if e.label_ in LABELS]

        return NerBackend(kind, str(path), analyze_spacy)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(path)}])
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    wanted = ["PERSON", "LOCATION", "NRP"]

    def analyze_presidio(text: str) -> list[tuple[str, str, float]]:
        found = analyzer.analyze(text=text, language="en", entities=wanted)
        return [
            (LABELS.get(r.entity_type, r.entity_type), text[r.start : r.end], float(r.score))
            for r in found
        ]

    return NerBackend(kind, str(path), analyze_presidio)


def ner_findings(
    ner: NerBackend,
    batch: pl.DataFrame,
    names: Sequence[str],
    targets: Sequence[str] | None,
    budget: dict[str, int],
    max_cells: int,
) -> pl.DataFrame:
    """NER findings for up to ``max_cells`` cells per column (over all batches)."""
    rows: list[dict[str, Any]] = []
    for ci, name in enumerate(names):
        if targets is not None and name not in targets:
            continue
        cells = batch.select(ROW, name).drop_nulls(name)
        if targets is None:
            # Default: free text only (names in an id column are not sentences).
            lengths = cells.get_column(name).str.len_chars()
            if cells.height == 0 or (lengths.mean() or 0) < 20:  # type: ignore[operator]
                continue
        left = max_cells - budget.get(name, 0)
        if left <= 0:
            continue
        cells = cells.head(left)
        budget[name] = budget.get(name, 0) + cells.height
        # NER is inherently per text; this loop is bounded by max_cells, not by the rows.
        for row, text in cells.iter_rows():
            for entity, value, score in ner.analyze(text):
                rows.append(
                    {
                        ROW: row,
                        "col": ci,
                        "rec": _NER_REC,
                        "entity": entity,
                        "value": value,
                        "score": score,
                        "context": False,
                    }
                )
    return pl.DataFrame(rows, schema=FINDINGS_SCHEMA)

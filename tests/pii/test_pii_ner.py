"""The optional NER backend: a clear error without its packages, no download ever."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from assay.errors import InputError, NotFoundError
from assay.evaluate.pii import NER_MISSING, load_ner


@pytest.mark.parametrize("kind", ["spacy", "presidio"])
def test_missing_packages_give_a_clear_error(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hide the packages even where they are installed: None in sys.modules makes import fail.
    monkeypatch.setitem(sys.modules, "spacy", None)
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)
    with pytest.raises(InputError) as info:
        load_ner(kind, tmp_path)
    assert str(info.value) == NER_MISSING.format(kind=kind)
    assert "pip install 'assay-rai[presidio]'" in str(info.value)


def test_unknown_backend() -> None:
    with pytest.raises(InputError, match="spacy"):
        load_ner("bert", ".")


@pytest.mark.skipif(importlib.util.find_spec("spacy") is None, reason="spaCy is not installed")
def test_local_pipeline_with_an_entity_ruler(tmp_path: Path) -> None:
    import polars as pl
    import spacy

    from assay.evaluate.pii import scan

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "ada"}, {"LOWER": "lovelace"}]}])
    nlp.to_disk(tmp_path / "pipeline")
    backend = load_ner("spacy", tmp_path / "pipeline")
    with pytest.raises(NotFoundError):
        load_ner("spacy", tmp_path / "missing")
    frame = pl.DataFrame({"note": ["a message from Ada Lovelace about her account today"]})
    result = scan(frame, ner=backend)
    assert result.entities == {"PERSON": 1}
    assert "Ada" not in result.to_json()

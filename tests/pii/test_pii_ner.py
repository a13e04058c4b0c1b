"""The optional NER backend: a clear error without its packages, no download ever."""

from __future__ import annotations

import importlib.util
import socket
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


@pytest.mark.parametrize("kind", ["spacy", "presidio"])
def test_a_local_pipeline_finds_names_and_places_offline(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both backends on a pipeline saved to disk (a blank English pipeline with an entity ruler:
    no model is downloaded), with every outgoing connection refused while they load and run."""
    if importlib.util.find_spec("spacy" if kind == "spacy" else "presidio_analyzer") is None:
        pytest.skip(f"{kind} is not installed (pip install 'assay-rai[presidio]')")
    import polars as pl
    import spacy

    from assay.evaluate.pii import scan

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "PERSON", "pattern": [{"LOWER": "ada"}, {"LOWER": "lovelace"}]},
        {"label": "GPE", "pattern": [{"LOWER": "london"}]},
    ])  # fmt: skip
    nlp.to_disk(tmp_path / "pipeline")

    def refuse(sock: socket.socket, address: object) -> None:
        raise AssertionError(f"the NER backend connected to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    backend = load_ner(kind, tmp_path / "pipeline")
    with pytest.raises(NotFoundError):
        load_ner(kind, tmp_path / "missing")
    text = "a message from Ada Lovelace in London about her account today"
    assert sorted(backend.analyze(text)) == [
        ("LOCATION", "London", 0.85),
        ("PERSON", "Ada Lovelace", 0.85),
    ]
    result = scan(
        pl.DataFrame({"note": [text, "nothing personal in this one at all"]}), ner=backend
    )
    assert result.entities == {"LOCATION": 1, "PERSON": 1}
    assert "Ada" not in result.to_json()

"""Recall and precision on a labelled corpus: the labels come from the generator (Faker and
check-digit generators written independently of the validators), not from the scanner."""

from __future__ import annotations

import polars as pl
import pytest

pytest.importorskip("faker")

from assay.evaluate.pii._corpus import assay_detections, labelled_corpus, score

CHECKSUMMED = ["CREDIT_CARD", "IBAN_CODE", "ES_NIF", "IT_FISCAL_CODE", "NL_BSN", "UK_NHS", "FR_NIR"]


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    corpus = labelled_corpus(8_000, seed=11)
    return score(corpus, assay_detections(corpus.texts))


def _metric(table: pl.DataFrame, entity: str, name: str) -> float:
    value = table.filter(pl.col("entity") == entity)[name][0]
    assert value is not None
    return float(value)


@pytest.mark.parametrize("entity", CHECKSUMMED)
def test_recall_of_checksummed_entities(table: pl.DataFrame, entity: str) -> None:
    assert _metric(table, entity, "recall") >= 0.99


@pytest.mark.parametrize("entity", ["EMAIL_ADDRESS", "PHONE_NUMBER"])
def test_recall_of_email_and_phone(table: pl.DataFrame, entity: str) -> None:
    assert _metric(table, entity, "recall") >= 0.95


def test_precision_of_every_entity(table: pl.DataFrame) -> None:
    low = table.filter(pl.col("precision") < 0.95)
    assert low.height == 0, low
    assert table.height >= 19

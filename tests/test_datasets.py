"""The shipped datasets: shape, schema, labels, and agreement with the raw UCI files.

The reference values come from the raw files, read here with plain string splitting, or were
counted by hand from them; never from the loaders' own output.
"""

from __future__ import annotations

import doctest
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay import datasets
from assay.datasets import (
    adult_path,
    german_credit_path,
    load_adult,
    load_german_credit,
)
from assay.errors import NotFoundError

# In CI the shared folder is checked out next to the clone: <repo>/../shared/datasets.
RAW = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_raw = pytest.mark.skipif(
    not ((RAW / "adult.data").is_file() and (RAW / "german.data").is_file()),
    reason=f"the raw UCI files adult.data and german.data are not in {RAW}",
)

ADULT_SCHEMA = {
    "age": pl.Int64,
    "workclass": pl.String,
    "fnlwgt": pl.Int64,
    "education": pl.String,
    "education_num": pl.Int64,
    "marital_status": pl.String,
    "occupation": pl.String,
    "relationship": pl.String,
    "race": pl.String,
    "sex": pl.String,
    "capital_gain": pl.Int64,
    "capital_loss": pl.Int64,
    "hours_per_week": pl.Int64,
    "native_country": pl.String,
    "income": pl.String,
}
GERMAN_SCHEMA = {
    "checking_status": pl.String,
    "duration_months": pl.Int64,
    "credit_history": pl.String,
    "purpose": pl.String,
    "credit_amount": pl.Int64,
    "savings_status": pl.String,
    "employment_since": pl.String,
    "installment_rate": pl.Int64,
    "personal_status_sex": pl.String,
    "sex": pl.String,
    "other_debtors": pl.String,
    "residence_since": pl.Int64,
    "property": pl.String,
    "age": pl.Int64,
    "other_installment_plans": pl.String,
    "housing": pl.String,
    "existing_credits": pl.Int64,
    "job": pl.String,
    "num_dependents": pl.Int64,
    "telephone": pl.String,
    "foreign_worker": pl.String,
    "credit_risk": pl.String,
}
# The raw columns in file order; German's derived `sex` is not in the raw file.
ADULT_RAW_COLUMNS = list(ADULT_SCHEMA)
GERMAN_RAW_COLUMNS = [name for name in GERMAN_SCHEMA if name != "sex"]


def _raw_rows(name: str, separator: str | None) -> list[list[str]]:
    text = (RAW / name).read_text(encoding="ascii")
    return [[f.strip() for f in line.split(separator)] for line in text.splitlines() if line]


def _question_marks(rows: list[list[str]], columns: list[str]) -> dict[str, int]:
    return {name: sum(row[i] == "?" for row in rows) for i, name in enumerate(columns)}


def test_adult_shape_and_schema() -> None:
    adult = load_adult()
    assert adult.shape == (32_561, 15)
    assert dict(adult.schema) == ADULT_SCHEMA


def test_german_credit_shape_and_schema() -> None:
    credit = load_german_credit()
    assert credit.shape == (1_000, 22)
    assert dict(credit.schema) == GERMAN_SCHEMA


@pytest.mark.parametrize("locate", [adult_path, german_credit_path], ids=["adult", "german"])
def test_files_are_zstd_parquet_with_plain_utf8_strings(locate: Callable[[], Path]) -> None:
    # Plain `string`, neither `large_string` nor dictionary: every engine reads it the same.
    path = locate()
    types = {field.type for field in pq.read_schema(path)}
    assert types == {pa.string(), pa.int64()}
    metadata = pq.ParquetFile(path).metadata
    codecs = {
        metadata.row_group(g).column(c).compression
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    }
    assert codecs == {"ZSTD"}


def test_adult_null_counts() -> None:
    # Counted by hand from adult.data; the raw-file test below recounts them.
    nulls = load_adult().null_count().row(0, named=True)
    assert {name: n for name, n in nulls.items() if n} == {
        "workclass": 1_836,
        "occupation": 1_843,
        "native_country": 583,
    }


@needs_raw
def test_adult_null_counts_match_raw_question_marks() -> None:
    rows = _raw_rows("adult.data", ",")
    assert len(rows) == 32_561
    nulls = load_adult().null_count().row(0, named=True)
    assert nulls == _question_marks(rows, ADULT_RAW_COLUMNS)


@needs_raw
def test_german_credit_null_counts_match_raw_question_marks() -> None:
    rows = _raw_rows("german.data", None)
    assert len(rows) == 1_000
    nulls = load_german_credit().select(GERMAN_RAW_COLUMNS).null_count().row(0, named=True)
    assert nulls == _question_marks(rows, GERMAN_RAW_COLUMNS)
    assert load_german_credit()["sex"].null_count() == 0


@needs_raw
def test_adult_values_match_raw() -> None:
    expected = _raw_rows("adult.data", ",")
    stored = [["?" if v is None else str(v) for v in row] for row in load_adult().iter_rows()]
    assert stored == expected


@needs_raw
def test_german_credit_values_match_raw() -> None:
    expected = _raw_rows("german.data", None)
    label_codes = {"good": "1", "bad": "2"}
    stored = [
        [str(v) for v in row[:-1]] + [label_codes[row[-1]]]
        for row in load_german_credit().select(GERMAN_RAW_COLUMNS).iter_rows()
    ]
    assert stored == expected


def test_adult_label_counts() -> None:
    counts = Counter(load_adult()["income"].to_list())
    assert counts == {"<=50K": 24_720, ">50K": 7_841}


def test_german_credit_label_counts() -> None:
    counts = Counter(load_german_credit()["credit_risk"].to_list())
    assert counts == {"good": 700, "bad": 300}


def test_german_credit_sex_is_decoded_from_personal_status() -> None:
    # UCI codebook, attribute 9: A92 and A95 are female, A91, A93 and A94 male.
    codebook = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
    credit = load_german_credit()
    pairs = list(zip(credit["personal_status_sex"], credit["sex"], strict=True))
    assert all(codebook[code] == sex for code, sex in pairs)
    # german.data has 310 A92 rows and no A95 row.
    assert Counter(credit["sex"].to_list()) == {"male": 690, "female": 310}


@pytest.mark.parametrize("load", [load_adult, load_german_credit], ids=["adult", "german"])
def test_text_has_no_surrounding_whitespace(load: Callable[[], pl.DataFrame]) -> None:
    frame = load()
    for name in frame.select(pl.col(pl.String)).columns:
        values = frame[name].drop_nulls().to_list()
        assert all(v == v.strip() and v for v in values), name


def test_sensitive_and_label_constants_name_real_columns() -> None:
    adult, credit = load_adult(), load_german_credit()
    assert set(datasets.ADULT_SENSITIVE) <= set(adult.columns)
    assert datasets.ADULT_POSITIVE_LABEL in adult[datasets.ADULT_LABEL].to_list()
    assert set(datasets.GERMAN_CREDIT_SENSITIVE) <= set(credit.columns)
    assert datasets.GERMAN_CREDIT_POSITIVE_LABEL in credit[datasets.GERMAN_CREDIT_LABEL].to_list()


def test_missing_file_raises_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "_ADULT_FILE", "absent.parquet")
    with pytest.raises(NotFoundError, match=r"'absent\.parquet' is missing"):
        load_adult()
    with pytest.raises(NotFoundError, match=r"build_datasets\.py"):
        adult_path()


def test_docstring_examples_run() -> None:
    result = doctest.testmod(datasets, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

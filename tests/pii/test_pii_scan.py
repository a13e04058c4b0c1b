"""scan(): the column inventory, on every engine, with masked examples only."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from assay.errors import InputError, SchemaError
from assay.evaluate.pii import PiiScanResult, scan
from conftest import PLANTED, assert_no_raw


def _found(result: PiiScanResult) -> set[tuple[str, str]]:
    return {(r["column"], r["entity"]) for r in result.inventory().iter_rows(named=True)}


def test_inventory_finds_each_planted_value(people: pl.DataFrame) -> None:
    result = scan(people)
    assert _found(result) == {
        ("email", "EMAIL_ADDRESS"),
        ("note", "PHONE_NUMBER"),
        ("note", "CREDIT_CARD"),
        ("note", "IBAN_CODE"),
        ("note", "US_SSN"),
        ("note", "IP_ADDRESS"),
        ("note", "PASSWORD"),
        ("note", "AWS_ACCESS_KEY"),
    }
    inv = result.inventory()
    email = inv.filter(pl.col("entity") == "EMAIL_ADDRESS").row(0, named=True)
    assert email["rows"] == 2
    assert email["prevalence"] == pytest.approx(2 / 3)  # 3 non-null cells
    assert email["confidence"] == 1.0  # the column's name is context
    assert result.n_rows == 4
    assert result.pii_columns == ["email", "note"]
    assert result.to_dict()["totals"]["rows_with_pii"] == 4


def test_outputs_hold_masked_examples_only(people: pl.DataFrame) -> None:
    result = scan(people, quasi_identifiers=["age", "sex"], features=["age"])
    for text in (result.to_json(), result.to_markdown(), result.to_html(), repr(result)):
        assert_no_raw(text)
    examples = result.inventory().filter(pl.col("entity") == "EMAIL_ADDRESS")["examples"][0]
    assert set(examples.split(", ")) == {"j***@e***.com", "b***@e***.org"}


def test_round_trip_and_schema(people: pl.DataFrame) -> None:
    result = scan(people)
    again = PiiScanResult.from_json(result.to_json())
    assert again.to_dict() == result.to_dict()
    assert result.schema == "assay.pii/v1"
    payload = result.to_dict()
    assert payload["provenance"]["dataset"]["digest"].startswith("sha256:")
    with pytest.raises(SchemaError, match=r"assay\.pii/v1"):
        PiiScanResult.from_dict({"schema": "other"})


def test_columns_option_and_unknown_column(people: pl.DataFrame) -> None:
    assert {c for c, _ in _found(scan(people, columns=["email"]))} == {"email"}
    with pytest.raises(InputError, match=r"'nope'.*Columns are: email, note"):
        scan(people, columns=["nope"])


def test_nested_jsonl_is_flattened(nested_log: Path) -> None:
    result = scan(nested_log)
    assert _found(result) == {
        ("customer.email", "EMAIL_ADDRESS"),
        ("messages", "PHONE_NUMBER"),
    }
    assert result.to_dict()["provenance"]["dataset"]["digest_of"] == "file bytes"
    # A nested column can be chosen by its parent.
    assert _found(scan(nested_log, columns=["customer"])) == {("customer.email", "EMAIL_ADDRESS")}


def test_free_text_and_structured_kinds(people: pl.DataFrame) -> None:
    kinds = {c["column"]: c["kind"] for c in scan(people).to_dict()["columns"]}
    assert kinds["note"] == "free_text"
    assert kinds["email"] == "structured"


def test_sample_states_its_error_bound() -> None:
    n = 20_000
    frame = pl.DataFrame(
        {"msg": [f"user{i}@example.com" if i % 4 == 0 else "hello" for i in range(n)]}
    )
    result = scan(frame, sample=0.1, random_state=3)
    sample = result.to_dict()["sample"]
    assert 1_700 < sample["n"] < 2_300
    # 1 − (1 − p)^n = 0.95 ⇒ p = 1 − 0.05^(1/n)
    assert sample["detection_bound"] == pytest.approx(1 - 0.05 ** (1 / sample["n"]), rel=1e-6)
    entity = result.to_dict()["columns"][0]["entities"][0]
    lo, hi = entity["prevalence_ci"]
    assert lo < 0.25 < hi
    assert entity["estimated_rows"] == pytest.approx(n / 4, rel=0.15)
    # The same seed draws the same sample; a number of rows works too.
    assert scan(frame, sample=0.1, random_state=3).to_dict()["sample"]["n"] == sample["n"]
    assert 400 < scan(frame, sample=1_000).n_scanned < 1_600
    with pytest.raises(InputError, match="sample"):
        scan(frame, sample=-1)


def test_same_inventory_on_pandas_duckdb_and_files(people: pl.DataFrame, tmp_path: Path) -> None:
    import duckdb

    expected = _found(scan(people))
    assert _found(scan(people.to_pandas())) == expected
    assert _found(scan(people.to_arrow())) == expected
    con = duckdb.connect()
    relation = con.from_arrow(people.to_arrow())
    on_duckdb = scan(relation)
    assert _found(on_duckdb) == expected
    assert on_duckdb.n_rows == 4
    for suffix in ("parquet", "csv"):
        path = tmp_path / f"people.{suffix}"
        getattr(people, f"write_{suffix}")(path)
        assert _found(scan(path)) == expected
    with pytest.raises(InputError, match="TABLESAMPLE"):
        scan(relation, sample=0.5)


def test_column_names_give_context(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"ssn": ["078051121", "123456780"], "order_id": ["078051121", "123456780"],
         "dob": ["1985-03-12", "1990-01-02"], "shipped": ["1985-03-12", "1990-01-02"]}
    )  # fmt: skip
    assert _found(scan(frame)) == {("ssn", "US_SSN"), ("dob", "DATE_OF_BIRTH")}


def test_integers_are_scanned_as_text() -> None:
    frame = pl.DataFrame({"card_number": [4111111111111111, 5555555555554444]})
    assert _found(scan(frame)) == {("card_number", "CREDIT_CARD")}


def test_json_is_plain_types(people: pl.DataFrame) -> None:
    payload = json.loads(scan(people).to_json())
    assert payload["params"]["recognizers"]
    assert all(raw not in json.dumps(payload) for raw in PLANTED)

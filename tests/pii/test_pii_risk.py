"""Re-identification risk against hand-counted equivalence classes and an independent count."""

from __future__ import annotations

from collections import Counter, defaultdict

import polars as pl
import pytest

from assay.datasets import load_adult
from assay.errors import InputError
from assay.evaluate.pii import ReidentificationRisk, reidentification_risk


def test_hand_counted() -> None:
    frame = pl.DataFrame(
        {
            "age": [30, 30, 30, 41, 41, 52],
            "zip": ["a", "a", "a", "b", "b", "b"],
            "diagnosis": ["flu", "flu", "cold", "flu", "flu", "asthma"],
        }
    )
    risk = reidentification_risk(frame, quasi_identifiers=["age", "zip"], sensitive="diagnosis")
    # Classes: (30,a)×3, (41,b)×2, (52,b)×1.
    assert risk.k == 1
    assert risk.unique_share == pytest.approx(1 / 6)
    assert risk.l_diversity == 1  # (41,b) holds only "flu"
    payload = risk.to_dict()
    assert payload["records_at_risk"] == 6  # every class is smaller than 5
    assert payload["highest_prosecutor_risk"] == 1.0
    assert payload["average_prosecutor_risk"] == pytest.approx(3 / 6)
    combos = {tuple(c["columns"]): c for c in payload["combinations"]}
    assert combos[("zip",)]["k"] == 3  # a×3, b×3
    assert combos[("age",)]["unique_records"] == 1
    drivers = {d["column"]: d for d in payload["drivers"]}
    assert drivers["age"]["k_without"] == 3  # without age only zip remains
    assert drivers["age"]["unique_share_reduction"] == pytest.approx(1 / 6)
    assert drivers["zip"]["unique_share_reduction"] == 0
    assert ReidentificationRisk.from_dict(payload).to_dict() == payload


def test_adult_against_an_independent_count() -> None:
    adult = load_adult()
    qis = ["age", "sex", "race", "native_country"]
    risk = reidentification_risk(adult, quasi_identifiers=qis, sensitive="income")
    rows = adult.select(qis).rows()
    sizes = Counter(rows)
    assert risk.k == min(sizes.values())
    assert risk.to_dict()["unique_records"] == sum(1 for s in sizes.values() if s == 1)
    incomes: dict[tuple[object, ...], set[object]] = defaultdict(set)
    for key, income in zip(rows, adult["income"].to_list(), strict=True):
        incomes[key].add(income)
    assert risk.l_diversity == min(len(v) for v in incomes.values())
    # The same answer when the engine is DuckDB.
    import duckdb

    relation = duckdb.connect().from_arrow(adult.to_arrow())
    on_duckdb = reidentification_risk(relation, quasi_identifiers=qis, sensitive="income")
    assert on_duckdb.to_dict()["combinations"] == risk.to_dict()["combinations"]


def test_nested_quasi_identifiers(tmp_path: object) -> None:
    frame = pl.DataFrame({"person": [{"age": 30, "sex": "F"}, {"age": 30, "sex": "M"}]})
    risk = reidentification_risk(frame, quasi_identifiers=["person.age", "person.sex"])
    assert risk.k == 1


def test_bad_arguments() -> None:
    frame = pl.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(InputError, match=r"'zzz'.*Columns are: a, b"):
        reidentification_risk(frame, quasi_identifiers=["zzz"])
    with pytest.raises(InputError, match="also a quasi-identifier"):
        reidentification_risk(frame, quasi_identifiers=["a"], sensitive="a")
    with pytest.raises(InputError, match="at least one"):
        reidentification_risk(frame, quasi_identifiers=[])
    empty = reidentification_risk(frame.clear(), quasi_identifiers=["a"])
    assert empty.k == 0

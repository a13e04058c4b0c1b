"""Convert the raw UCI Adult and German Credit files into the Parquet files Assay ships.

Usage::

    python scripts/build_datasets.py [--source DIR] [--dest DIR]

``--source`` is the directory holding ``adult.data`` and ``german.data`` (default:
``<repo>/../shared/datasets``); ``--dest`` is where the Parquet files are written (default:
``<repo>/src/assay/data``).

What the conversion does:

- Adult: fields are split on ``,`` and stripped of the surrounding spaces; ``?`` becomes a null;
  the six numeric columns become Int64; the column names are the UCI names in snake_case.
- German Credit: fields are split on whitespace; the seven numeric attributes become Int64; the
  thirteen categorical attributes keep their UCI codes (``A11`` ... ``A202``, see the codebook
  below and ``src/assay/data/DATASETS.md``); a decoded ``sex`` column ("male"/"female") is derived
  from ``personal_status_sex``; the label ``1``/``2`` becomes ``"good"``/``"bad"``.
- Text columns are written as plain Arrow ``string`` (Parquet UTF8), not dictionary-typed
  categoricals nor ``large_string``, so pandas, polars, DuckDB and Spark read them the same way.
- The files are zstd-compressed Parquet.

After writing, the script reads each file back and refuses to finish unless the row counts are
the documented ones, every column's null count equals the number of ``?`` in that raw column,
and every value, turned back into text, equals the raw token it came from.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "datasets"
DEFAULT_DEST = REPO / "src" / "assay" / "data"

# zstd level 19: the files are written once and read many times, so spend the time on size.
ZSTD_LEVEL = 19
MISSING = "?"

ADULT_ROWS = 32_561
ADULT_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("age", pa.int64()),
    ("workclass", pa.string()),
    ("fnlwgt", pa.int64()),
    ("education", pa.string()),
    ("education_num", pa.int64()),
    ("marital_status", pa.string()),
    ("occupation", pa.string()),
    ("relationship", pa.string()),
    ("race", pa.string()),
    ("sex", pa.string()),
    ("capital_gain", pa.int64()),
    ("capital_loss", pa.int64()),
    ("hours_per_week", pa.int64()),
    ("native_country", pa.string()),
    ("income", pa.string()),
)
ADULT_LABELS = frozenset({"<=50K", ">50K"})

GERMAN_ROWS = 1_000
# Attribute order of german.data. Categorical attributes carry the set of codes the UCI
# codebook defines (german.doc); numeric ones carry None.
GERMAN_ATTRIBUTES: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("checking_status", frozenset({"A11", "A12", "A13", "A14"})),
    ("duration_months", None),
    ("credit_history", frozenset({"A30", "A31", "A32", "A33", "A34"})),
    ("purpose", frozenset({f"A4{i}" for i in range(11)})),
    ("credit_amount", None),
    ("savings_status", frozenset({"A61", "A62", "A63", "A64", "A65"})),
    ("employment_since", frozenset({"A71", "A72", "A73", "A74", "A75"})),
    ("installment_rate", None),
    ("personal_status_sex", frozenset({"A91", "A92", "A93", "A94", "A95"})),
    ("other_debtors", frozenset({"A101", "A102", "A103"})),
    ("residence_since", None),
    ("property", frozenset({"A121", "A122", "A123", "A124"})),
    ("age", None),
    ("other_installment_plans", frozenset({"A141", "A142", "A143"})),
    ("housing", frozenset({"A151", "A152", "A153"})),
    ("existing_credits", None),
    ("job", frozenset({"A171", "A172", "A173", "A174"})),
    ("num_dependents", None),
    ("telephone", frozenset({"A191", "A192"})),
    ("foreign_worker", frozenset({"A201", "A202"})),
)
# Codebook, attribute 9: A92 "female: divorced/separated/married" and A95 "female: single";
# A91, A93 and A94 are male.
GERMAN_SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
GERMAN_LABELS = {"1": "good", "2": "bad"}


class BuildError(Exception):
    """The raw data is not what the conversion expects, or a check failed."""


def _require(condition: bool, message: str) -> None:
    # Not `assert`: the checks must still run under `python -O`.
    if not condition:
        raise BuildError(message)


def _records(path: Path, split: Callable[[str], list[str]], width: int) -> list[list[str]]:
    """Split every non-blank line of ``path`` into exactly ``width`` stripped fields."""
    rows: list[list[str]] = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        if not line.strip():
            continue  # adult.data ends with an empty line
        fields = [field.strip() for field in split(line)]
        _require(
            len(fields) == width,
            f"{path.name} line {number}: expected {width} fields, found {len(fields)}.",
        )
        rows.append(fields)
    return rows


def _column(tokens: Sequence[str], dtype: pa.DataType, name: str) -> pa.Array:
    values: list[str | int | None] = []
    for row, token in enumerate(tokens, start=1):
        if token == MISSING:
            values.append(None)
        elif pa.types.is_integer(dtype):
            _require(token.lstrip("-").isdigit(), f"{name} row {row}: {token!r} is not an integer.")
            values.append(int(token))
        else:
            values.append(token)
    return pa.array(values, type=dtype)


def adult_table(raw: Path) -> tuple[pa.Table, list[list[str]]]:
    rows = _records(raw, lambda line: line.split(","), len(ADULT_COLUMNS))
    columns = list(zip(*rows, strict=True))
    arrays = [
        _column(tokens, dtype, name)
        for (name, dtype), tokens in zip(ADULT_COLUMNS, columns, strict=True)
    ]
    schema = pa.schema([pa.field(name, dtype) for name, dtype in ADULT_COLUMNS])
    return pa.Table.from_arrays(arrays, schema=schema), rows


def german_table(raw: Path) -> tuple[pa.Table, list[list[str]]]:
    rows = _records(raw, str.split, len(GERMAN_ATTRIBUTES) + 1)
    columns = list(zip(*rows, strict=True))
    fields: list[pa.Field] = []
    arrays: list[pa.Array] = []
    for (name, codes), tokens in zip(GERMAN_ATTRIBUTES, columns[:-1], strict=True):
        if codes is None:
            fields.append(pa.field(name, pa.int64()))
            arrays.append(_column(tokens, pa.int64(), name))
        else:
            unknown = sorted(set(tokens) - codes)
            _require(not unknown, f"{name}: codes not in the UCI codebook: {unknown}.")
            fields.append(pa.field(name, pa.string()))
            arrays.append(_column(tokens, pa.string(), name))
        if name == "personal_status_sex":
            fields.append(pa.field("sex", pa.string()))
            arrays.append(pa.array([GERMAN_SEX[code] for code in tokens], type=pa.string()))
    labels = columns[-1]
    unknown = sorted(set(labels) - GERMAN_LABELS.keys())
    _require(not unknown, f"credit_risk: labels other than 1 and 2: {unknown}.")
    fields.append(pa.field("credit_risk", pa.string()))
    arrays.append(pa.array([GERMAN_LABELS[label] for label in labels], type=pa.string()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), rows


def write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", compression_level=ZSTD_LEVEL)


def _unchanged(token: str) -> str:
    return token


def _as_raw_text(value: object) -> str:
    return MISSING if value is None else str(value)


def verify(
    path: Path,
    rows: list[list[str]],
    expected_rows: int,
    raw_columns: Sequence[str],
    decode: dict[str, Callable[[str], str]] | None = None,
) -> None:
    """Read ``path`` back and compare it, value by value, with the raw ``rows``.

    ``raw_columns`` names the Parquet column that holds each raw field, in raw order;
    ``decode`` maps a column to the function that turned a raw token into the stored text.
    """
    decode = decode or {}
    frame = pl.read_parquet(path)
    _require(
        frame.height == len(rows) == expected_rows,
        f"{path.name}: {frame.height} rows written, {len(rows)} read, {expected_rows} expected.",
    )
    _require(
        all(
            pa.types.is_string(field.type) or pa.types.is_int64(field.type)
            for field in pq.read_schema(path)
        ),
        f"{path.name}: every column must be Arrow string or int64: {pq.read_schema(path)}.",
    )
    for index, name in enumerate(raw_columns):
        raw = [row[index] for row in rows]
        nulls = frame[name].null_count()
        missing = raw.count(MISSING)
        _require(nulls == missing, f"{path.name} {name}: {nulls} nulls but {missing} '?'.")
        to_stored = decode.get(name, _unchanged)
        expected = [to_stored(token) for token in raw]
        stored = [_as_raw_text(value) for value in frame[name].to_list()]
        _require(stored == expected, f"{path.name} {name}: values differ from the raw file.")


def build(source: Path, dest: Path) -> dict[Path, int]:
    """Convert both datasets; return the size in bytes of each file written."""
    adult, adult_rows = adult_table(source / "adult.data")
    german, german_rows = german_table(source / "german.data")
    adult_path = dest / "adult.parquet"
    german_path = dest / "german_credit.parquet"
    write(adult, adult_path)
    write(german, german_path)

    verify(adult_path, adult_rows, ADULT_ROWS, [name for name, _ in ADULT_COLUMNS])
    incomes = set(pl.read_parquet(adult_path)["income"].unique().to_list())
    _require(incomes == ADULT_LABELS, f"adult income values: {sorted(incomes)}.")

    german_raw_names = [name for name, _ in GERMAN_ATTRIBUTES] + ["credit_risk"]
    verify(
        german_path,
        german_rows,
        GERMAN_ROWS,
        german_raw_names,
        decode={"credit_risk": GERMAN_LABELS.__getitem__},
    )
    frame = pl.read_parquet(german_path)
    derived = [GERMAN_SEX[code] for code in frame["personal_status_sex"].to_list()]
    _require(frame["sex"].to_list() == derived, "german sex does not match personal_status_sex.")
    return {path: path.stat().st_size for path in (adult_path, german_path)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    try:
        sizes = build(args.source, args.dest)
    except (BuildError, OSError) as error:
        print(f"build_datasets: {error}", file=sys.stderr)
        return 1
    for path, size in sizes.items():
        print(f"wrote {path} ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

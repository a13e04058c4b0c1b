"""The dataset digest of an in-memory frame (Assay columns digest v1).

The reference below is written from the definition in ``docs/fairness.md`` value by value in
plain Python (``struct``, ``json``, ``hashlib``), not from the streaming code it checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import struct
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import assay.evaluate._frame as frame_module
from assay.errors import InputError
from assay.evaluate import fairness
from assay.evaluate._frame import COLUMNS_DIGEST_OF, columns_digest

LONG = "a value longer than the twelve bytes a string view keeps inline"


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "text": ["a", None, "", LONG, "héllo"],
            "count": [1, None, -3, 2**40, 0],
            "score": [0.5, None, -0.0, math.inf, 2.25],
            "flag": [True, None, False, True, False],
            "day": [dt.date(2024, 1, 1), None, dt.date(1970, 1, 2), dt.date(1969, 12, 31), None],
            "group": pl.Series(["x", "y", None, "x", "y"], dtype=pl.Categorical),
        }
    )


#: column → (Arrow type name, how one non-null value is written in the values stream)
ENCODE: dict[str, tuple[str, Any]] = {
    "text": ("string", lambda v: v.encode()),
    "count": ("int64", lambda v: struct.pack("<q", v)),
    "score": ("double", lambda v: struct.pack("<d", v)),
    "flag": ("bool", lambda v: b"\x01" if v else b"\x00"),
    "day": ("date32[day]", lambda v: struct.pack("<i", (v - dt.date(1970, 1, 1)).days)),
    "group": ("string", lambda v: v.encode()),
}
NULL_VALUE = {"count": bytes(8), "score": bytes(8), "flag": b"\x00", "day": bytes(4)}


def reference_digest(frame: pl.DataFrame, columns: list[str]) -> str:
    outer = hashlib.sha256(b"assay.columns-digest/v1\n")
    for name in columns:
        type_name, encode = ENCODE[name]
        values = frame.get_column(name).to_list()
        nulls = sum(v is None for v in values)
        header = {"name": name, "nulls": nulls, "rows": len(values), "type": type_name}
        validity = b"".join(b"\x00" if v is None else b"\x01" for v in values) if nulls else b""
        data = b"".join(NULL_VALUE.get(name, b"") if v is None else encode(v) for v in values)
        lengths = b""
        if type_name == "string":
            lengths = b"".join(
                struct.pack("<I", 0 if v is None else len(encode(v))) for v in values
            )
        outer.update(json.dumps(header, sort_keys=True).encode() + b"\n")
        for stream in (validity, lengths, data):
            outer.update(hashlib.sha256(stream).digest())
    return "sha256:" + outer.hexdigest()


def test_digest_follows_the_documented_definition() -> None:
    df = _frame()
    columns = list(df.columns)
    assert columns_digest(df, columns) == reference_digest(df, columns)
    assert columns_digest(df, ["score", "text"]) == reference_digest(df, ["score", "text"])


def test_digest_does_not_depend_on_chunks_pieces_or_library(monkeypatch: Any) -> None:
    df = _frame()
    columns = list(df.columns)
    expected = reference_digest(df, columns)
    chunked = pl.concat([df[:2], df[2:3], df[3:]], rechunk=False)
    assert chunked.get_column("text").n_chunks() == 3
    assert columns_digest(chunked, columns) == expected
    assert columns_digest(df.to_arrow(), columns) == expected  # large_string, not views
    table = pa.Table.from_batches(df.to_arrow().to_batches(max_chunksize=2))
    assert table.column("text").num_chunks == 3
    assert columns_digest(table, columns) == expected
    assert columns_digest(df.to_pandas(use_pyarrow_extension_array=True), columns) == expected
    monkeypatch.setattr(frame_module, "DIGEST_PIECE_ROWS", 2)
    assert columns_digest(df, columns) == expected
    assert columns_digest(chunked, columns) == expected
    plain = pd.DataFrame({"text": ["a", "bc"], "count": [1, 2]})
    assert columns_digest(plain, ["text", "count"]) == columns_digest(
        pl.from_pandas(plain), ["text", "count"]
    )


def test_digest_changes_with_any_value_name_type_or_boundary() -> None:
    df = pl.DataFrame({"a": ["ab", "c"], "n": [1, 2]})
    base = columns_digest(df, ["a", "n"])
    variants = [
        pl.DataFrame({"a": ["a", "bc"], "n": [1, 2]}),  # same bytes, other boundary
        pl.DataFrame({"a": ["ab", "c"], "n": [1, 3]}),
        pl.DataFrame({"a": ["ab", None], "n": [1, 2]}),
        pl.DataFrame({"a": ["ab", ""], "n": [1, 2]}),
        pl.DataFrame({"a": ["ab", "c"], "n": pl.Series([1, 2], dtype=pl.Int32)}),
        pl.DataFrame({"b": ["ab", "c"], "n": [1, 2]}).rename({"b": "a"}).select("n", "a"),
    ]
    digests = {base, *(columns_digest(v, list(v.columns)) for v in variants)}
    assert len(digests) == len(variants) + 1
    assert columns_digest(df, ["n", "a"]) != base


def test_nested_columns_are_hashed_as_json_lines(monkeypatch: Any) -> None:
    df = pl.DataFrame({"items": [[1, 2], None, [], [3]]})
    digest = columns_digest(df, ["items"])
    monkeypatch.setattr(frame_module, "DIGEST_PIECE_ROWS", 3)
    assert columns_digest(pl.concat([df[:1], df[1:]], rechunk=False), ["items"]) == digest
    assert columns_digest(pl.DataFrame({"items": [[1, 2], None, [], [4]]}), ["items"]) != digest


@pytest.mark.parametrize(
    "convert", [lambda f: f, lambda f: f.to_pandas()], ids=["polars", "pandas"]
)
def test_fairness_records_the_columns_digest(convert: Any) -> None:
    df = pl.DataFrame({"y": [1, 0, 1, 0, 1, 0], "p": [1, 0, 0, 0, 1, 1], "sex": list("fffmmm")})
    result = fairness(convert(df), y_true="y", y_pred="p", sensitive_features="sex")
    dataset = result.to_dict()["provenance"]["dataset"]
    assert dataset["digest_of"] == COLUMNS_DIGEST_OF
    assert dataset["digest"] == columns_digest(df, ["y", "p", "sex"])


def test_what_a_null_slot_holds_does_not_matter() -> None:
    validity = pa.py_buffer(bytes([0b01]))
    garbage = pa.Array.from_buffers(
        pa.int64(), 2, [validity, pa.py_buffer(struct.pack("<qq", 1, 99))]
    )
    text = pa.Array.from_buffers(
        pa.string(),
        2,
        [validity, pa.py_buffer(struct.pack("<iii", 0, 1, 4)), pa.py_buffer(b"abcd")],
    )
    table = pa.table({"n": garbage, "s": text})
    clean = pl.DataFrame({"n": [1, None], "s": ["a", None]})
    assert table.column("n").to_pylist() == [1, None]
    assert columns_digest(table, ["n", "s"]) == columns_digest(clean, ["n", "s"])


_OBJECT_DIGEST = """
import numpy as np, polars as pl
from assay.evaluate import columns_digest
raw = np.random.default_rng(0).choice(np.array(["a", "bb", None], dtype=object), size=3000)
frame = pl.DataFrame({"s": raw})
assert frame.schema["s"] == pl.Object
print(columns_digest(frame, ["s"]))
"""


def test_a_python_object_column_hashes_its_values_not_their_addresses() -> None:
    """Polars exports Object columns as pointers: two processes used to get two digests."""
    import subprocess
    import sys

    runs = {
        subprocess.run(
            [sys.executable, "-c", _OBJECT_DIGEST], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(runs) == 1, runs
    raw = np.random.default_rng(0).choice(np.array(["a", "bb", None], dtype=object), size=3000)
    typed = pl.DataFrame({"s": pl.Series(list(raw), dtype=pl.String)})
    assert runs == {columns_digest(typed, ["s"])}


def test_a_column_of_mixed_python_objects_is_refused() -> None:
    frame = pl.DataFrame({"m": pl.Series("m", ["a", 1, 2.5, None] * 10, dtype=pl.Object)})
    assert frame.schema["m"] == pl.Object
    with pytest.raises(InputError, match="'m' holds Python objects of mixed types"):
        columns_digest(frame, ["m"])

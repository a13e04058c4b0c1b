"""Binary columns, huge cells, invalid UTF-8, malformed lines, mixed types: counted, never a
crash, never a raw value in a message."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from assay.errors import InputError, NotFoundError
from assay.evaluate.pii import redact, scan
from conftest import assert_no_raw


def test_binary_and_float_columns_are_skipped_with_a_reason() -> None:
    frame = pl.DataFrame(
        {"blob": [b"\x00jane.doe@example.com", None], "x": [0.5, 1.5], "ok": ["a", None]}
    )
    skipped = {s["column"]: s["reason"] for s in scan(frame).to_dict()["skipped"]}
    assert skipped == {"blob": "binary", "x": "cannot hold text"}


def test_huge_cell_is_scanned_up_to_the_limit() -> None:
    big = "x " * 200_000 + " jane.doe@example.com"
    frame = pl.DataFrame({"note": [big, "bob@example.org"]})
    result = scan(frame, max_cell_chars=10_000)
    payload = result.to_dict()
    assert payload["input"]["cells_truncated"] == 1
    assert payload["columns"][0]["entities"][0]["rows"] == 1  # only the short cell's address
    assert scan(frame, max_cell_chars=1_000_000).entities == {"EMAIL_ADDRESS": 2}


def test_invalid_utf8_csv_is_decoded_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"note\nhello \xff\xfe jane.doe@example.com\nfine\n")
    result = scan(path)
    assert result.entities == {"EMAIL_ADDRESS": 1}
    assert result.to_dict()["input"]["cells_with_replacement_chars"] == 1


def test_invalid_utf8_and_malformed_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"msg": "caf\xe9 jane.doe@example.com"}\n'
        b"not json at all, call (415) 555-0132\n"
        b'{"msg": "ok"}\n'
    )
    result = scan(path)
    payload = result.to_dict()
    assert payload["input"]["malformed_lines"] == 1
    assert payload["input"]["cells_with_replacement_chars"] == 1
    assert result.entities == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert any("not JSON objects" in n for n in payload["input"]["notes"])


def test_malformed_line_deep_in_a_large_jsonl(tmp_path: Path) -> None:
    # The lazy reader only meets the bad line while scanning; the scan restarts leniently.
    lines = [f'{{"msg": "user{i}@example.com"}}' for i in range(30_000)]
    lines[25_000] = '{"msg": "cut off'
    path = tmp_path / "late.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = scan(path)
    assert result.to_dict()["input"]["malformed_lines"] == 1
    assert result.entities == {"EMAIL_ADDRESS": 29_999}
    report = redact(path, tmp_path / "out.jsonl")
    assert report.rows == 30_000


def test_mixed_types(tmp_path: Path) -> None:
    mixed = pd.DataFrame({"v": [1, "jane.doe@example.com", None, 2.5, b"raw"]})
    result = scan(mixed)
    assert result.entities == {"EMAIL_ADDRESS": 1}
    assert any("mixed-type" in n for n in result.to_dict()["input"]["notes"])
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"v": 1}\n{"v": "jane.doe@example.com"}\n{"v": {"deep": "x"}}\n')
    assert scan(path).entities == {"EMAIL_ADDRESS": 1}


def test_empty_and_missing_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    assert scan(empty).n_rows == 0
    with pytest.raises(NotFoundError):
        scan(tmp_path / "missing.csv")
    xlsx = tmp_path / "data.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(InputError, match="Assay reads"):
        scan(xlsx)


def test_unreadable_file_message_quotes_no_data(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"jane.doe@example.com is not parquet")
    with pytest.raises(InputError) as info:
        scan(path)
    assert_no_raw(str(info.value))


def test_validator_bug_does_not_stop_a_scan() -> None:
    from assay.evaluate.pii import _recognizers

    def broken(text: str) -> str | None:
        raise RuntimeError(text)

    patched = tuple(
        r if r.name != "email" else type(r)(**{**r.__dict__, "validator": broken})
        for r in _recognizers.RECOGNIZERS
    )
    from assay.evaluate.pii._detect import ROW, findings

    frame = pl.DataFrame({"t": ["jane.doe@example.com"]}).with_row_index(ROW)
    found, _ = findings(frame, ["t"], recognizers=patched)
    assert found.height == 0

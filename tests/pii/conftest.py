"""Fixtures for the PII tests: small frames and files with planted personal data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

#: Raw values planted in the fixtures; no output may contain any of them.
PLANTED = [
    "jane.doe@example.com",
    "(415) 555-0132",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "078-05-1121",
    "192.168.1.20",
    "AKIAZ7XQ2NV3LKB5WPOE",
    "hunter22",
]


@pytest.fixture
def people() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "email": ["jane.doe@example.com", "bob@example.org", None, "not an address"],
            "note": [
                "call me at (415) 555-0132, card 4111 1111 1111 1111",
                "iban DE89 3704 0044 0532 0130 00 please",
                "ssn 078-05-1121 from 192.168.1.20",
                "password=hunter22 key AKIAZ7XQ2NV3LKB5WPOE",
            ],
            "age": [34, 34, 51, 62],
            "sex": ["F", "F", "M", "M"],
            "income": ["<=50K", ">50K", "<=50K", "<=50K"],
        }
    )


@pytest.fixture
def nested_log(tmp_path: Path) -> Path:
    path = tmp_path / "chats.jsonl"
    path.write_text(
        '{"id": 1, "customer": {"email": "jane.doe@example.com", "tags": ["vip"]}, '
        '"messages": [{"text": "call me at (415) 555-0132"}]}\n'
        '{"id": 2, "customer": {"email": null, "tags": []}, "messages": [{"text": "thanks"}]}\n',
        encoding="utf-8",
    )
    return path


def assert_no_raw(text: str) -> None:
    for raw in PLANTED:
        assert raw not in text, f"a raw planted value appears in the output: {raw[:3]}..."

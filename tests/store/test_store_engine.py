"""Database URLs are checked and normalised with messages that say how to fix them."""

from __future__ import annotations

import pytest

from assay.errors import InputError
from assay.store import normalize_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:pw@h:5433/db", "postgresql+psycopg://u:pw@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://u@h/db", "SQLite or PostgreSQL"),
        ("postgresql+psycopg2://u@h/db", "psycopg 3"),
        ("not a url", "cannot be parsed"),
    ],
)
def test_bad_urls_are_refused(given: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        normalize_url(given)

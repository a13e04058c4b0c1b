"""Database URLs are checked and normalised with messages that say how to fix them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import make_url

from assay.errors import InputError, UnavailableError
from assay.store import Store, mask_url, normalize_url


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


def test_a_malformed_url_is_refused_without_its_password() -> None:
    with pytest.raises(InputError, match="cannot be parsed") as info:
        normalize_url("postgresql+psycopg://ada:s3cret@db.example:notaport/assay")
    assert "s3cret" not in str(info.value)
    assert "ada:***@db.example" in str(info.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ada:p@ss:w/rd@h:5432/db", "postgresql://ada:***@h:5432/db"),
        ("postgresql://ada@h/db", "postgresql://ada@h/db"),
        ("ada:secret@h", "ada:***@h"),
        ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_an_unreachable_database_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    store = Store("postgresql+psycopg://ada:s3cret@127.0.0.1:1/assay", blob_dir=tmp_path)
    with pytest.raises(UnavailableError, match="Cannot connect to the database") as info:
        store.current_revision()
    assert "s3cret" not in str(info.value)
    assert "ada:***@127.0.0.1:1/assay" in str(info.value)
    store.dispose()
    missing = Store(f"sqlite:///{tmp_path}/no/such/folder/assay.db", blob_dir=tmp_path)
    with pytest.raises(UnavailableError, match="folder exists"):
        missing.current_revision()
    missing.dispose()


@pytest.mark.postgres
def test_an_unknown_user_is_unavailable() -> None:
    url = make_url(normalize_url(os.environ["ASSAY_TEST_POSTGRES_URL"]))
    wrong = url.set(username="no_such_role", password="wrong").render_as_string(False)
    store = Store(wrong, blob_dir=Path("unused"))
    with pytest.raises(UnavailableError, match="no_such_role") as info:
        store.current_revision()
    assert "wrong@" not in str(info.value)
    store.dispose()

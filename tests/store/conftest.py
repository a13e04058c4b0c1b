"""Fixtures of the store tests: a migrated store on each database lane."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.store import Store


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store (SQLite or PostgreSQL) with a blob folder in tmp_path."""
    s = Store(db_url, blob_dir=tmp_path / "blobs")
    s.upgrade()
    yield s
    s.dispose()

"""The shipped schemas are the files the README says they are."""

from __future__ import annotations

import hashlib
import re

from schema_validators import SCHEMAS


def test_schema_files_match_the_recorded_sha256() -> None:
    table = re.findall(
        r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|",
        (SCHEMAS / "README.md").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    shipped = {
        path.relative_to(SCHEMAS).as_posix()
        for path in SCHEMAS.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    # Every shipped schema has exactly one row, and every row names a shipped file.
    assert sorted(name for name, _ in table) == sorted(shipped)
    for name, digest in table:
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name

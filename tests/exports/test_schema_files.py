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
    assert len(table) == 4
    for name, digest in table:
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
